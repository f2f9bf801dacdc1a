/**
 * Pruning to a sparsity at a granularity (pruning during training, train/gradual.ts): a pool's size
 * and kept count in the granularity's units, growing units back for a falling schedule, and N:M
 * brought to the schedule's value.
 */
import type { Rng } from '../../util/rng.js';
import { countOnes } from '../count.js';
import { layerSize, pruneMasks } from '../masks.js';
import { prunedCount } from '../schedule.js';
import type { Masks, PrunableLayer, WeightSources, Weights } from '../types.js';
import { groupLayout, groupMask, growGroups } from './layout.js';
import { nmMask } from './n-m.js';
import { isPerWeight } from './registry.js';
import type { Granularity } from './types.js';

/** How a pool is counted and grown back: in weights, or in groups (a group counts while one weight is kept). */
export interface PoolCounter {
  sizes(layers: readonly PrunableLayer[], masks: Masks): { total: number; kept: number };
  /** Grows back `count` pruned units, in layer order then position (they restart at 0). */
  regrow(layers: readonly PrunableLayer[], masks: Masks, count: number): void;
}

const byWeight: PoolCounter = {
  sizes: (layers, masks) => ({
    total: layers.reduce((s, l) => s + layerSize(l), 0),
    kept: layers.reduce((s, l) => s + countOnes(masks.get(l.name)!), 0),
  }),
  regrow(layers, masks, count) {
    for (const l of layers) {
      const m = masks.get(l.name)!;
      for (let i = 0; i < m.length && count > 0; i++)
        if (m[i] === 0) {
          m[i] = 1;
          count--;
        }
    }
  },
};

const byGroup = (g: Granularity): PoolCounter => ({
  sizes(layers, masks) {
    let total = 0;
    let kept = 0;
    for (const l of layers) {
      const layout = groupLayout(g, l);
      total += layout.count;
      kept += countOnes(groupMask(layout, masks.get(l.name)!));
    }
    return { total, kept };
  },
  regrow(layers, masks, count) {
    for (const l of layers) {
      const layout = groupLayout(g, l);
      const mask = masks.get(l.name)!;
      const groups = groupMask(layout, mask);
      const grown = new Uint8Array(layout.count);
      for (let i = 0; i < layout.count && count > 0; i++)
        if (groups[i] === 0) {
          grown[i] = 1;
          count--;
        }
      growGroups(layout, grown, mask);
    }
  },
});

/** The counter of a group granularity (weight included); N:M is not counted by pool. */
export function poolCounter(g: Granularity): PoolCounter {
  return isPerWeight(g) ? byWeight : byGroup(g);
}

/**
 * N:M at a schedule's value s: every block of M keeps at most M − min(M − N, round(s·M)) weights
 * (ticketlab's rounding, half up), so 2:4 on an iterative schedule to 50% goes 4 → 3 → 2 kept per
 * block; a falling schedule grows the first pruned positions of a block back. Every layer in `layers`
 * is brought there, whatever the scope (N:M is local to its blocks). Null when nothing changes.
 */
export function nmMasksAtSparsity(
  o: { strategy: string; layers: readonly PrunableLayer[]; nm: { n: number; m: number } },
  target: number,
  weights: Weights,
  masks: Masks,
  sources: WeightSources,
  rng: Rng,
): Masks | null {
  const { n, m } = o.nm;
  const keep = m - Math.min(m - n, prunedCount(target, m));
  const out: Masks = new Map([...masks].map(([k, v]) => [k, v.slice()]));
  let changed = false;
  for (const l of o.layers) changed = nmMask(l, out.get(l.name)!, m, keep, undefined, true) || changed;
  if (keep < m) {
    const before = o.layers.map((l) => countOnes(out.get(l.name)!));
    const next = pruneMasks(
      o.layers,
      weights,
      out,
      {
        strategy: o.strategy,
        scope: 'layerwise',
        rates: { fc: 1, conv: 1, output: 1, shortcut: 1 },
        granularity: `${keep}:${m}`,
        sources,
      },
      rng,
    );
    o.layers.forEach((l, i) => {
      const mask = next.get(l.name)!;
      if (countOnes(mask) !== before[i]) changed = true;
      out.set(l.name, mask);
    });
  }
  return changed ? out : null;
}
