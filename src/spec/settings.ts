/**
 * The settings table: every hyperparameter of a lottery run, declared once. Its nesting is the shape
 * of the resolved configuration (config.json); each entry gives validation, default, CLI flag, help
 * and whether it affects results. The config schema and type, the request type, the flags of `train`
 * and `lottery`, docs/settings.md and the run identity are all derived from it (see table.ts).
 */
import { z } from 'zod';
import { type FullOptimizerSpec, OPTIMIZER_DEFAULTS, type OptimizerKind } from './optimizer.js';
import { BN_INITS, type DefaultContext, inputShapeOf } from './defaults.js';
import { registeredChoice } from './choices.js';
import { PRUNING_SETTINGS } from './pruning-settings.js';
import { ENGINE_SETTINGS } from './engine-settings.js';
import { GRADUAL_SETTINGS } from './gradual-settings.js';
import { GRANULARITY_SETTINGS } from './granularity-settings.js';
import { RETRAIN_SETTINGS } from './retrain-settings.js';
import { SLIMMING_SETTINGS } from './slimming-settings.js';
import { DENSITY_SETTINGS } from './density-settings.js';
import { SNAPSHOT_SETTINGS } from './snapshot-settings.js';
import { SHARE_SETTINGS } from './share-settings.js';
import { WARMUP_SETTINGS } from './warmup-settings.js';
import { trainingExamples, whenDataset, whenModel, whenNotEmpty, whenSetting } from './rules.js';
import { DURATION_KEYS, type Duration, type DurationKey } from './durations.js';
import {
  type RequestOf,
  type ShapeValue,
  fromDataset,
  fromModel,
  group,
  oneOf,
  schemaOf,
  setting,
} from './table.js';

export const INITS = [
  'glorot_normal',
  'glorot_uniform',
  'kaiming_normal',
  'kaiming_uniform',
  'kaiming_normal_fan_out',
] as const;

const positiveInts = z.array(z.number().int().positive());

/** An optimizer field's default: the model's value when it is the model's optimizer, else the standard one. */
function optimizerField<K extends OptimizerKind, F extends keyof Extract<FullOptimizerSpec, { kind: K }>>(
  kind: K,
  field: F,
) {
  return fromModel((ctx: DefaultContext) => {
    const own = ctx.model.defaults.optimizer;
    return ((own.kind === kind ? own : OPTIMIZER_DEFAULTS[kind]) as Extract<FullOptimizerSpec, { kind: K }>)[
      field
    ];
  });
}

const weightDecay = setting({
  key: 'weightDecay',
  schema: z.number().min(0),
  default: fromModel((ctx) => {
    const own = ctx.model.defaults.optimizer;
    return own.kind === ctx.optimizerKind
      ? own.weightDecay
      : OPTIMIZER_DEFAULTS[ctx.optimizerKind].weightDecay;
  }),
  flag: '--weight-decay <wd>',
  help: 'L2 weight decay',
  affectsResults: true,
});

