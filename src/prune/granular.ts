/**
 * One pruning round at a granularity other than `weight` (see ./granularities/): the part of
 * `pruneMasks` after the scope has pooled the layers.
 *
 * Groups (row, column, channel, kernel, filter, …): every pool loses prunedCount(rate, its remaining
 * groups) groups — a group remains while one of its weights is kept — those of lowest mean score of
 * their kept weights across the pool (one threshold over the pool's groups: global context for a pool
 * of several layers, local for one; ties go to the earlier layer, then the lower group index). A
 * pruned group loses all its weights, so the fraction of weights pruned is the fraction of groups only
 * where groups are of equal size. A choosing criterion (random) takes the per-layer group counts and
 * draws the groups.
 *
 * N:M: the count is N:M's own; every layer of a pool with a rate above 0 is brought to at most N kept
 * weights in every block of M (see ./granularities/n-m.ts), whatever the rate and the scope.
 */
import { UserError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import { countOnes } from './count.js';
import type { Criterion } from './criteria/types.js';
import { checkApplies, groupLayout, groupMask, groupScores, applyGroupMask } from './granularities/layout.js';
import type { GroupLayout } from './granularities/layout.js';
import { nmMask, type BlockPicker } from './granularities/n-m.js';
import type { Granularity } from './granularities/types.js';
import { prunedCount } from './schedule.js';
import type { PrunePool } from './scopes/types.js';
import { pruneLowest } from './select.js';
import type { Masks, PrunableLayer } from './types.js';

export interface GranularRound {
  layers: readonly PrunableLayer[];
  pools: PrunePool[];
  /** Whether a pool needs the criterion's scores (see pruneMasks). */
  scored: boolean[];
  criterion: Criterion;
  granularity: Granularity;
  /** The criterion's scores of a layer, or with `absolute`, the values whose |v| are the scores. */
  scores: (layer: PrunableLayer) => Float32Array | Float64Array;
  absolute: boolean;
  /** The masks to prune, in place. */
  masks: Masks;
  rng: () => Rng;
}

const nanMessage = (criterion: Criterion, layer: string) => (i: number) =>
  `the "${criterion.name}" score of ${layer}[${i}] is NaN; cannot prune by it`;

/** Prunes `round.masks` in place (see the file comment). */
export function pruneGranular(round: GranularRound): void {
  if (round.granularity.nm) pruneNM(round, round.granularity.nm);
  else pruneGroups(round);
}

function pruneGroups(round: GranularRound): void {
  const { criterion, granularity, masks } = round;
  const groups = new Map<string, { layout: GroupLayout; mask: Uint8Array; count: number }>();
  round.pools.forEach((pool, p) => {
    // a kind at rate 0 is not pruned, so the granularity need not apply to it
    if (pool.rate === 0) return;
    const entries = pool.layers.map((l) => {
      const layout = groupLayout(granularity, l);
      const entry = { layout, mask: groupMask(layout, masks.get(l.name)!), count: 0 };
      groups.set(l.name, entry);
      return entry;
    });
    if (!round.scored[p]) {
      for (const e of entries) e.count = prunedCount(pool.rate, countOnes(e.mask));
      return;
    }
    const segments = pool.layers.map((l, i) => ({
      name: l.name,
      scores: groupScores(
        entries[i].layout,
        round.scores(l),
        masks.get(l.name)!,
        round.absolute,
        nanMessage(criterion, l.name),
      ),
      // a choosing criterion only needs the counts: select on copies
      mask: criterion.choose ? entries[i].mask.slice() : entries[i].mask,
    }));
    const pruned = pruneLowest(segments, (remaining) => prunedCount(pool.rate, remaining), {
      label: `the "${criterion.name}" group score`,
    });
    entries.forEach((e, i) => (e.count = pruned[i]));
  });
  if (criterion.choose) {
    const rng = round.rng();
    for (const layer of round.layers) {
      const e = groups.get(layer.name);
      if (!e || e.count === 0) continue;
      const groupsAsLayer = { name: layer.name, kind: layer.kind, shape: [e.layout.count] };
      criterion.choose({ layer: groupsAsLayer, mask: e.mask, count: e.count, rng });
    }
  }
  for (const [name, e] of groups) applyGroupMask(e.layout, e.mask, masks.get(name)!);
}

function pruneNM(round: GranularRound, nm: { n: number; m: number }): void {
  const rated = new Set<string>();
  for (const pool of round.pools) if (pool.rate > 0) for (const l of pool.layers) rated.add(l.name);
  const pruned = round.layers.filter((l) => rated.has(l.name));
  for (const l of pruned) checkApplies(round.granularity, l);
  const rng = round.criterion.choose ? round.rng() : undefined;
  for (const layer of pruned)
    nmMask(layer, round.masks.get(layer.name)!, nm.m, nm.n, blockPicker(round, layer, rng));
}

/** How the blocks of `layer` lose weights: by the criterion's scores, or its choice. */
export function blockPicker(
  round: Pick<GranularRound, 'criterion' | 'scores' | 'absolute'>,
  layer: PrunableLayer,
  rng: Rng | undefined,
): BlockPicker {
  const { criterion } = round;
  if (criterion.choose) {
    const choose = criterion.choose.bind(criterion);
    return { choose: (mask, count, r) => choose({ layer, mask, count, rng: r }), rng: rng! };
  }
  return {
    scores: round.scores(layer),
    absolute: round.absolute,
    nanMessage: nanMessage(criterion, layer.name),
  };
}

/** A threshold rule counts weights by value, which no group granularity can follow. */
export function refuseThreshold(granularity: Granularity): never {
  throw new UserError(
    `--keep std-threshold and --keep threshold prune weight by weight, not by ${granularity.name}`,
    'use --keep rate with --granularity, or --granularity weight with a threshold',
  );
}
