/**
 * Retraining a physically slimmed network (network slimming's --refine, Early-Bird's main_c): the
 * thinner dense network `slimNetwork` rebuilt from a trained unit is trained further from its surviving
 * weights (`slimmed`), or from a fresh initialization of the thin architecture (`scratch`). The
 * training settings are the settings table's: the source run's own, with the ones given replacing them.
 * This file derives those settings and trains; storing, checkpointing and resuming is slim-retrain.ts.
 */
import { TrainingEngine } from '../engine/engine.js';
import { type ModelCost, modelCost } from '../engine/cost.js';
import { type LotteryConfig, type LotteryRequest, isPrunable, trialSeed } from '../lottery/config.js';
import { CONFIG_LEAVES, resolveConfig } from '../lottery/resolve.js';
import { countKept } from '../prune/masks.js';
import type { SlimmedNetwork } from '../prune/structured/index.js';
import { getPath } from '../spec/table.js';
import type { TrainData } from '../train/data.js';
import type { EvalPoint } from '../train/trainer.js';
import { UserError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { type UnitCheckpointing, trainOnSchedule } from './single-unit-run.js';
import { RETRAIN_SETTING_KEYS, type RetrainFrom } from './slim-retrain-settings.js';

export { RETRAIN_FROM, type RetrainFrom, RETRAIN_SETTING_KEYS } from './slim-retrain-settings.js';

/** Config paths (first part) taken from the source run when not given: how it was trained. */
const CARRIED = new Set([
  'optimizer',
  'learningRate',
  'schedule',
  'batchSize',
  'iterations',
  'evalEvery',
  'validationSize',
  'splitSeed',
  'normalization',
  'augment',
  'trainEvalSize',
  'dropout',
  'init',
  'bnInit',
  'divergenceLoss',
  'checkpointEvery',
]);

/**
 * The configuration a slimmed network of trial `trial` of `source` retrains with: the source run's
 * training settings, the `given` ones (settings-table keys) replacing them, seed the trial's unless
 * given, one training (levels 0), no BatchNorm penalty nor early-bird recording unless given.
 */
export function retrainConfig(
  source: LotteryConfig,
  trial: number,
  given: Partial<LotteryRequest>,
  retrainFrom: RetrainFrom,
): LotteryConfig {
  const unknown = Object.keys(given).filter(
    (k) =>
      (given as Record<string, unknown>)[k] !== undefined &&
      !(RETRAIN_SETTING_KEYS as readonly string[]).includes(k),
  );
  if (unknown.length)
    throw new UserError(
      `retraining a slimmed network takes its model, data and split from the source run; ${unknown.join(', ')} cannot be set`,
      `leave ${unknown.join(', ')} out (retraining settings: ${RETRAIN_SETTING_KEYS.join(', ')})`,
    );
  if (given.init !== undefined && retrainFrom !== 'scratch')
    throw new UserError(
      `--init ${given.init} draws a fresh initialization, and --retrain-from ${retrainFrom} starts from the slimmed weights`,
      'add --retrain-from scratch, or leave --init out',
    );
  const request: Record<string, unknown> = {
    model: source.model,
    dataset: source.dataset,
    levels: 0,
    seed: trialSeed(source, trial),
  };
  const kindChanged = given.optimizer !== undefined && given.optimizer !== source.optimizer.kind;
  for (const leaf of CONFIG_LEAVES) {
    if (!CARRIED.has(leaf.path[0])) continue;
    // another optimizer: its own momentum, betas and so on (weight decay carries over)
    if (kindChanged && leaf.path[0] === 'optimizer' && leaf.path[1] !== 'weightDecay') continue;
    const value = getPath(source, leaf.path);
    if (value !== undefined) request[leaf.setting.key] = structuredClone(value);
  }
  for (const [k, v] of Object.entries(given)) if (v !== undefined) request[k] = v;
  // the rule of a warmup start applies only with a warmup (the source may record its former rule)
  if (request.warmup === 0 && given.warmupFrom === undefined) delete request.warmupFrom;
  return resolveConfig(request as LotteryRequest);
}

/** Kept entries of masks, of all. */
export function maskCounts(masks: ReadonlyMap<string, Uint8Array>): { kept: number; total: number } {
  let kept = 0;
  let total = 0;
  for (const m of masks.values()) {
    total += m.length;
    kept += countKept(m);
  }
  return { kept, total };
}

export interface SlimRetrainResult {
  model: string;
  dataset: string;
  retrainFrom: RetrainFrom;
  seed: number;
  iterations: number;
  /** Channels kept of all removable ones, and per group. */
  channels: { kept: number; total: number };
  groups: { name: string; channels: number; kept: number }[];
  /**
   * A pruned unit's unstructured mask, sliced to the thin network and kept while retraining: masked
   * weights kept of all masked ones, and the retrained thin network's non-zero parameters (of
   * `after.parameters`). Absent for a dense unit.
   */
  unitMask?: { kept: number; total: number; nonzeroParameters: number };
  /** The wide network and the thin one: parameters and multiply-adds per example. */
  before: Pick<ModelCost, 'parameters' | 'flops'>;
  after: Pick<ModelCost, 'parameters' | 'flops'>;
  /** The slimmed network (the surviving trained weights) before any retraining. */
  beforeRetraining: { validationAccuracy: number; testAccuracy: number; testLoss: number };
  /** Validation and test accuracy during retraining. */
  curve: EvalPoint[];
  finalTestAccuracy: number;
  /** The highest test accuracy of the curve (what network slimming and Early-Bird report). */
  bestTestAccuracy: number;
  /** Test accuracy at the minimum validation loss (the project's early-stopping rule). */
  earlyStopIteration: number;
  testAccuracyAtEarlyStop: number;
  wallSeconds: number;
  threads: number;
}

/**
 * An engine for the thin network with its starting weights: the slimmed ones (their BatchNorm
 * statistics included), or a fresh initialization from `config.seed`; a fresh optimizer either way.
 * The caller releases it.
 */
export async function slimEngine(
  config: LotteryConfig,
  slim: SlimmedNetwork,
  retrainFrom: RetrainFrom,
  threads: number,
): Promise<TrainingEngine> {
  const unitMasks = slim.unitMasks;
  const engine = await TrainingEngine.create(slim.model, {
    batchSize: config.batchSize,
    optimizer: config.optimizer,
    threads,
    // a pruned unit's parameters are masked as its mask says (the source run's pruning scope)
    masked: unitMasks ? (decl) => unitMasks.has(decl.name) : (decl) => isPrunable(config, decl),
    ...(config.bnL1 > 0 ? { bnL1: config.bnL1 } : {}),
  });
  if (unitMasks) {
    // as a lottery unit is masked: pruned weights held at their values in the slimmed weights (0 for
    // the zero action), their gradients and optimizer state 0; a fresh init holds them at 0
    const frozen = new Map([...unitMasks.keys()].map((name) => [name, slim.weights.weights.get(name)!]));
    await engine.setMasks(unitMasks, retrainFrom === 'slimmed' ? { frozen } : {});
  }
  startFrom(engine, config, slim, retrainFrom);
  return engine;
}

function startFrom(
  engine: TrainingEngine,
  config: LotteryConfig,
  slim: SlimmedNetwork,
  retrainFrom: RetrainFrom,
): void {
  if (retrainFrom === 'scratch') engine.initialize(config.seed);
  else engine.setWeights(slim.weights.weights, slim.weights.buffers);
  engine.resetOptimizer();
  engine.setDropoutSeed(Rng.derive(config.seed, 'dropout', 'slim-retrain').uint32());
}

export interface SlimTrainOptions {
  threads: number;
  onProgress?: (iteration: number, loss: number, iterations: number) => void;
  checkpointing?: UnitCheckpointing;
}

/** Retrains the slimmed network; returns the result and the final weights and buffers. */
export async function trainSlimmed(
  config: LotteryConfig,
  slim: SlimmedNetwork,
  retrainFrom: RetrainFrom,
  data: TrainData,
  opts: SlimTrainOptions,
): Promise<{
  result: SlimRetrainResult;
  final: { weights: Map<string, Float32Array>; buffers: Map<string, Float32Array> };
}> {
  const engine = await slimEngine(config, slim, retrainFrom, opts.threads);
  try {
    // the slimmed network as it is, before retraining (its accuracy whichever start is trained)
    if (retrainFrom === 'scratch') engine.setWeights(slim.weights.weights, slim.weights.buffers);
    const val = await engine.evaluate(data.validation.x, data.validation.y, data.validation.count);
    const test = await engine.evaluate(data.test.x, data.test.y, data.test.count);
    startFrom(engine, config, slim, retrainFrom);
    const trained = await trainOnSchedule(engine, data, config, {
      ...(opts.onProgress ? { onProgress: (p) => opts.onProgress!(p.iteration, p.loss, p.iterations) } : {}),
      ...(opts.checkpointing ? { checkpointing: opts.checkpointing } : {}),
    });
    const kept = slim.groups.reduce((a, g) => a + g.kept, 0);
    const total = slim.groups.reduce((a, g) => a + g.channels, 0);
    const result: SlimRetrainResult = {
      model: config.model,
      dataset: config.dataset,
      retrainFrom,
      seed: config.seed,
      iterations: config.iterations,
      channels: { kept, total },
      groups: slim.groups,
      before: { parameters: slim.before.parameters, flops: slim.before.flops },
      after: { parameters: slim.after.parameters, flops: slim.after.flops },
      beforeRetraining: {
        validationAccuracy: val.accuracy,
        testAccuracy: test.accuracy,
        testLoss: test.loss,
      },
      curve: trained.curve,
      finalTestAccuracy: trained.finalTestAccuracy,
      bestTestAccuracy: Math.max(...trained.curve.map((c) => c.testAccuracy)),
      earlyStopIteration: trained.earlyStopIteration,
      testAccuracyAtEarlyStop: trained.testAccuracyAtEarlyStop,
      wallSeconds: trained.wallSeconds,
      threads: engine.threads,
    };
    const final = { weights: engine.getWeights(), buffers: engine.getBuffers() };
    if (slim.unitMasks) {
      const nonzeroParameters = modelCost(slim.model, final.weights).nonzeroParameters;
      result.unitMask = { ...maskCounts(slim.unitMasks), nonzeroParameters };
    }
    return { result, final };
  } finally {
    await engine.release();
  }
}
