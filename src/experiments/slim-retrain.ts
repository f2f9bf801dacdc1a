/**
 * Retrained slimmed networks in the run store, kept as learned supermasks are: one run directory per
 * result-affecting settings, `<runs>/slim/<model>-<dataset>-slim<ratio>-<from>-<hash>` (a RunStore
 * under runs/slim, so `runs list` and `runs gc` leave it alone), named by the source run's identity,
 * the unit and which of its weights, the ratio and channel scores, a digest of the kept channels, the
 * start (slimmed or scratch), the training settings and, for a pruned unit only, the counts of its
 * unstructured mask (sliced to the thin network and held while retraining). Its one unit, `retrain`, is trained under a
 * lease, checkpointed every checkpointEvery iterations, resumed after a crash to the result of an
 * uninterrupted run, and recorded with the checksum of its final weights. A directory is never reused
 * for other settings. The training itself is slim-retrain-training.ts.
 */
import { join } from 'node:path';
import { type LotteryConfig, type LotteryRequest, lotteryConfigSchema } from '../lottery/config.js';
import { unitKey } from '../lottery/procedure.js';
import { defaultContext, resultSettings, runIdentity } from '../lottery/resolve.js';
import { type UnitWeightsChoice, unitPrunedMasks, unitWeights } from '../lottery/unit-weights.js';
import { resumableCheckpoint, saveCheckpoint, saveWeights } from '../lottery/weights-io.js';
import { type SlimSource, type SlimmedNetwork, keptIndices, slimNetwork } from '../prune/structured/index.js';
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
} from '../store/index.js';
import { removeTrainCheckpoint } from '../train/checkpoint.js';
import type { TrainCheckpoint } from '../train/trainer.js';
import { UserError } from '../util/errors.js';
import { buildRunModel, loadTrainData } from './execute.js';
import { leaseUnit, readBackUnit, trainUnderLease } from './single-unit-run.js';
import {
  type RetrainFrom,
  type SlimRetrainResult,
  maskCounts,
  retrainConfig,
  trainSlimmed,
} from './slim-retrain-training.js';
import { datasetNamed } from '../data/index.js';

export * from './slim-retrain-training.js';

/** The one unit of a retrained-slim run, and the file of its final (retrained) weights. */
export const SLIM_RETRAIN_UNIT = 'retrain';
export const SLIM_FINAL_FILE = 'final.safetensors';
export const SLIM_RETRAIN_KIND = 'slim-retrain';

/** What to slim and how to retrain it (the library's `retrainSlim`). */
export interface SlimRetrainRequest {
  /** The lottery run whose trained unit is slimmed. */
  runDir: string;
  trial?: number;
  level?: number;
  /** The ticket (default) or a control trained beside it. */
  condition?: string;
  /** Which of the unit's weights (default final): whatever unit-weights.ts offers. */
  weights?: UnitWeightsChoice['weights'];
  /** Fraction of the channels removed, in [0, 1). */
  ratio: number;
  /** Channel scores: BatchNorm |γ| (default) or conv filter L1 norms. */
  from?: SlimSource;
  /** Start from the slimmed weights (default) or a fresh init of the thin network. */
  retrainFrom?: RetrainFrom;
  /** Training settings by their settings-table keys (RETRAIN_SETTING_KEYS); the source run's otherwise. */
  training?: Partial<LotteryRequest> & { threads?: number };
  runsDir?: string;
  dataDir?: string;
  onProgress?: (iteration: number, loss: number, iterations: number) => void;
  /** What the user should know (a resumed checkpoint, a layer that keeps one channel, …). */
  notify?: (message: string) => void;
  pollMs?: number;
}

export interface SlimRetrainRun {
  dir: string;
  result: SlimRetrainResult;
  /** The thin network with its retrained weights (for an ONNX export). */
  slim: SlimmedNetwork;
  final: { weights: Map<string, Float32Array>; buffers: Map<string, Float32Array> };
  reused: boolean;
  resumedAt?: number;
}

/** config.json of a retrained-slim run: everything it was made from. */
export interface SlimRetrainConfig {
  kind: typeof SLIM_RETRAIN_KIND;
  source: { dir: string; config: LotteryConfig };
  trial: number;
  level: number;
  condition: string;
  weights: string;
  ratio: number;
  from: SlimSource;
  retrainFrom: RetrainFrom;
  /** Per channel group, the indices kept. */
  keptChannels: Record<string, number[]>;
  /**
   * The unit's unstructured mask sliced to the thin network (a pruned unit only: absent for a dense
   * level 0): masked weights kept of all masked ones. Retraining keeps the pruned ones pruned.
   */
  unitMask?: { kept: number; total: number };
  training: LotteryConfig;
}

