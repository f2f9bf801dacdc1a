/**
 * The application layer's entry to a lottery run: open (or resume) the run directory for a resolved
 * configuration's identity, load the data, build the model and engine, train every unit not yet done
 * (other processes may work on the same run at the same time: units are leased one by one).
 */
import { loadDataset } from '../data/index.js';
import { TrainingEngine } from '../engine/engine.js';
import { calibratedTimings } from '../engine/calibrate.js';
import { mlpLayers } from '../engine/compact.js';
import type { Model } from '../models/types.js';
import { type LotteryConfig, isPrunable, lotteryConfigSchema } from '../lottery/config.js';
import { type LotteryReporter, runLottery } from '../lottery/procedure.js';
import { defaultContext, modelEntry, resultSettings, runIdentity } from '../lottery/resolve.js';
import { INPUT_SETTINGS } from '../spec/settings.js';
import { defaultOf } from '../spec/table.js';
import type { RunSummary } from '../lottery/summary.js';
import { type LeaseOptions, type Run, RunStore, configDifferences } from '../store/index.js';
import { UserError } from '../util/errors.js';
import { type TrainData, prepareData } from '../train/data.js';

export interface ExecuteOptions {
  runsDir?: string;
  name: string;
  dataDir?: string;
  /** onnxruntime threads; default: the run's own count when it has units, else the model's (threadsFor). */
  threads?: number;
  labels?: Pick<RunSummary, 'scale' | 'standIn' | 'preset'>;
  /** Progress of each unit (the CLI's bar); none when omitted. */
  reporter?: LotteryReporter;
  /** Unit leases (time to live, heartbeat); defaults in store/lease.ts. */
  lease?: LeaseOptions;
  /** How often to look again while every remaining unit is leased by another process (ms). */
  pollMs?: number;
  /** Also recompute damaged units recorded by earlier invocations (`ticketlab runs repair`). */
  repair?: boolean;
}

/** Refuses to reuse a run directory whose stored settings differ in anything that changes results. */
export function checkStoredSettings(run: Run, config: LotteryConfig): void {
  const stored = lotteryConfigSchema.safeParse(run.config);
  if (!stored.success) return; // a run of an earlier format: its identity check already passed
  const before = resultSettings(stored.data);
  const now = resultSettings(config);
  const diffs = configDifferences(before, now);
  if (diffs.length === 0) return;
  throw new UserError(
    `run directory ${run.dir} was made with other settings (${diffs.map((d) => d.replace(/^\$\./, '')).join(', ')}): ` +
      'a default of the model or dataset has changed since; a run directory is never reused for other settings',
    `move ${run.dir} away, or run under another --name`,
  );
}

/**
 * The run directory of `config` in `store`, opened (or resumed); refused when it was made with other
 * result-affecting settings. Every way of training units (a command, a sweep's unit process) opens runs here.
 */
export function openRunFor(store: RunStore, name: string, config: LotteryConfig): Run {
  const identity = runIdentity(config);
  const previous = store.peekRun(name, identity);
  if (previous) checkStoredSettings(previous, config);
  return store.openRun(name, identity, config);
}

/** The data a run of `config` trains and evaluates on: its splits, normalization and augmentation. */
export async function loadTrainData(config: LotteryConfig, dataDir?: string): Promise<TrainData> {
  const loaded = await loadDataset(config.dataset, { dataDir });
  return prepareData(
    config.dataset,
    {
      validationSize: config.validationSize,
      splitSeed: config.splitSeed,
      normalization: config.normalization,
      augment: config.augment,
      trainEvalSize: config.trainEvalSize,
    },
    loaded,
  );
}

/** The network a run of `config` trains (its classes are the dataset's). */
export function buildRunModel(config: LotteryConfig, classes: number): Model {
  return modelEntry(config.model).create({
    inputShape: config.inputShape,
    classes,
    init: { kind: config.init },
    dropout: config.dropout,
    bnInit: config.bnInit,
  });
}

/** The data, model and engine a run of `config` trains with (the caller releases the engine). */
export async function setUpTraining(
  config: LotteryConfig,
  opts: { dataDir?: string; threads: number },
): Promise<{ data: TrainData; engine: TrainingEngine }> {
  const data = await loadTrainData(config, opts.dataDir);
  const model = buildRunModel(config, data.classes);
  const sparseKernels = config.sparseKernels ?? 'off';
  let crossover;
  if (sparseKernels !== 'off') {
    const layers = mlpLayers(model);
    if (!layers)
      throw new UserError(
        `--sparse-kernels ${sparseKernels}: the sparse step runs MLPs only (fully connected layers with ReLU, ` +
          `no dropout or BatchNorm), and ${config.model} is not one`,
        'leave --sparse-kernels out (it is off by default)',
      );
    if (sparseKernels === 'auto')
      crossover = await calibratedTimings(
        layers.map((l) => [l.inFeatures, l.outFeatures] as const),
        {
          batchSize: config.batchSize,
          optimizer: config.optimizer,
          threads: opts.threads,
          onMeasure: (i, o) =>
            process.stderr.write(
              `measuring the sparse-kernel crossover of layer shape ${i}x${o} (once per machine and threads)\n`,
            ),
        },
      );
  }
  const engine = await TrainingEngine.create(model, {
    batchSize: config.batchSize,
    optimizer: config.optimizer,
    threads: opts.threads,
    masked: (decl) => isPrunable(config, decl),
    ...(config.bnL1 > 0 ? { bnL1: config.bnL1 } : {}),
    ...(sparseKernels === 'off' ? {} : { sparseKernels, crossover }),
  });
  return { data, engine };
}

/** The thread count most of the run's done units were computed with, if it has any. */
export function recordedThreads(run: Run): number | undefined {
  const counts = new Map<number, number>();
  for (const key of run.doneKeys()) {
    try {
      const t = run.unitRecord(key)?.threads;
      if (t !== undefined) counts.set(t, (counts.get(t) ?? 0) + 1);
    } catch {
      // a damaged record is repaired like any damaged unit
    }
  }
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
}

/**
 * The threads a run trains with: the count given; else the count its units were computed with, so a
 * run resumed without --threads never mixes two float orders (nor refuses its checkpoints) when a
 * model's default changes; else the model's measured default (ModelDefaults.threads, or 2).
 */
export function threadsFor(
  run: Run | undefined,
  config: LotteryConfig,
  given?: number,
): { threads: number; from: string } {
  if (given !== undefined) return { threads: given, from: 'given' };
  const recorded = run && recordedThreads(run); // no run yet (a dry run): nothing recorded
  if (recorded !== undefined) return { threads: recorded, from: 'the count the run was computed with' };
  const threads = defaultOf(INPUT_SETTINGS.threads, defaultContext(config.model, config.dataset)) as number;
  return { threads, from: `${config.model}'s default` };
}

/** Opens (or resumes) the run for `config`, trains everything not yet done, returns the summary. */
export async function executeLottery(config: LotteryConfig, opts: ExecuteOptions): Promise<RunSummary> {
  const run = openRunFor(new RunStore({ root: opts.runsDir }), opts.name, config);
  try {
    process.stderr.write(`run directory: ${run.dir}\n`);
    const t = threadsFor(run, config, opts.threads);
    if (t.from !== 'given') process.stderr.write(`threads: ${t.threads} (${t.from})\n`);
    const { data, engine } = await setUpTraining(config, { dataDir: opts.dataDir, threads: t.threads });
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
        repair: opts.repair,
      });
    } finally {
      await engine.release();
    }
  } finally {
    run.close();
  }
}