export const LOTTERY_SETTINGS = {
  model: setting({
    key: 'model',
    schema: z.string(),
    default: 'lenet300',
    flag: '--model <name>',
    choicesFrom: 'models',
    help: 'network',
    affectsResults: true,
  }),
  dataset: setting({
    key: 'dataset',
    schema: z.string(),
    default: fromModel((ctx) => ctx.model.defaults.dataset),
    flag: '--dataset <name>',
    choicesFrom: 'datasets',
    help: 'dataset',
    affectsResults: true,
  }),
  /** One example's shape as the model sees it (e.g. [784] for an MLP, [1, 28, 28] for a conv net). */
  inputShape: setting({
    key: 'inputShape',
    schema: z.array(z.number().int().positive()),
    default: fromDataset((ctx) => inputShapeOf(ctx.model.input, ctx.dataset)),
    derived: true,
    help: "one example's shape as the model sees it: the dataset's image, flattened for MLPs",
    affectsResults: true,
  }),
  optimizer: oneOf(
    'kind',
    setting({
      key: 'optimizer',
      schema: z.enum(['adam', 'sgd']),
      default: fromModel((ctx) => ctx.model.defaults.optimizer.kind),
      flag: '--optimizer <name>',
      help: 'optimizer',
      affectsResults: true,
    }),
    { weightDecay },
    {
      sgd: {
        momentum: setting({
          key: 'momentum',
          schema: z.number().min(0).max(1),
          default: optimizerField('sgd', 'momentum'),
          flag: '--momentum <m>',
          help: 'SGD momentum (0.9 when the model trains with another optimizer)',
          affectsResults: true,
        }),
        nesterov: setting({
          key: 'nesterov',
          schema: z.boolean(),
          default: optimizerField('sgd', 'nesterov'),
          flag: '--nesterov',
          help: 'SGD with Nesterov momentum',
          affectsResults: true,
        }),
      },
      adam: {
        beta1: setting({
          key: 'beta1',
          schema: z.number().min(0).lt(1),
          default: optimizerField('adam', 'beta1'),
          help: "Adam's β1",
          affectsResults: true,
        }),
        beta2: setting({
          key: 'beta2',
          schema: z.number().min(0).lt(1),
          default: optimizerField('adam', 'beta2'),
          help: "Adam's β2",
          affectsResults: true,
        }),
        eps: setting({
          key: 'eps',
          schema: z.number().positive(),
          default: optimizerField('adam', 'eps'),
          help: "Adam's ε",
          affectsResults: true,
        }),
      },
    },
  ),
  learningRate: setting({
    key: 'learningRate',
    schema: z.number().positive(),
    default: fromModel((ctx) => ctx.model.defaults.learningRate),
    flag: '--lr <rate>',
    help: 'learning rate',
    affectsResults: true,
  }),
  schedule: group({
    warmup: setting({
      key: 'warmup',
      schema: z.number().int().min(0),
      default: fromModel((ctx) => ctx.model.defaults.schedule.warmup),
      flag: '--warmup <n>',
      help: 'linear learning-rate warmup iterations (0 = none; or epochs: 2ep, 1ep500it)',
      affectsResults: true,
    }),
    ...WARMUP_SETTINGS,
    milestones: setting({
      key: 'milestones',
      schema: positiveInts,
      default: fromModel((ctx) => ctx.model.defaults.schedule.milestones),
      flag: '--milestones <list>',
      help: 'step decay: iterations (or epochs, 80ep) at which the rate is multiplied by --gamma (comma list)',
      affectsResults: true,
    }),
    gamma: setting({
      key: 'gamma',
      schema: z.number().positive(),
      default: fromModel((ctx) => ctx.model.defaults.schedule.gamma),
      flag: '--gamma <g>',
      help: 'step-decay factor',
      affectsResults: true,
      appliesWhen: whenNotEmpty(
        'schedule.milestones',
        'give --milestones too (the iterations at which the rate is multiplied by --gamma), or leave --gamma out',
      ),
    }),
  }),
  batchSize: setting({
    key: 'batchSize',
    schema: z.number().int().positive(),
    default: fromModel((ctx) => ctx.model.defaults.batchSize),
    flag: '--batch-size <n>',
    help: 'batch size',
    affectsResults: true,
    refuse: [
      {
        text: 'larger than the training set',
        // (no training examples at all is --validation-size's own refusal)
        refuses: (n, ctx) => {
          const examples = trainingExamples(ctx);
          return examples !== undefined && examples > 0 && n > examples;
        },
        why: (_, ctx) =>
          `is larger than the training set (${trainingExamples(ctx)} examples of ${ctx.dataset.name} once ` +
          `${String(ctx.config.validationSize)} are held out for validation)`,
        fix: (_, ctx) => `use a batch size of at most ${trainingExamples(ctx)}`,
      },
    ],
  }),
  iterations: setting({
    key: 'iterations',
    schema: z.number().int().positive(),
    default: fromModel((ctx) => ctx.model.defaults.iterations),
    flag: '--iterations <n>',
    help: 'training iterations per level (or epochs: 160ep, 2ep500it)',
    affectsResults: true,
  }),
  evalEvery: setting({
    key: 'evalEvery',
    schema: z.number().int().positive(),
    // never past the end of training: a longer interval is cut to the iterations
    default: fromModel((ctx) => Math.min(ctx.model.defaults.evalEvery, ctx.iterations)),
    flag: '--eval-every <n>',
    help: 'evaluate on validation and test every n iterations (or epochs: 1ep)',
    affectsResults: true,
  }),
  durations: setting({
    key: 'durations',
    schema: z.partialRecord(z.enum(DURATION_KEYS), z.union([z.string(), z.array(z.string())])),
    optional: true,
    default: undefined,
    derived: true,
    help: 'the durations given with units, as given (e.g. {"iterations": "160ep"}); the settings above hold the iterations they come to',
    affectsResults: false,
  }),
  validationSize: setting({
    key: 'validationSize',
    schema: z.number().int().min(1),
    // the paper's 5,000; an imported image folder holds out a tenth of its training images
    default: fromDataset((ctx) => ctx.dataset.defaultValidationSize ?? 5000),
    flag: '--validation-size <n>',
    help: 'examples held out of the training set for validation (imported image folders: a tenth)',
    affectsResults: true,
    refuse: [
      {
        text: 'no training examples left',
        refuses: (n, ctx) => n >= (ctx.dataset.trainCount ?? Infinity),
        why: (_, ctx) =>
          `leaves no training examples (${ctx.dataset.name} has ${ctx.dataset.trainCount} in its training split)`,
        fix: (_, ctx) => `hold out fewer than ${ctx.dataset.trainCount} examples`,
      },
    ],
  }),
  splitSeed: setting({
    key: 'splitSeed',
    schema: z.number().int().min(0),
    default: 0,
    help: 'seed of the split of the training set into training and validation examples',
    affectsResults: true,
  }),
  normalization: setting({
    key: 'normalization',
    schema: z.enum(['standardize', 'unit']),
    default: 'standardize',
    flag: '--normalization <kind>',
    help: "input normalization: the dataset's per-channel mean and std, or pixels scaled to [0, 1]",
    affectsResults: true,
  }),
  augment: setting({
    key: 'augment',
    schema: z.boolean(),
    default: false,
    flag: '--augment',
    help: 'random crop (4-pixel padding) and horizontal flip, for CIFAR-10',
    affectsResults: true,
    appliesWhen: whenDataset(
      'the dataset is in colour (CIFAR-10)',
      (d) => d.channels === 3,
      (d) => `${d.name} is grayscale (crops and flips are CIFAR-10's augmentation)`,
      'leave --augment out, or use --dataset cifar10',
    ),
  }),
  trainEvalSize: setting({
    key: 'trainEvalSize',
    schema: z.number().int().min(0),
    default: 0,
    flag: '--train-eval-size <n>',
    help: 'measure training accuracy on a fixed sample of n training examples (0 = off)',
    affectsResults: true,
  }),
  dropout: setting({
    key: 'dropout',
    schema: z.number().min(0).lt(1),
    default: 0,
    flag: '--dropout <rate>',
    help: 'dropout on the fc layers of Conv-2/4/6',
    affectsResults: true,
    appliesWhen: whenModel(
      'the model has dropout layers',
      (m) => m.dropout,
      (m) => `${m.name} has no dropout layers`,
      'leave --dropout out, or use a model with dropout layers (conv2, conv4, conv6)',
    ),
  }),
  init: setting({
    key: 'init',
    schema: z.enum(INITS),
    default: fromModel((ctx) => ctx.model.defaults.init ?? 'glorot_normal'),
    flag: '--init <kind>',
    help: 'weight initialization (kaiming_normal: fan-in, as OpenLTH; kaiming_normal_fan_out: as torchvision)',
    affectsResults: true,
  }),
  bnInit: setting({
    key: 'bnInit',
    schema: z.enum(BN_INITS),
    optional: true,
    default: fromModel((ctx) => ctx.model.defaults.bnInit),
    flag: '--bn-init <kind>',
    help: 'BatchNorm γ initialization: uniform U[0, 1) (OpenLTH), one (PyTorch), half (network slimming)',
    affectsResults: true,
  }),
  ...SLIMMING_SETTINGS,
  ...SNAPSHOT_SETTINGS,
  levels: setting({
    key: 'levels',
    schema: z.number().int().min(0),
    default: 10,
    flag: '--levels <n>',
    commands: ['lottery'],
    help: 'pruning levels after the dense level 0 (more levels reuse the levels already done)',
    affectsResults: false,
  }),
  pruning: PRUNING_SETTINGS,
  ...DENSITY_SETTINGS,
  gradual: GRADUAL_SETTINGS,
  ...GRANULARITY_SETTINGS,
  reset: setting({
    key: 'reset',
    schema: registeredChoice('reset', (name) => name),
    default: 'init',
    flag: '--reset <kind>',
    commands: ['lottery'],
    help:
      'reset survivors to θ₀ (init), θ_k (rewind), a fresh init (reinit) or keep training (none); ' +
      'retrain for T − k steps (Renda et al.): finetune, weight-rewind (θ_k, schedule from k), lr-rewind (trained weights, schedule from k)',
    affectsResults: true,
  }),
  ...RETRAIN_SETTINGS,
  rewindIteration: setting({
    key: 'rewindIteration',
    schema: z.number().int().min(0),
    default: 0,
    flag: '--rewind-iteration <k>',
    commands: ['lottery'],
    help:
      'k for --reset rewind: survivors restart from the weights after k iterations (θ_k; or epochs: 1ep); ' +
      'for weight-rewind, lr-rewind and finetune also where the schedule restarts (retraining runs T − k steps)',
    affectsResults: true,
    appliesWhen: whenSetting(
      'reset',
      ['rewind', 'weight-rewind', 'lr-rewind', 'finetune'],
      'add --reset rewind (or weight-rewind, lr-rewind, finetune), or leave --rewind-iteration out',
    ),
    requiredWhenApplies: true,
    refuse: [
      {
        text: 'past the end of training',
        refuses: (k, ctx) => k > Number(ctx.config.iterations),
        why: (_, ctx) => `is past the end of training (${String(ctx.config.iterations)} iterations)`,
        fix: (_, ctx) => `rewind to an iteration of at most ${String(ctx.config.iterations)}`,
      },
    ],
  }),
  controls: setting({
    key: 'controls',
    schema: registeredChoice('controls', (name) => z.array(name)),
    default: [],
    flag: '--controls <list>',
    commands: ['lottery'],
    help: 'controls per level (comma list, or none); adding one reuses the units already done',
    affectsResults: false,
    refuse: [
      {
        text: 'one-shot with --pruning one-shot (it would duplicate the ticket)',
        refuses: (controls, ctx) =>
          controls.includes('one-shot') &&
          (ctx.config.pruning as { schedule: string }).schedule === 'one-shot',
        why: () => 'duplicates the ticket: with --pruning one-shot the ticket itself is pruned in one shot',
        fix: () => 'drop one-shot from --controls, or use --pruning iterative',
      },
    ],
  }),
  controlLevels: setting({
    key: 'controlLevels',
    schema: registeredChoice('controls', (name) => z.partialRecord(name, positiveInts)),
    optional: true,
    default: undefined,
    help: 'train a control only at these levels, e.g. {"random-prune": [2, 4]} (default: every level)',
    affectsResults: false,
    refuse: [
      {
        text: 'controls that are not run',
        refuses: (only, ctx) =>
          Object.keys(only ?? {}).some((c) => !(ctx.config.controls as string[]).includes(c)),
        why: (only, ctx) =>
          `names controls that are not run (${Object.keys(only ?? {})
            .filter((c) => !(ctx.config.controls as string[]).includes(c))
            .join(', ')})`,
        fix: () => 'add them to controls, or leave them out of controlLevels',
      },
    ],
  }),
  trials: setting({
    key: 'trials',
    schema: z.number().int().min(1),
    default: 1,
    flag: '--trials <n>',
    help: 'independent trials (seeds seed, seed+1, ...)',
    affectsResults: false,
  }),
  seed: setting({
    key: 'seed',
    schema: z.number().int().min(0),
    default: 0,
    flag: '--seed <n>',
    help: 'seed of the first trial',
    affectsResults: true,
  }),
  divergenceLoss: setting({
    key: 'divergenceLoss',
    schema: z.number().positive(),
    default: 1e4,
    help: 'stop as diverged when the training loss exceeds this',
    affectsResults: true,
  }),
  checkpointEvery: setting({
    key: 'checkpointEvery',
    schema: z.number().int().min(0),
    default: 1000,
    flag: '--checkpoint-every <n>',
    help: 'save a resumable checkpoint every n iterations (0 = never); resuming gives identical results',
    affectsResults: false,
  }),
  ...ENGINE_SETTINGS,
  ...SHARE_SETTINGS,
} as const;

