/**
 * The application layer's entry to a lottery run: open (or resume) the run directory for a resolved
 * configuration, load the data, build the model and engine, train every unit not yet done.
 */
import { type DatasetName, loadDataset } from '../data/index.js';
import { TrainingEngine } from '../engine/engine.js';
import { type LotteryConfig, isPrunable } from '../lottery/config.js';
import { type LotteryReporter, runLottery } from '../lottery/procedure.js';
import { modelEntry } from '../lottery/resolve.js';
import type { RunSummary } from '../lottery/summary.js';
import { RunStore } from '../store/index.js';
import { prepareData } from '../train/data.js';

export interface ExecuteOptions {
  runsDir?: string;
  name: string;
  dataDir?: string;
  threads: number;
  labels?: Pick<RunSummary, 'scale' | 'standIn' | 'preset'>;
  /** Progress of each unit (the CLI's bar); none when omitted. */
  reporter?: LotteryReporter;
}

/** Opens (or resumes) the run for `config`, trains everything not yet done, returns the summary. */
export async function executeLottery(config: LotteryConfig, opts: ExecuteOptions): Promise<RunSummary> {
  const store = new RunStore({ root: opts.runsDir });
  const run = store.openRun(opts.name, config);
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
      });
    } finally {
      await engine.release();
    }
  } finally {
    run.close();
  }
}
