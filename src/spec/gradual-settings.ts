/**
 * The settings of pruning during training (fasterai's SparsifyCallback; see train/gradual.ts), a group
 * of the settings table (settings.ts). Off by default (`none`): a run without them keeps its identity.
 */
import { z } from 'zod';
import { registeredChoice } from './choices.js';
import { LAYER_KINDS, type LayerKind } from './layers.js';
import type { AppliesWhen } from './rules.js';
import { fromModel, group, setting } from './table.js';

const scheduleOf = (config: Record<string, unknown>) =>
  String((config.gradual as { schedule?: unknown } | undefined)?.schedule ?? 'none');
const resetOf = (config: Record<string, unknown>) =>
  String((config.gradual as { reset?: unknown } | undefined)?.reset ?? 'none');

const whenGradual: AppliesWhen = {
  text: 'gradual.schedule is not none',
  holds: (ctx) => scheduleOf(ctx.config) !== 'none',
  why: () => 'no pruning during training (gradual.schedule is none)',
  fix: 'add --gradual <schedule> (e.g. iterative), or leave this setting out',
};

const whenSchedule = (name: string): AppliesWhen => ({
  text: `gradual.schedule is ${name}`,
  holds: (ctx) => scheduleOf(ctx.config) === name,
  why: (ctx) => `gradual.schedule is ${scheduleOf(ctx.config)}`,
  fix: `add --gradual ${name}, or leave this setting out`,
});

const whenReset = (values: string[]): AppliesWhen => ({
  text: `gradual.reset is ${values.join(' or ')}`,
  holds: (ctx) => values.includes(resetOf(ctx.config)),
  why: (ctx) => `gradual.reset is ${resetOf(ctx.config)}`,
  fix: `add --gradual-reset ${values[0]}, or leave this setting out`,
});

const fraction = z.number().min(0).max(1);

export const GRADUAL_SETTINGS = group({
  schedule: setting({
    key: 'gradualSchedule',
    schema: registeredChoice('gradual.schedule', (name) => name),
    default: 'none',
    flag: '--gradual <schedule>',
    commands: ['train', 'lottery'],
    help: 'prune during level 0 on this sparsity schedule (one_shot, iterative, agp, one_cycle, cos, lin, dsd); none = only between levels',
    affectsResults: true,
  }),
  sparsity: setting({
    key: 'gradualSparsity',
    schema: z.number().min(0).lt(1, 'a sparsity of 1 prunes every weight'),
    default: 0.5,
    flag: '--gradual-sparsity <s>',
    commands: ['train', 'lottery'],
    help: 'fraction of the pruned layers removed by the end of the schedule',
    affectsResults: true,
    appliesWhen: [whenGradual],
  }),
  start: setting({
    key: 'gradualStart',
    schema: fraction,
    optional: true,
    default: undefined,
    flag: '--gradual-start <fraction>',
    commands: ['train', 'lottery'],
    help: "start of the pruning window, a fraction of training (default: the schedule's, as fasterai: one_shot 0.5, iterative and agp 0.2, others 0)",
    affectsResults: true,
    appliesWhen: [whenGradual],
  }),
  end: setting({
    key: 'gradualEnd',
    schema: fraction,
    default: 1,
    flag: '--gradual-end <fraction>',
    commands: ['train', 'lottery'],
    help: 'end of the pruning window, a fraction of training',
    affectsResults: true,
    appliesWhen: [whenGradual],
  }),
  steps: setting({
    key: 'gradualSteps',
    schema: z.number().int().min(1),
    default: 3,
    flag: '--gradual-steps <n>',
    commands: ['train', 'lottery'],
    help: 'equal steps of the iterative schedule',
    affectsResults: true,
    appliesWhen: [whenSchedule('iterative')],
  }),
  every: setting({
    key: 'gradualEvery',
    schema: z.number().int().min(0),
    default: 0,
    flag: '--gradual-every <n>',
    commands: ['train', 'lottery'],
    help: "prune only every n iterations (0: whenever the schedule's value changes)",
    affectsResults: true,
    appliesWhen: [whenGradual],
  }),
  kinds: setting({
    key: 'gradualKinds',
    schema: z.array(z.enum(LAYER_KINDS)).min(1),
    default: fromModel<LayerKind[]>((ctx) =>
      ctx.model.input === 'image' ? ['conv', 'shortcut'] : ['fc', 'output'],
    ),
    flag: '--gradual-kinds <list>',
    commands: ['train', 'lottery'],
    help: 'layer kinds pruned during training (fasterai: every Conv2d, i.e. conv and shortcut; MLPs: fc and output)',
    affectsResults: true,
    appliesWhen: [whenGradual],
  }),
  reset: setting({
    key: 'gradualReset',
    schema: z.enum(['none', 'lth', 'rewind']),
    default: 'none',
    flag: '--gradual-reset <mode>',
    commands: ['train', 'lottery'],
    help: 'after each pruning step: none, lth (survivors back to θ₀) or rewind (to θ_k)',
    affectsResults: true,
    appliesWhen: [whenGradual],
  }),
  rewindIteration: setting({
    key: 'gradualRewindIteration',
    schema: z.number().int().min(0),
    default: 0,
    flag: '--gradual-rewind-iteration <k>',
    commands: ['train', 'lottery'],
    help: 'k of --gradual-reset rewind (iterations, or epochs: 1ep); no later than the first pruning step',
    affectsResults: true,
    appliesWhen: [whenGradual, whenReset(['rewind'])],
    requiredWhenApplies: true,
  }),
  batchNorm: setting({
    key: 'gradualBatchNorm',
    schema: z.enum(['reinit', 'rewind']),
    default: 'reinit',
    flag: '--gradual-batchnorm <mode>',
    commands: ['train', 'lottery'],
    help: "BatchNorm on a reset: reinit (its initial γ, β and statistics, as fasterai) or rewind (the snapshot's)",
    affectsResults: true,
    appliesWhen: [whenGradual, whenReset(['lth', 'rewind'])],
  }),
  resetEnd: setting({
    key: 'gradualResetEnd',
    schema: z.boolean(),
    default: false,
    flag: '--gradual-reset-end',
    commands: ['train', 'lottery'],
    help: 'at the end, evaluate the final mask on θ₀ untrained (retrain it as level 1: --levels 1, rates 0, --reset init)',
    affectsResults: true,
    appliesWhen: [whenGradual],
  }),
});