/** The run identity: what changes the result, training settings at their defaults left out. */
export function slimRetrainIdentity(c: SlimRetrainConfig): Record<string, unknown> {
  return {
    kind: SLIM_RETRAIN_KIND,
    source: runIdentity(c.source.config),
    unit: { trial: c.trial, level: c.level, condition: c.condition, weights: c.weights },
    slim: { ratio: c.ratio, from: c.from, kept: hashConfig(c.keptChannels) },
    retrainFrom: c.retrainFrom,
    // only when the unit has one: a dense unit's retraining keeps the identity it always had
    ...(c.unitMask ? { unitMask: c.unitMask } : {}),
    training: runIdentity(c.training),
  };
}

/** What a stored config and this one must agree on (every result-affecting setting, defaults included). */
function comparable(c: SlimRetrainConfig): Record<string, unknown> {
  const { source, training, ...rest } = c;
  return {
    ...rest,
    source: resultSettings(source.config),
    training: resultSettings(training),
  };
}

/** The run store of retrained slimmed networks, its run name for `c`, and the run if it exists (read-only). */
export function peekSlimRetrainRun(
  runsDir: string | undefined,
  c: SlimRetrainConfig,
): { store: RunStore; name: string; identity: Record<string, unknown>; dir: string; run?: Run } {
  const store = new RunStore({ root: join(defaultRunsRoot(runsDir), 'slim') });
  const name = `${c.training.model}-${c.training.dataset}-slim${c.ratio}-${c.retrainFrom}`;
  const identity = slimRetrainIdentity(c);
  const dir = store.dirOf(name, identity);
  return { store, name, identity, dir, run: store.peekRun(name, identity) };
}

/** Opens (creating) the run directory of `c`; refuses one whose stored settings differ. */
export function openSlimRetrainRun(runsDir: string | undefined, c: SlimRetrainConfig): Run {
  const { store, name, identity, run: previous } = peekSlimRetrainRun(runsDir, c);
  const stored = previous?.config as SlimRetrainConfig | undefined;
  if (previous && stored) {
    const parsed = [stored.source?.config, stored.training].map((x) => lotteryConfigSchema.safeParse(x));
    const diffs = parsed.every((p) => p.success)
      ? configDifferences(comparable(stored), comparable(c)).filter((d) => !/^\$\.source\.dir/.test(d))
      : [];
    if (diffs.length > 0)
      throw new UserError(
        `run directory ${previous.dir} was made with other settings (${diffs.map((d) => d.replace(/^\$\./, '')).join(', ')}); ` +
          'a run directory is never reused for other settings',
        `move ${previous.dir} away to compute these settings afresh`,
      );
  }
  return store.openRun(name, identity, c);
}

/** The source unit, slimmed, and the whole configuration of its retraining. */
export function prepareSlimRetrain(request: SlimRetrainRequest): {
  config: SlimRetrainConfig;
  slim: SlimmedNetwork;
} {
  const { ratio } = request;
  if (!(ratio >= 0 && ratio < 1))
    throw new UserError(`--ratio ${ratio} is not a fraction of the channels in [0, 1)`, 'e.g. --ratio 0.5');
  const trial = request.trial ?? 0;
  const level = request.level ?? 0;
  const condition = request.condition ?? 'ticket';
  const weights = request.weights ?? 'final';
  const from = request.from ?? 'bn';
  const retrainFrom = request.retrainFrom ?? 'slimmed';
  const run = new RunStore().loadRun(request.runDir);
  const source = lotteryConfigSchema.safeParse(run.config);
  if (!source.success)
    throw new UserError(
      `${run.dir} is not a lottery run directory (its config.json is not a run's configuration)`,
    );
  const key = unitKey(trial, level, condition);
  if (!run.doneKeys().includes(key))
    throw new UserError(
      `${key} of ${run.dir} is not finished`,
      'give --trial, --level and --condition of a finished unit (ticketlab runs show)',
    );
  const { threads: _threads, ...given } = request.training ?? {};
  const training = retrainConfig(source.data, trial, given, retrainFrom);
  const wide = unitWeights(run, { trial, weights }, key, source.data);
  const model = buildRunModel(source.data, datasetNamed(source.data.dataset).classes);
  const unitMasks = unitPrunedMasks(run, key);
  const slim = slimNetwork(model, wide, { ratio, from, ...(unitMasks ? { unitMasks } : {}) });
  for (const notice of slim.selection.notices) request.notify?.(notice);
  const keptChannels = Object.fromEntries(
    [...slim.selection.masks].map(([group, mask]) => [group, keptIndices(mask)]),
  );
  return {
    slim,
    config: {
      kind: SLIM_RETRAIN_KIND,
      source: { dir: run.dir, config: source.data },
      trial,
      level,
      condition,
      weights,
      ratio,
      from,
      retrainFrom,
      keptChannels,
      ...(slim.unitMasks ? { unitMask: maskCounts(slim.unitMasks) } : {}),
      training,
    },
  };
}

