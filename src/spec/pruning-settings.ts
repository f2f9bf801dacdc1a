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
  globalLayers: setting({
    key: 'globalLayers',
    schema: z.array(z.string()),
    optional: true,
    default: undefined,
    help: 'layers pooled for global pruning (default: all conv layers, else all fc layers)',
    affectsResults: true,
  }),
});
