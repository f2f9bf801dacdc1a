/**
 * Pruning masks: creation, one round of pruning (a registered criterion scores the weights, a
 * registered scope pools the layers, the lowest scores of each pool are removed), and applying
 * masks to weights.
 *
 * Masks only ever shrink: a round prunes among the weights its input mask still keeps, and never
 * revives one. Counts follow `prunedCount` (round half up, see ./schedule.ts).
 */
import { Rng } from '../util/rng.js';
import { UserError } from '../util/errors.js';
import { criterionNamed } from './criteria/registry.js';
import type { Criterion, ScoreContext, WeightSource } from './criteria/types.js';
import { checkRate, prunedCount } from './schedule.js';
import { scopeNamed } from './scopes/registry.js';
import type { PrunePool } from './scopes/types.js';
import { countOnes } from './count.js';
import { thresholdStats } from './threshold.js';
import { pruneLowest, type ScoreSegment } from './select.js';
import { granularityNamed, isPerWeight } from './granularities/registry.js';
import { pruneGranular, refuseThreshold } from './granular.js';
import { LAYER_KINDS, type Masks, type PrunableLayer, type PruneSpec, type Weights } from './types.js';

/** Number of elements of a weight tensor. */
export function layerSize(layer: PrunableLayer): number {
  let n = 1;
  for (const d of layer.shape) {
    if (!Number.isInteger(d) || d < 0)
      throw new RangeError(`layer ${layer.name} has invalid shape [${layer.shape}]`);
    n *= d;
  }
  return n;
}

/** All-ones masks (nothing pruned) for the given layers. */
export function fullMasks(layers: readonly PrunableLayer[]): Masks {
  const masks: Masks = new Map();
  for (const layer of layers) masks.set(layer.name, new Uint8Array(layerSize(layer)).fill(1));
  return masks;
}

/** Number of kept (1) entries of a mask. */
export function countKept(mask: Uint8Array): number {
  return countOnes(mask);
}

const SOURCE_LABEL: Record<WeightSource, string> = {
  initial: 'the initial weights (θ₀)',
  rewind: 'the rewind-point weights (θ_k)',
  gradient: 'the gradient of one batch at θ₀',
};

/**
 * One pruning round. Returns new masks (the inputs are not modified); layers not in `layers` but
 * present in `masks` are copied unchanged.
 *
 * `spec.scope` (see `scopeNamed`) splits the layers into pools, each with a rate; every pool loses
 * prunedCount(rate, remaining weights in the pool) remaining weights, those of lowest score under
 * `spec.strategy` (see `criterionNamed`) across the pool (one threshold; ties go to the earlier
 * layer, then the lower index). For `magnitude` the score is |w| of `weights`.
 *
 * A criterion that chooses positions itself (`random`) takes the per-layer counts the scores would
 * give (for a one-layer pool simply prunedCount(rate, its remaining count), no scores needed) and
 * draws from `rng`, else from `new Rng(spec.seed)`, layer by layer in `layers` order. `weights`
 * may be empty for random layer-wise pruning. θ₀ and θ_k, for criteria that need them, come in
 * `spec.sources`.
 *
 * `spec.granularity` (see `granularityNamed`; default `weight`) other than `weight` prunes groups of
 * weights, or N:M blocks, instead (see ./granular.ts).
 */
export function pruneMasks(
  layers: readonly PrunableLayer[],
  weights: Weights,
  masks: Masks,
  spec: PruneSpec,
  rng?: Rng,
): Masks {
  const criterion = criterionNamed(spec.strategy);
  const scope = scopeNamed(spec.scope);
  const granularity = granularityNamed(spec.granularity ?? 'weight');
  const perWeight = isPerWeight(granularity);
  if (!perWeight && spec.threshold) refuseThreshold(granularity);
  for (const kind of LAYER_KINDS) {
    const r = spec.rates[kind];
    if (r !== undefined) checkRate(r, `pruning rate for ${kind} layers`);
  }
  if (criterion.choose && !rng && spec.seed === undefined) {
    throw new RangeError(`${criterion.name} pruning needs an Rng or spec.seed`);
  }
  for (const source of criterion.needs ?? []) {
    if (!spec.sources?.[source]) {
      throw new UserError(
        `pruning criterion "${criterion.name}" needs ${SOURCE_LABEL[source]}, and none were given`,
        `pass them as spec.sources.${source}, or choose another criterion`,
      );
    }
  }
  const seen = new Set<string>();
  for (const layer of layers) {
    if (seen.has(layer.name)) throw new RangeError(`layer ${layer.name} is listed twice`);
    seen.add(layer.name);
    const n = layerSize(layer);
    const m = masks.get(layer.name);
    if (!m) throw new RangeError(`no mask for layer ${layer.name}`);
    if (m.length !== n)
      throw new RangeError(`mask of ${layer.name} has ${m.length} entries, its weight has ${n}`);
  }

  // a threshold rule pools every layer and fixes how many go; otherwise the scope's pools and rates
  const pools: PrunePool[] = spec.threshold ? [{ layers: [...layers], rate: 0 }] : scope.pools(layers, spec);
  const fixed = spec.threshold ? thresholdStats(layers, weights, masks, spec.threshold) : undefined;
  checkPools(pools, seen, scope.name);
  // Only a choosing criterion can do without scores, and only where a layer is pruned alone.
  const scored = pools.map((p) => !criterion.choose || p.layers.length > 1 || fixed !== undefined);
  const contexts = new Map<string, ScoreContext>();
  pools.forEach((pool, i) => {
    if (scored[i])
      for (const layer of pool.layers) contexts.set(layer.name, scoreContext(layer, weights, masks, spec));
  });

  const out: Masks = new Map();
  for (const [name, m] of masks) out.set(name, m.slice());
  const counts = new Map<string, number>();
  const fast = criterion.magnitudeOf !== undefined;
  if (!perWeight) {
    pruneGranular({
      layers,
      pools,
      scored,
      criterion,
      granularity,
      scores: (l) => scoresOf(criterion, contexts.get(l.name)!, fast),
      absolute: fast,
      masks: out,
      rng: () => rng ?? new Rng(spec.seed!),
    });
    return out;
  }
  pools.forEach((pool, p) => {
    if (!scored[p]) {
      for (const l of pool.layers) counts.set(l.name, prunedCount(pool.rate, countOnes(out.get(l.name)!)));
      return;
    }
    const segments: ScoreSegment[] = pool.layers.map((l) => ({
      name: l.name,
      scores: scoresOf(criterion, contexts.get(l.name)!, fast),
      // a choosing criterion only needs the counts: select on copies
      mask: criterion.choose ? out.get(l.name)!.slice() : out.get(l.name)!,
    }));
    const count = (remaining: number) =>
      fixed ? fixed.remaining - fixed.kept : prunedCount(pool.rate, remaining);
    const pruned = pruneLowest(segments, count, {
      label: `the "${criterion.name}" score`,
      absolute: fast,
    });
    pool.layers.forEach((l, i) => counts.set(l.name, pruned[i]));
  });

  if (criterion.choose) {
    const r = rng ?? new Rng(spec.seed!);
    for (const layer of layers) {
      const count = counts.get(layer.name) ?? 0;
      if (count > 0) criterion.choose({ layer, mask: out.get(layer.name)!, count, rng: r });
    }
  }
  return out;
}

