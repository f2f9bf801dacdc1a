/**
 * From what a user asked for (flags, a preset) to a fully resolved LotteryConfig: every unset value
 * takes the model's paper default, so the stored config (and its hash) is complete.
 */
import { MODELS, type ModelEntry } from '../models/zoo.js';
import { rateForTarget } from '../prune/index.js';
import { UserError } from '../util/errors.js';
import { CONTROLS, DATASETS, type LotteryConfig, RESETS, lotteryConfigSchema } from './config.js';

export interface LotteryRequest {
  model?: string;
  dataset?: string;
  optimizer?: 'adam' | 'sgd';
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
  learningRate?: number;
  warmup?: number;
  milestones?: number[];
  gamma?: number;
  batchSize?: number;
  iterations?: number;
  evalEvery?: number;
  validationSize?: number;
  splitSeed?: number;
  normalization?: 'standardize' | 'unit';
  augment?: boolean;
  trainEvalSize?: number;
  dropout?: number;
  init?: LotteryConfig['init'];
  levels?: number;
  pruningSchedule?: 'iterative' | 'one-shot';
  strategy?: 'magnitude' | 'random';
  scope?: 'layerwise' | 'global';
  rateFc?: number;
  rateConv?: number;
  rateOutput?: number;
  /** Fraction of weights remaining after the last level; overrides the rates (p = 1 − target^(1/levels)). */
  target?: number;
  globalLayers?: string[];
  pruneBiases?: boolean;
  reset?: (typeof RESETS)[number];
  rewindIteration?: number;
  controls?: (typeof CONTROLS)[number][];
  controlLevels?: LotteryConfig['controlLevels'];
  trials?: number;
  seed?: number;
  divergenceLoss?: number;
  checkpointEvery?: number;
}

export function modelEntry(name: string): ModelEntry {
  const entry = MODELS[name];
  if (!entry)
    throw new UserError(`unknown model "${name}"`, `choose one of: ${Object.keys(MODELS).join(', ')}`);
  return entry;
}

/** The input shape a model sees for a dataset: MLPs take flat vectors, conv nets NCHW images. */
export function inputShapeFor(entry: ModelEntry, dataset: string): number[] {
  const image = dataset === 'cifar10' ? [3, 32, 32] : [1, 28, 28];
  return entry.defaultInput.length === 1 ? [image.reduce((a, b) => a * b, 1)] : image;
}

export function resolveConfig(req: LotteryRequest): LotteryConfig {
  const entry = modelEntry(req.model ?? 'lenet300');
  const d = entry.defaults;
  const dataset =
    req.dataset ?? (entry.defaultInput.length === 1 || entry.name === 'lenet5' ? 'mnist' : 'cifar10');
  if (!(DATASETS as readonly string[]).includes(dataset)) {
    throw new UserError(`unknown dataset "${dataset}"`, `choose one of: ${DATASETS.join(', ')}`);
  }
  const optimizerKind = req.optimizer ?? d.optimizer.kind;
  const optimizer =
    optimizerKind === 'adam'
      ? { kind: 'adam' as const, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: req.weightDecay ?? 0 }
      : {
          kind: 'sgd' as const,
          momentum: req.momentum ?? (d.optimizer.kind === 'sgd' ? (d.optimizer.momentum ?? 0) : 0.9),
          nesterov: req.nesterov ?? false,
          weightDecay: req.weightDecay ?? 0,
        };
  const levels = req.levels ?? 10;
  let rates = {
    fc: req.rateFc ?? d.pruneRates.fc,
    conv: req.rateConv ?? d.pruneRates.conv,
    output: req.rateOutput ?? d.pruneRates.output,
  };
  if (req.target !== undefined) {
    if (!(req.target > 0 && req.target <= 1)) {
      throw new UserError(`--target must be a fraction of weights remaining in (0, 1], got ${req.target}`);
    }
    if (levels < 1) throw new UserError('--target needs at least one level (--levels 1 for one-shot)');
    const p = rateForTarget(1 - req.target, levels);
    rates = {
      fc: rates.fc === undefined ? undefined : p,
      conv: rates.conv === undefined ? undefined : p,
      output: rates.output === undefined ? undefined : p,
    };
  }
  const config = {
    model: entry.name,
    dataset,
    inputShape: inputShapeFor(entry, dataset),
    optimizer,
    learningRate: req.learningRate ?? d.learningRate,
    schedule: { warmup: req.warmup ?? 0, milestones: req.milestones ?? [], gamma: req.gamma ?? 0.1 },
    batchSize: req.batchSize ?? d.batchSize,
    iterations: req.iterations ?? d.iterations,
    evalEvery: req.evalEvery ?? d.evalEvery,
    validationSize: req.validationSize ?? 5000,
    splitSeed: req.splitSeed ?? 0,
    normalization: req.normalization ?? 'standardize',
    augment: req.augment ?? false,
    trainEvalSize: req.trainEvalSize ?? 0,
    dropout: req.dropout ?? 0,
    init: req.init ?? 'glorot_normal',
    levels,
    pruning: {
      schedule: req.pruningSchedule ?? 'iterative',
      strategy: req.strategy ?? 'magnitude',
      scope: req.scope ?? 'layerwise',
      pruneBiases: req.pruneBiases ?? false,
      rates: Object.fromEntries(Object.entries(rates).filter(([, v]) => v !== undefined)),
      ...(req.globalLayers ? { globalLayers: req.globalLayers } : {}),
    },
    reset: req.reset ?? 'init',
    rewindIteration: req.rewindIteration ?? 0,
    controls: req.controls ?? [],
    ...(req.controlLevels ? { controlLevels: req.controlLevels } : {}),
    trials: req.trials ?? 1,
    seed: req.seed ?? 0,
    divergenceLoss: req.divergenceLoss ?? 1e4,
    checkpointEvery: req.checkpointEvery ?? 1000,
  };
  const parsed = lotteryConfigSchema.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(`invalid setting ${issue.path.join('.')}: ${issue.message}`);
  }
  const c = parsed.data;
  if (c.reset === 'rewind' && c.rewindIteration > c.iterations) {
    throw new UserError(
      `--rewind-iteration ${c.rewindIteration} is past the end of training (${c.iterations} iterations)`,
    );
  }
  if (c.evalEvery > c.iterations) c.evalEvery = c.iterations;
  return c;
}
