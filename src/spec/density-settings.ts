/**
 * Explicit densities per level, a group of the settings table (settings.ts): the weights remaining
 * after each level 1..L, for ladders that are not geometric (the pruning study's one-shot 50 / 30 / 10%
 * remaining). Absent (the default), the per-level rates give the usual ladder (1 − p)^L, so runs that
 * do not give it keep their identity.
 */
import { z } from 'zod';
import { setting } from './table.js';

const isDecreasing = (ds: readonly number[]) => ds.every((d, i) => i === 0 || d < ds[i - 1]);

export const DENSITY_SETTINGS = {
  densities: setting({
    key: 'densities',
    schema: z.array(z.number().gt(0).lt(1, 'a density is the fraction of weights kept, in (0, 1)')).min(1),
    optional: true,
    default: undefined,
    flag: '--densities <list>',
    commands: ['lottery'],
    help:
      'fraction of the pruned weights remaining at each level 1..L, e.g. 0.5,0.3,0.1 (replaces every rate; ' +
      '--pruning one-shot prunes level 0 straight to each, iterative keeps d_L / d_(L−1) of the previous level)',
    affectsResults: true,
    refuse: [
      {
        text: 'a list whose length is not --levels',
        refuses: (ds, ctx) => ds !== undefined && ds.length !== ctx.config.levels,
        why: (ds, ctx) => `gives ${ds?.length} densities for ${String(ctx.config.levels)} levels`,
        fix: (ds) => `add --levels ${ds?.length}, or give one density per level`,
      },
      {
        text: 'densities that do not decrease',
        refuses: (ds) => ds !== undefined && !isDecreasing(ds),
        why: () => 'must decrease from level to level (each level prunes more)',
        fix: () => 'list the densities from the densest level to the sparsest, e.g. 0.5,0.3,0.1',
      },
      {
        text: 'densities with --target',
        refuses: (ds, ctx) => ds !== undefined && ctx.given.has('target'),
        why: () => 'and --target both set how much each level prunes',
        fix: () => 'give either --densities or --target',
      },
    ],
  }),
} as const;

/**
 * The rate level `level` (≥ 1) prunes at under `densities`: from the dense network (one-shot) or
 * from the previous level's density (iterative).
 */
export function densityRate(densities: readonly number[], level: number, fromDense: boolean): number {
  const to = densities[level - 1];
  if (to === undefined) throw new RangeError(`no density for level ${level} (${densities.length} given)`);
  const from = fromDense || level === 1 ? 1 : densities[level - 2];
  return 1 - to / from;
}
