/**
 * The application layer's entry to a lottery run: open (or resume) the run directory for a resolved
 * configuration's identity, load the data, build the model and engine, train every unit not yet done
 * (other processes may work on the same run at the same time: units are leased one by one).
 */
import { type DatasetName, loadDataset } from '../data/index.js';
import { TrainingEngine } from '../engine/engine.js';
import { type LotteryConfig, isPrunable } from '../lottery/config.js';
import { type LotteryReporter, runLottery } from '../lottery/procedure.js';
import { modelEntry } from '../lottery/resolve.js';
import type { RunSummary } from '../lottery/summary.js';
import { type LeaseOptions, RunStore } from '../store/index.js';
import { prepareData } from '../train/data.js';

export interface ExecuteOptions {
  runsDir?: string;
  name: string;
  dataDir?: string;
  threads: number;
  labels?: Pick<RunSummary, 'scale' | 'standIn' | 'preset'>;
  /** Progress of each unit (the CLI's bar); none when omitted. */
  reporter?: LotteryReporter;
  /** Unit leases (time to live, heartbeat); defaults in store/lease.ts. */
  lease?: LeaseOptions;
  /** How often to look again while every remaining unit is leased by another process (ms). */
  pollMs?: number;
}

/**
 * The settings that name a run: everything that changes a unit's results. How much of the run to
 * compute (levels, trials, controls and the levels they run at) and how often to checkpoint are
 * left out, so asking for more reuses every unit already done.
 */
// TODO(lead): replace with spec's runIdentity
export function runIdentityOf(config: LotteryConfig): Record<string, unknown> {
  const {
    levels: _levels,
    trials: _trials,
    controls: _controls,
    controlLevels: _controlLevels,
    checkpointEvery: _checkpointEvery,
    ...identity
  } = config;
  return identity;
}

/** Opens (or resumes) the run for `config`, trains everything not yet done, returns the summary. */
export async function executeLottery(config: LotteryConfig, opts: ExecuteOptions): Promise<RunSummary> {
  const store = new RunStore({ root: opts.runsDir });
  const run = store.openRun(opts.name, runIdentityOf(config), config);
  try {
    process.stderr.write(`run directory: ${run.dir}\n`);
    const entry = modelEntry(config.model);
    const loaded = await loadDataset(config.dataset as DatasetName, { dataDir: opts.dataDir });
    const data = await prepareData(
      config.dataset as DatasetName,
      {
        validationSize: config.validationSize,
        splitSeed: config.splitSeed,
        normalization: config.normalization,
        augment: config.augment,
        trainEvalSize: config.trainEvalSize,
      },
      loaded,
    );
    const model = entry.create({
      inputShape: config.inputShape,
      classes: data.classes,
      init: { kind: config.init },
      dropout: config.dropout,
    });
    const engine = await TrainingEngine.create(model, {
      batchSize: config.batchSize,
      optimizer: config.optimizer,
      threads: opts.threads,
      masked: (decl) => isPrunable(config, decl),
    });
    try {
      return await runLottery({
        config,
        run,
        data,
        engine,
        reporter: opts.reporter,
        labels: opts.labels,
        lease: opts.lease,
        pollMs: opts.pollMs,
      });
    } finally {
      await engine.release();
    }
  } finally {
    run.close();
  }
}
