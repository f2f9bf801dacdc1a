/**
 * A whole LeNet-300-100 level: 10,000 iterations (Adam 1.2e-3, batch 60) with evaluation on the
 * validation and test sets every 100, through the trainer, on MNIST; dense vs 3.6% remaining (15
 * rounds of magnitude pruning at initialization, fc 20% / output 10% per round) with the sparse MLP
 * kernels chosen by --sparse-kernels auto's measured crossover (calibrated once per machine, cached), in
 * alternating rounds so both see the same machine load.
 *
 *   npm run bench -- --case lenet300-level --rounds 2 [--iterations 10000]
 */
import { TrainingEngine } from '../src/engine/engine.js';
import { calibratedTimings } from '../src/engine/calibrate.js';
import { MODELS } from '../src/models/zoo.js';
import { pruneMasks } from '../src/prune/index.js';
import { makeSampler, prepareData } from '../src/train/data.js';
import { train } from '../src/train/trainer.js';

export interface LevelRecord {
  case: string;
  fraction_remaining: number;
  seconds: number;
  test_accuracy: number;
  /** The step the engine chose for the level (auto: by the measured crossover). */
  kernels: 'sparse' | 'dense';
}

const THREADS = 2;

async function level(
  data: Awaited<ReturnType<typeof prepareData>>,
  rounds: number,
  iterations: number,
): Promise<LevelRecord> {
  const entry = MODELS.lenet300;
  const optimizer = entry.defaults.optimizer;
  const crossover = await calibratedTimings(
    [
      [784, 300],
      [300, 100],
      [100, 10],
    ],
    { batchSize: 60, optimizer, threads: THREADS },
  );
  const engine = await TrainingEngine.create(entry.create({ inputShape: [784] }), {
    batchSize: 60,
    optimizer,
    threads: THREADS,
    ...(rounds > 0 ? { sparseKernels: 'auto' as const, crossover } : {}),
  });
  engine.initialize(0);
  if (rounds > 0) {
    const layers = engine.params
      .filter((p) => engine.maskedParams.includes(p.name))
      .map((p) => ({ name: p.name, kind: p.layerKind!, shape: p.shape }));
    const masks = pruneMasks(layers, engine.getWeights(), engine.getMasks(), {
      strategy: 'magnitude',
      scope: 'layerwise',
      rates: { fc: 1 - 0.8 ** rounds, output: 1 - 0.9 ** rounds },
    });
    await engine.setMasks(masks);
  }
  let kept = 0;
  let total = 0;
  for (const m of engine.getMasks().values()) {
    total += m.length;
    for (const v of m) kept += v;
  }
  const kernels = engine.kernelPath;
  const started = performance.now();
  const result = await train(engine, data, makeSampler(data, 60, 1), {
    iterations,
    learningRate: 1.2e-3,
    schedule: { warmup: 0, milestones: [], gamma: 0.1 },
    evalEvery: 100,
    checkpointEvery: 0,
    divergenceLoss: 1e6,
  });
  const seconds = (performance.now() - started) / 1000;
  await engine.release();
  return {
    case: `lenet300-level${rounds > 0 ? '-sparse-kernels' : ''}`,
    fraction_remaining: Number((kept / total).toFixed(4)),
    seconds: Number(seconds.toFixed(2)),
    test_accuracy: result.testAccuracyAtEarlyStop,
    kernels,
  };
}

/** Dense and 3.6% levels in alternating rounds; per-round ratios of wall time. */
export async function levelBench(rounds: number, iterations: number): Promise<LevelRecord[][]> {
  const data = await prepareData('mnist', {
    validationSize: 5000,
    splitSeed: 0,
    normalization: 'standardize',
    augment: false,
    trainEvalSize: 0,
  });
  const out: LevelRecord[][] = [];
  for (let r = 0; r < rounds; r++)
    out.push([await level(data, 0, iterations), await level(data, 15, iterations)]);
  return out;
}
