/**
 * The pruning granularity (prune/granularities/), a setting of the table (settings.ts): what is kept
 * or pruned together, between levels and during training. `weight` (every weight alone) is the
 * default, so a run without it keeps its identity. The names come from the granularity registry;
 * N:M (`2:4`) is a family of names checked here.
 */
import { z } from 'zod';
import { providedChoices } from './choices.js';
import type { LayerKind } from './layers.js';
import type { AppliesWhen, Refusal, RuleContext } from './rules.js';
import { setting } from './table.js';

/** N and M of an `N:M` name (1 ≤ N < M), or undefined. */
export function parseNM(name: string): { n: number; m: number } | undefined {
  const match = /^([1-9]\d*):([1-9]\d*)$/.exec(name);
  if (!match) return undefined;
  const n = Number(match[1]);
  const m = Number(match[2]);
  return n < m && m <= 1024 ? { n, m } : undefined;
}

/** Which weights a kind holds in the built-in models: dense [out, in] or conv [out, in, kh, kw]. */
const FORM_OF: Record<LayerKind, 'linear' | 'conv'> = {
  fc: 'linear',
  output: 'linear',
  conv: 'conv',
  shortcut: 'conv',
};

const isValid = (name: string) => {
  const names = providedChoices('granularity');
  return names === undefined || names.includes(name) || parseNM(name) !== undefined;
};

const gradualOn = (ctx: RuleContext) =>
  String((ctx.config.gradual as { schedule?: unknown } | undefined)?.schedule ?? 'none') !== 'none';
const levelsOf = (ctx: RuleContext) => Number(ctx.config.levels ?? 0);
const pruningOf = (ctx: RuleContext) =>
  ctx.config.pruning as { keep: string; pruneBiases: boolean; rates: Partial<Record<LayerKind, number>> };

/** The kinds some pruning touches: rated kinds between levels, --gradual-kinds during training. */
function prunedKinds(ctx: RuleContext): LayerKind[] {
  const kinds = new Set<LayerKind>();
  if (levelsOf(ctx) > 0)
    for (const [kind, rate] of Object.entries(pruningOf(ctx).rates))
      if ((rate ?? 0) > 0) kinds.add(kind as LayerKind);
  if (gradualOn(ctx))
    for (const kind of (ctx.config.gradual as { kinds: LayerKind[] }).kinds) kinds.add(kind);
  return [...kinds];
}

/** The pruned kinds `name` does not apply to (none while the registry is not loaded). */
function misfits(name: string, ctx: RuleContext): LayerKind[] {
  if (parseNM(name)) return [];
  return prunedKinds(ctx).filter((kind) => {
    const applying = providedChoices(`granularity.${FORM_OF[kind]}`);
    return applying !== undefined && !applying.includes(name);
  });
}

const pruning: AppliesWhen = {
  text: 'levels > 0 or --gradual',
  holds: (ctx) => levelsOf(ctx) > 0 || gradualOn(ctx),
  why: () => 'nothing is pruned (no levels and no --gradual)',
  fix: 'add --gradual <schedule> (train) or levels (lottery), or leave --granularity out',
};

const REFUSALS: Refusal<string>[] = [
  {
    text: 'not weight, with --keep std-threshold or threshold',
    refuses: (g, ctx) => g !== 'weight' && levelsOf(ctx) > 0 && pruningOf(ctx).keep !== 'rate',
    why: (g, ctx) => `prunes by ${g}, and --keep ${pruningOf(ctx).keep} prunes weight by weight`,
    fix: () => 'use --keep rate with --granularity, or leave --granularity out',
  },
  {
    text: 'not weight, with --prune-biases',
    refuses: (g, ctx) => g !== 'weight' && pruningOf(ctx).pruneBiases,
    why: (g) => `does not apply to biases (--prune-biases), which have no ${g}s`,
    fix: () => 'leave --prune-biases out, or leave --granularity out',
  },
  {
    text: 'kernel, channel or filter with pruned fc or output layers',
    refuses: (g, ctx) => misfits(g, ctx).length > 0,
    why: (g, ctx) => {
      const kinds = misfits(g, ctx);
      return `does not apply to ${kinds.join(' and ')} layers (${FORM_OF[kinds[0]]} weights), which are pruned`;
    },
    fix: (g, ctx) => {
      const kinds = misfits(g, ctx);
      const ways = [
        ...(levelsOf(ctx) > 0 ? [kinds.map((k) => `--rate-${k} 0`).join(' ')] : []),
        ...(gradualOn(ctx) ? [`--gradual-kinds without ${kinds.join(', ')}`] : []),
      ];
      return `prune only the layers it applies to (${ways.join('; ')}), or choose weight, row, column or N:M`;
    },
  },
  {
    text: 'N:M with --target',
    refuses: (g, ctx) => parseNM(g) !== undefined && ctx.given.has('target'),
    why: (g) => `prunes ${nmSparsity(g)} of the pruned layers by itself, so --target has nothing to set`,
    fix: () => 'leave --target out (a kind with a rate above 0 is pruned to N:M, one at 0 is not)',
  },
  {
    text: 'N:M with more than one level',
    refuses: (g, ctx) => parseNM(g) !== undefined && levelsOf(ctx) > 1,
    why: (g, ctx) => `reaches its sparsity at level 1; levels 2 to ${levelsOf(ctx)} would repeat level 1`,
    fix: () => 'add --levels 1',
  },
  {
    text: 'N:M with a --gradual-sparsity other than 1 − N/M',
    refuses: (g, ctx) => {
      const nm = parseNM(g);
      if (!nm || !gradualOn(ctx)) return false;
      const s = (ctx.config.gradual as { sparsity: number }).sparsity;
      return Math.floor(s * nm.m + 0.5 + 1e-7) !== nm.m - nm.n;
    },
    why: (g, ctx) =>
      `prunes ${nmSparsity(g)} by the end of the schedule, and --gradual-sparsity is ` +
      `${(ctx.config.gradual as { sparsity: number }).sparsity}`,
    fix: (g) => {
      const nm = parseNM(g)!;
      return `add --gradual-sparsity ${Number(((nm.m - nm.n) / nm.m).toFixed(4))}`;
    },
  },
];

const nmSparsity = (g: string) => {
  const nm = parseNM(g)!;
  return `${nm.m - nm.n} of every ${nm.m} weights (${Number(((100 * (nm.m - nm.n)) / nm.m).toFixed(2))}%)`;
};

export const GRANULARITY_SETTINGS = {
  granularity: setting({
    key: 'granularity',
    schema: z.string().refine(isValid, {
      error: (issue) =>
        `unknown pruning granularity "${String(issue.input)}": use one of ` +
        `${[...(providedChoices('granularity') ?? []), 'N:M (e.g. 2:4)'].join(', ')}`,
    }),
    default: 'weight',
    flag: '--granularity <g>',
    commands: ['train', 'lottery'],
    help: 'what is pruned together: weight, or fasterai’s row, column, channel, kernel, filter, or N:M (2:4); see README',
    affectsResults: true,
    appliesWhen: [pruning],
    refuse: REFUSALS,
  }),
} as const;