/** Every pooled layer is one of `layers`, and in one pool only. */
function checkPools(pools: PrunePool[], layers: Set<string>, scope: string): void {
  const pooled = new Set<string>();
  for (const pool of pools) {
    for (const l of pool.layers) {
      if (!layers.has(l.name)) throw new Error(`pruning scope "${scope}" pooled unknown layer ${l.name}`);
      if (pooled.has(l.name)) throw new Error(`pruning scope "${scope}" put layer ${l.name} in two pools`);
      pooled.add(l.name);
    }
  }
}

function scoreContext(layer: PrunableLayer, weights: Weights, masks: Masks, spec: PruneSpec): ScoreContext {
  const n = layerSize(layer);
  const get = (from: Weights | undefined, what: string) => {
    const w = from?.get(layer.name);
    if (!w) return undefined;
    if (w.length !== n)
      throw new RangeError(`${what} of ${layer.name} have ${w.length} entries, expected ${n}`);
    return w;
  };
  const trained = get(weights, 'weights');
  if (!trained) throw new RangeError(`no weights for layer ${layer.name}`);
  const ctx: ScoreContext = { layer, trained, mask: masks.get(layer.name)! };
  const { initial, rewind, gradient } = spec.sources ?? {};
  if (initial) {
    ctx.initial = get(initial, 'initial weights');
    if (!ctx.initial) throw new RangeError(`spec.sources.initial has no weights for layer ${layer.name}`);
  }
  if (rewind) {
    ctx.rewind = get(rewind, 'rewind-point weights');
    if (!ctx.rewind) throw new RangeError(`spec.sources.rewind has no weights for layer ${layer.name}`);
  }
  if (gradient) {
    ctx.gradient = get(gradient, 'gradients');
    if (!ctx.gradient) throw new RangeError(`spec.sources.gradient has no values for layer ${layer.name}`);
  }
  return ctx;
}

/** The criterion's scores of one layer, or with `magnitude`, the array whose |v| are the scores. */
function scoresOf(criterion: Criterion, ctx: ScoreContext, magnitude: boolean): Float32Array | Float64Array {
  const scores = magnitude ? criterion.magnitudeOf!(ctx) : criterion.score(ctx);
  if (!(scores instanceof Float32Array || scores instanceof Float64Array)) {
    throw new TypeError(`pruning criterion "${criterion.name}" must return a Float32Array or Float64Array`);
  }
  if (scores.length !== ctx.trained.length) {
    throw new RangeError(
      `pruning criterion "${criterion.name}" gave ${scores.length} scores for layer ${ctx.layer.name} ` +
        `of ${ctx.trained.length} weights`,
    );
  }
  return scores;
}

/** Zeroes, in place, the weights whose mask entry is 0. Returns `weights`. */
export function applyMask<T extends Float32Array | Float64Array>(weights: T, mask: Uint8Array): T {
  if (weights.length !== mask.length) {
    throw new RangeError(`mask has ${mask.length} entries, weights have ${weights.length}`);
  }
  for (let i = 0; i < weights.length; i++) if (mask[i] === 0) weights[i] = 0;
  return weights;
}

/** `applyMask` for every layer that has a mask. */
export function applyMasks(weights: Weights, masks: Masks): void {
  for (const [name, mask] of masks) {
    const w = weights.get(name);
    if (w) applyMask(w, mask);
  }
}
