/**
 * Learned-supermask runs in the run store, kept as lottery units are: one run directory per
 * result-affecting settings (`<runs>/supermask/<model>-<dataset>-<hash>`, a RunStore under
 * runs/supermask so `runs list` and `runs gc` leave it alone) holding one unit, `mask`, trained under
 * a lease, checkpointed every checkpointEvery iterations (scores, optimizer state, the step that
 * positions the mask noise, data order, curve; atomic files tied by checksum), resumed after a crash
 * to the result of an uninterrupted run, and recorded with the checksum of its learned scores. A
 * finished run is read back after its files are checked; a damaged one, or a damaged checkpoint, is
 * named and computed again. The training itself is supermask-training.ts.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type LotteryConfig, lotteryConfigSchema } from '../lottery/config.js';
import { defaultContext, resultSettings, runIdentity } from '../lottery/resolve.js';
import { resumableCheckpoint } from '../lottery/weights-io.js';
import { INPUT_SETTINGS } from '../spec/settings.js';
import { defaultOf } from '../spec/table.js';
import {
  type Lease,
  type Run,
  RunStore,
  configDifferences,
  defaultRunsRoot,
  hashConfig,
  readJson,
  saveTensors,
} from '../store/index.js';
import { removeTrainCheckpoint, saveTrainCheckpoint } from '../train/checkpoint.js';
import type { TrainCheckpoint } from '../train/trainer.js';
import { UserError } from '../util/errors.js';
import { setUpTraining } from './execute.js';
import { leaseUnit, readBackUnit, trainUnderLease } from './single-unit-run.js';
import {
  SUPERMASK_DEFAULTS,
  type SupermaskResult,
  type SupermaskSettings,
  learnSupermaskScores,
} from './supermask-training.js';

export * from './supermask-training.js';

/** The one unit of a learned-supermask run, and the file of its learned scores. */
export const SUPERMASK_UNIT = 'mask';
export const SCORES_FILE = 'scores.safetensors';

/**
 * What names a learned-supermask run: the lottery run identity of its training settings (defaults
 * left out, so a new setting renames nothing; an imported dataset's content digest in) and its
 * supermask settings that differ from the defaults.
 */
export function supermaskIdentity(
  config: LotteryConfig,
  settings: SupermaskSettings,
): Record<string, unknown> {
  const supermask = Object.fromEntries(
    Object.entries(settings).filter(([k, v]) => SUPERMASK_DEFAULTS[k as keyof SupermaskSettings] !== v),
  );
  return { kind: 'learned-supermask', settings: runIdentity(config), supermask };
}

/** The name of runs of an earlier version (every setting, defaults included), read back as they are. */
function legacyIdentity(config: LotteryConfig, settings: SupermaskSettings): Record<string, unknown> {
  return { kind: 'learned-supermask', settings: resultSettings(config), supermask: settings };
}

/** config.json of a run: the whole configuration of the latest invocation. */
interface StoredConfig {
  kind: 'learned-supermask';
  config: LotteryConfig;
  supermask: SupermaskSettings;
}

/**
 * Opens (creating) the run directory of `config` and `settings`; refuses one whose stored settings
 * differ in anything that changes results (the name leaves defaults out: a changed default of the
 * model or dataset would otherwise reuse it).
 */
export function openSupermaskRun(
  runsDir: string | undefined,
  config: LotteryConfig,
  settings: SupermaskSettings,
): Run {
  const store = new RunStore({ root: join(defaultRunsRoot(runsDir), 'supermask') });
  const name = `${config.model}-${config.dataset}`;
  const identity = supermaskIdentity(config, settings);
  const previous = store.peekRun(name, identity);
  const stored = previous?.config as Partial<StoredConfig> | undefined;
  if (previous && stored) {
    // a config of an earlier format is not compared (as lottery runs do): its identity check passed
    const parsed = lotteryConfigSchema.safeParse(stored.config);
    const before = {
      settings: parsed.success ? resultSettings(parsed.data) : null,
      supermask: stored.supermask,
    };
    const now = { settings: parsed.success ? resultSettings(config) : null, supermask: settings };
    const diffs = configDifferences(before, now);
    if (diffs.length > 0)
      throw new UserError(
        `run directory ${previous.dir} was made with other settings (${diffs.map((d) => d.replace(/^\$\./, '')).join(', ')}); ` +
          'a run directory is never reused for other settings',
        `move ${previous.dir} away to compute these settings afresh`,
      );
  }
  const whole: StoredConfig = { kind: 'learned-supermask', config, supermask: settings };
  return store.openRun(name, identity, whole);
}

export interface LearnSupermaskOptions {
  runsDir?: string;
  dataDir?: string;
  /** onnxruntime threads; default: the count of the run's checkpoint, else the model's default. */
  threads?: number;
  onProgress?: (iteration: number, loss: number) => void;
  /** What happened that the user should know (a resumed or discarded checkpoint, a damaged result). */
  notify?: (message: string) => void;
  /** How often to look again while another process holds the run's lease (ms). */
  pollMs?: number;
}

