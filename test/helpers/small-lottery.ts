/** A small lottery on synthetic MNIST-shaped data (as in lottery.test.ts), for tests of runs and units. */
import type { LoadedDataset } from '../../src/data/index.js';
import { TrainingEngine } from '../../src/engine/engine.js';
import { runIdentity } from '../../src/lottery/resolve.js';
import { type LotteryConfig, isPrunable } from '../../src/lottery/config.js';
import { type LotteryReporter, runLottery } from '../../src/lottery/procedure.js';
import { type LotteryRequest, resolveConfig } from '../../src/lottery/resolve.js';
import type { LevelResult, RunSummary } from '../../src/lottery/summary.js';
import type { UnitCallbacks } from '../../src/lottery/units.js';
import { MODELS } from '../../src/models/zoo.js';
import { type LeaseOptions, RunStore } from '../../src/store/index.js';
import { type TrainData, prepareData } from '../../src/train/data.js';
import { syntheticSet } from './datasets.js';

const shape = { channels: 1, height: 28, width: 28 };
const loaded: LoadedDataset = {
  name: 'mnist',
  train: syntheticSet(700, shape, 1),
  test: syntheticSet(200, shape, 2),
  classes: 10,
  source: 'synthetic (made by the test)',
} as LoadedDataset;

export function smallConfig(request: LotteryRequest): LotteryConfig {
  return resolveConfig({
    model: 'lenet300',
    dataset: 'mnist',
    iterations: 40,
    evalEvery: 20,
    levels: 1,
    validationSize: 100,
    checkpointEvery: 0,
    ...request,
  });
}

export async function smallSetup(
  config: LotteryConfig,
  threads = 1,
): Promise<{ data: TrainData; engine: TrainingEngine }> {
  const data = await prepareData('mnist', { ...config, trainEvalSize: 0 }, loaded);
  const engine = await TrainingEngine.create(MODELS.lenet300.create({ inputShape: config.inputShape }), {
    batchSize: config.batchSize,
    optimizer: config.optimizer,
    threads,
    masked: (decl) => isPrunable(config, decl),
  });
  return { data, engine };
}

export interface SmallRunOptions {
  threads?: number;
  reporter?: LotteryReporter;
  lease?: LeaseOptions;
  pollMs?: number;
  callbacks?: UnitCallbacks;
}

/** Runs (or resumes) the lottery of `config` in the run store at `root`, as `ticketlab lottery` does. */
export async function runSmallLottery(
  root: string,
  config: LotteryConfig,
  options: SmallRunOptions = {},
): Promise<RunSummary> {
  const { data, engine } = await smallSetup(config, options.threads);
  try {
    return await runOpened(root, config, data, engine, options);
  } finally {
    await engine.release();
  }
}

export async function runOpened(
  root: string,
  config: LotteryConfig,
  data: TrainData,
  engine: TrainingEngine,
  options: SmallRunOptions = {},
): Promise<RunSummary> {
  const run = new RunStore({ root }).openRun('test', runIdentity(config), config);
  try {
    return await runLottery({ config, run, data, engine, ...options });
  } finally {
    run.close();
  }
}

/** Results without their wall times (the only field that may differ between identical runs). */
export const withoutTimes = (rs: LevelResult[]) => rs.map(({ wallSeconds: _w, ...rest }) => rest);
