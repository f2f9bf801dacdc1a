/** The pruning part of the settings table (settings.ts): what is pruned, how much, and how. */
import { z } from 'zod';
import { registeredChoice } from './choices.js';
import type { LayerKind } from './layers.js';
import { unlessGiven, whenModel } from './rules.js';
import { fromModel, group, setting } from './table.js';

// a rate of 1 would prune every remaining weight of its kind at the first level
const rate = z
  .number()
  .min(0)
  .max(1)
  .lt(1, 'a rate of 1 prunes every remaining weight of its kind at the first level; rates are in [0, 1)');

const pruningRate = <const K extends string>(key: K, kind: LayerKind, flag: string, help: string) =>
  setting({
    key,
    schema: rate,
    optional: true,
    default: fromModel((ctx) => ctx.model.defaults.pruning.rates[kind]),
    flag,
    commands: ['lottery'],
    help,
    affectsResults: true,
    appliesWhen: [
      unlessGiven(
        'target',
        '--target sets every rate (1 − target^(1/levels))',
        'give either --target or per-kind rates (--rate-fc, --rate-conv, --rate-output), not both',
      ),
      whenModel(
        `the model has ${kind} layers`,
        (m) => m.layerKinds.includes(kind),
        (m) => `${m.name} has no ${kind} layers`,
        `leave the ${kind} rate out: ${kind} layers are what it prunes`,
      ),
    ],
  });

export const PRUNING_SETTINGS = group({
  schedule: setting({
    key: 'pruningSchedule',
    schema: z.enum(['iterative', 'one-shot']),
    default: 'iterative',
    flag: '--pruning <schedule>',
    commands: ['lottery'],
    help: "iterative: p% of what remains per level; one-shot: level-0 weights straight to each level's target",
    affectsResults: true,
  }),
  strategy: setting({
    key: 'strategy',
    schema: registeredChoice('pruning.strategy', (name) => name),
    default: 'magnitude',
    flag: '--strategy <kind>',
    commands: ['lottery'],
    help: 'which weights to prune',
    affectsResults: true,
  }),
  scope: setting({
    key: 'scope',
    schema: registeredChoice('pruning.scope', (name) => name),
    default: fromModel((ctx) => ctx.model.defaults.pruning.scope),
    flag: '--scope <scope>',
    commands: ['lottery'],
    help: 'layerwise: one rate per layer; global: one threshold across the pooled layers; per-kind: one threshold per layer kind',
    affectsResults: true,
  }),
  rates: group({
    fc: pruningRate('rateFc', 'fc', '--rate-fc <p>', 'fraction of remaining fc weights pruned per level'),
    conv: pruningRate(
      'rateConv',
      'conv',
      '--rate-conv <p>',
      'fraction of remaining conv weights pruned per level',
    ),
    output: pruningRate(
      'rateOutput',
      'output',
      '--rate-output <p>',
      'fraction of remaining output-layer weights pruned per level',
    ),
    shortcut: pruningRate(
      'rateShortcut',
      'shortcut',
      '--rate-shortcut <p>',
      'fraction of remaining residual-projection (shortcut) weights pruned per level',
    ),
  }),
  pruneBiases: setting({
    key: 'pruneBiases',
    schema: z.boolean(),
    default: fromModel((ctx) => ctx.model.defaults.pruning.pruneBiases),
    flag: '--prune-biases',
    commands: ['lottery'],
    help: "prune biases too, at their layer's rate (the paper prunes weights only)",
    affectsResults: true,
  }),
  keep: setting({
    key: 'keep',
    schema: z.enum(['rate', 'std-threshold', 'threshold']),
    default: 'rate',
    flag: '--keep <rule>',
    commands: ['lottery'],
    help:
      'how many to keep: rate (the rates above); std-threshold: |p| > m + α·std(p) over every pruned tensor; ' +
      'threshold: |p| > --threshold-value',
    affectsResults: true,
  }),
  thresholdAlpha: setting({
    key: 'thresholdAlpha',
    schema: z.number(),
    default: 1,
    flag: '--threshold-alpha <a>',
    commands: ['lottery'],
    help: 'α of --keep std-threshold',
    affectsResults: true,
  }),
  thresholdCentre: setting({
    key: 'thresholdCentre',
    schema: z.enum(['mean', 'abs-mean']),
    default: 'mean',
    flag: '--threshold-centre <m>',
    commands: ['lottery'],
    help: 'm of --keep std-threshold: the mean of p (the course project’s code) or of |p| (its text)',
    affectsResults: true,
  }),
  thresholdValue: setting({
    key: 'thresholdValue',
    schema: z.number().min(0),
    default: 0,
    flag: '--threshold-value <t>',
    commands: ['lottery'],
    help: 'the magnitude below which (inclusive) --keep threshold prunes',
    affectsResults: true,
  }),
  keptWeights: setting({
    key: 'keptWeights',
    schema: registeredChoice('pruning.keptWeights', (name) => name),
    default: 'reset',
    flag: '--kept-weights <action>',
    commands: ['lottery'],
    help: 'what kept weights start from after the reset (Zhou et al.’s mask-1 actions; reset: as the reset gives them)',
    affectsResults: true,
  }),
  prunedWeights: setting({
    key: 'prunedWeights',
    schema: registeredChoice('pruning.prunedWeights', (name) => name),
    default: 'zero',
    flag: '--pruned-weights <action>',
    commands: ['lottery'],
    help: 'what pruned weights hold (Zhou et al.’s mask-0 actions: zero, or frozen at w_i, …)',
    affectsResults: true,
  }),
  supermask: setting({
    key: 'supermask',
    schema: z.boolean(),
    default: false,
    flag: '--supermask',
    commands: ['lottery'],
    help:
      'also record each unit’s accuracy before training: its mask on its starting weights, a random mask ' +
      'of the same per-layer sizes, and no mask (units already done are not measured again)',
    affectsResults: false,
  }),
  globalLayers: setting({
    key: 'globalLayers',
    schema: z.array(z.string()),
    optional: true,
    default: undefined,
    help: 'layers pooled for global pruning (default: all conv layers, else all fc layers)',
    affectsResults: true,
  }),
});