export interface LearnedSupermaskRun {
  dir: string;
  result: SupermaskResult;
  /** Done before: read back, nothing computed. */
  reused: boolean;
  /** The checkpoint iteration training resumed from, when it did. */
  resumedAt?: number;
}

/**
 * Trains (or reads back, when the same settings were run before) a learned supermask: the result is
 * `<dir>/mask/result.json` (with the learned scores in mask/scores.safetensors). A run killed
 * mid-training resumes from its last checkpoint when called again, to a bit-identical result at the
 * same thread count.
 */
export async function learnSupermask(
  config: LotteryConfig,
  settings: SupermaskSettings,
  opts: LearnSupermaskOptions,
): Promise<LearnedSupermaskRun> {
  const legacy = join(
    defaultRunsRoot(opts.runsDir),
    'supermask',
    `${config.model}-${config.dataset}-${hashConfig(legacyIdentity(config, settings))}`,
  );
  if (existsSync(join(legacy, 'result.json')) && !existsSync(join(legacy, 'run.json')))
    return { dir: legacy, result: readJson<SupermaskResult>(join(legacy, 'result.json')), reused: true };
  const run = openSupermaskRun(opts.runsDir, config, settings);
  try {
    const done = readBack(run, opts.notify);
    if (done) return { dir: run.dir, result: done, reused: true };
    const lease = await leaseOf(run, opts);
    if (!lease) return { dir: run.dir, result: readBack(run, opts.notify)!, reused: true };
    return await trainUnderLease(run, SUPERMASK_UNIT, lease, () =>
      trainUnit(run, lease, config, settings, opts),
    );
  } finally {
    run.close();
  }
}

/** The recorded result if its record and scores file are intact; a damaged one is named. */
const readBack = (run: Run, notify?: (message: string) => void) =>
  readBackUnit<SupermaskResult>(run, SUPERMASK_UNIT, notify);

/** The unit's lease, waiting while a live process holds it; null if that process finished the run. */
const leaseOf = (run: Run, opts: LearnSupermaskOptions) => leaseUnit(run, SUPERMASK_UNIT, opts);

/** checkpoint.json's thread count and mask-noise seed, if it is readable. */
function checkpointMeta(dir: string): { threads?: number; noiseSeed?: number } {
  try {
    return readJson(join(dir, 'checkpoint.json')) as { threads?: number; noiseSeed?: number };
  } catch {
    return {}; // absent, or unreadable: resumableCheckpoint names and removes it
  }
}

async function trainUnit(
  run: Run,
  lease: Lease,
  config: LotteryConfig,
  settings: SupermaskSettings,
  opts: LearnSupermaskOptions,
): Promise<LearnedSupermaskRun> {
  const dir = run.unitDir(SUPERMASK_UNIT);
  if (run.isDone(SUPERMASK_UNIT)) run.invalidate(SUPERMASK_UNIT); // damaged (readBack said so)
  const saved = checkpointMeta(dir);
  const threads =
    opts.threads ??
    saved.threads ??
    (defaultOf(INPUT_SETTINGS.threads, defaultContext(config.model, config.dataset)) as number);
  let { checkpoint, discarded } = resumableCheckpoint(dir, threads);
  // the mask noise is drawn from (seed, step, layer): a checkpoint of another stream is not this run's
  if (checkpoint && saved.noiseSeed !== config.seed) {
    discarded = `${dir}/checkpoint.json records mask noise seed ${saved.noiseSeed}, not this run's ${config.seed}`;
    removeTrainCheckpoint(dir);
    checkpoint = undefined;
  }
  if (discarded !== undefined)
    opts.notify?.(
      `the checkpoint of ${run.dir} cannot be resumed (${discarded}); it was removed and training starts ` +
        'again from iteration 0 (same result as an uninterrupted run)',
    );
  if (checkpoint) opts.notify?.(`resuming at iteration ${checkpoint.iteration} from ${dir}/checkpoint.json`);
  const holding = () => {
    if (lease.lost)
      throw new UserError(
        `another process took over ${run.dir} (this one was stopped longer than its lease lasts); it finishes the run`,
      );
  };
  const { data, engine } = await setUpTraining(config, { dataDir: opts.dataDir, threads });
  try {
    const { result, scores } = await learnSupermaskScores(config, settings, data, engine, {
      threads,
      onProgress: (iteration, loss) => {
        holding();
        opts.onProgress?.(iteration, loss);
      },
      checkpointing: {
        every: config.checkpointEvery,
        resume: checkpoint,
        save: (c: TrainCheckpoint) => {
          holding(); // never overwrite the checkpoint of the process that took the run over
          saveTrainCheckpoint(dir, c, { threads, noiseSeed: config.seed });
        },
      },
    });
    holding();
    saveTensors(join(dir, SCORES_FILE), scores);
    run.markDone(SUPERMASK_UNIT, result, { threads, files: [`${SUPERMASK_UNIT}/${SCORES_FILE}`] });
    removeTrainCheckpoint(dir);
    return {
      dir: run.dir,
      result,
      reused: false,
      ...(checkpoint ? { resumedAt: checkpoint.iteration } : {}),
    };
  } finally {
    await engine.release();
  }
}