/**
 * Inputs that are not stored as such: `target` sets the pruning rates; `threads` is how a unit runs
 * (it changes the order of floating-point sums, so it is recorded with each unit, not in the identity).
 */
/** Threads of a run whose model records no measured default. */
export const DEFAULT_THREADS = 2;

export const INPUT_SETTINGS = {
  target: setting({
    key: 'target',
    schema: z
      .number()
      .gt(0, 'target is the fraction of weights remaining after the last level, in (0, 1]')
      .max(1, 'must be a fraction of weights remaining in (0, 1]'),
    optional: true,
    default: undefined,
    flag: '--target <fraction>',
    commands: ['lottery'],
    help: 'weights remaining after the last level; sets every rate to 1 - target^(1/levels)',
    affectsResults: true,
  }),
  threads: setting({
    key: 'threads',
    schema: z.number().int().min(1),
    default: fromModel((ctx) => ctx.model.defaults.threads ?? DEFAULT_THREADS),
    flag: '--threads <n>',
    commands: ['train', 'lottery', 'reproduce'],
    help:
      'onnxruntime intra-op threads; default: the count a run’s units were computed with when it has some ' +
      '(results depend on it), else the model’s measured default (docs/threads.md)',
    affectsResults: false,
  }),
} as const;

export const lotteryConfigSchema = schemaOf(LOTTERY_SETTINGS);
export type LotteryConfig = ShapeValue<typeof LOTTERY_SETTINGS>;
/** What a preset or a user asks for, by flat key; everything left out takes its default. */
export type LotteryRequest = Omit<RequestOf<typeof LOTTERY_SETTINGS>, DurationKey> & {
  [K in Exclude<DurationKey, 'milestones' | 'saveWeightsAt'>]?: Duration;
} & { milestones?: Duration[]; saveWeightsAt?: Duration[]; target?: number };