/**
 * Slims a trained unit of a lottery run and retrains the thinner network (or reads the result back
 * when the same settings were run before): `<dir>/retrain/result.json`, the retrained weights in
 * retrain/final.safetensors. A run killed mid-training resumes from its last checkpoint when called
 * again, to a bit-identical result at the same thread count.
 */
export async function retrainSlim(request: SlimRetrainRequest): Promise<SlimRetrainRun> {
  const { config, slim } = prepareSlimRetrain(request);
  const run = openSlimRetrainRun(request.runsDir, config);
  const readFinal = () => {
    const tensors = run.readUnitTensors(SLIM_RETRAIN_UNIT, SLIM_FINAL_FILE).tensors;
    const split = { weights: new Map<string, Float32Array>(), buffers: new Map<string, Float32Array>() };
    for (const [k, t] of tensors)
      (k.startsWith('buffer:') ? split.buffers : split.weights).set(
        k.replace(/^buffer:/, ''),
        t.data as Float32Array,
      );
    return split;
  };
  try {
    const done = readBackUnit<SlimRetrainResult>(run, SLIM_RETRAIN_UNIT, request.notify);
    if (done) return { dir: run.dir, result: done, slim, final: readFinal(), reused: true };
    const lease = await leaseUnit(run, SLIM_RETRAIN_UNIT, request);
    if (!lease) {
      const result = readBackUnit<SlimRetrainResult>(run, SLIM_RETRAIN_UNIT)!;
      return { dir: run.dir, result, slim, final: readFinal(), reused: true };
    }
    return await trainUnderLease(run, SLIM_RETRAIN_UNIT, lease, () =>
      trainUnit(run, lease, config, slim, request),
    );
  } finally {
    run.close();
  }
}

/** checkpoint.json's thread count, if it is readable. */
function checkpointThreads(dir: string): number | undefined {
  try {
    return (readJson(join(dir, 'checkpoint.json')) as { threads?: number }).threads;
  } catch {
    return undefined; // absent, or unreadable: resumableCheckpoint names and removes it
  }
}

async function trainUnit(
  run: Run,
  lease: Lease,
  config: SlimRetrainConfig,
  slim: SlimmedNetwork,
  request: SlimRetrainRequest,
): Promise<SlimRetrainRun> {
  const dir = run.unitDir(SLIM_RETRAIN_UNIT);
  if (run.isDone(SLIM_RETRAIN_UNIT)) run.invalidate(SLIM_RETRAIN_UNIT); // damaged (readBack said so)
  const { training } = config;
  const threads =
    request.training?.threads ??
    checkpointThreads(dir) ??
    (defaultOf(INPUT_SETTINGS.threads, defaultContext(training.model, training.dataset)) as number);
  const { checkpoint, discarded } = resumableCheckpoint(dir, threads);
  if (discarded !== undefined)
    request.notify?.(
      `the checkpoint of ${run.dir} cannot be resumed (${discarded}); it was removed and training starts ` +
        'again from iteration 0 (same result as an uninterrupted run)',
    );
  if (checkpoint)
    request.notify?.(`resuming at iteration ${checkpoint.iteration} from ${dir}/checkpoint.json`);
  const holding = () => {
    if (lease.lost)
      throw new UserError(
        `another process took over ${run.dir} (this one was stopped longer than its lease lasts); it finishes the run`,
      );
  };
  const data = await loadTrainData(training, request.dataDir);
  const { result, final } = await trainSlimmed(training, slim, config.retrainFrom, data, {
    threads,
    onProgress: (iteration, loss, iterations) => {
      holding();
      request.onProgress?.(iteration, loss, iterations);
    },
    checkpointing: {
      every: training.checkpointEvery,
      resume: checkpoint,
      save: (c: TrainCheckpoint) => {
        holding(); // never overwrite the checkpoint of the process that took the run over
        saveCheckpoint(dir, c, threads);
      },
    },
  });
  holding();
  saveWeights(join(dir, SLIM_FINAL_FILE), final);
  run.markDone(SLIM_RETRAIN_UNIT, result, { threads, files: [`${SLIM_RETRAIN_UNIT}/${SLIM_FINAL_FILE}`] });
  removeTrainCheckpoint(dir);
  return {
    dir: run.dir,
    result,
    slim,
    final,
    reused: false,
    ...(checkpoint ? { resumedAt: checkpoint.iteration } : {}),
  };
}
