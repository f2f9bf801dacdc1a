/**
 * Pruning masks: creation, one round of magnitude or random pruning (layer-wise or global), the
 * random-pruning control, and applying masks to weights.
 *
 * Masks only ever shrink: a round prunes among the weights its input mask still keeps, and never
 * revives one. Counts follow `prunedCount` (round half up, see ./schedule.ts).
 */
import { Rng } from '../util/rng.js';
import { UserError } from '../util/errors.js';
import { checkRate, prunedCount } from './schedule.js';
import { countOnes, pruneSmallest, type Segment } from './select.js';
import type { LayerKind, Masks, PrunableLayer, PruneRates, PruneSpec, Weights } from './types.js';

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

/** The rate of a layer kind, 0 if the spec gives none. */
export function rateFor(rates: PruneRates, kind: LayerKind): number {
  const r = rates[kind];
  return r === undefined ? 0 : r;
}

/**
 * The layers pooled by global pruning and the rate applied to the pool. Pool: `spec.globalLayers`
 * if given (kept in model order), else every conv layer, or every fc layer if there is no conv
 * layer. Rate: if the pool contains a conv layer, `rates.conv` (or `rates.fc` when no conv rate is
 * given); otherwise `rates.fc`; 0 if the chosen rate is not given.
 */
export function globalPool(
  layers: readonly PrunableLayer[],
  spec: PruneSpec,
): { pool: PrunableLayer[]; rate: number } {
  let pool: PrunableLayer[];
  if (spec.globalLayers) {
    const names = new Set(layers.map((l) => l.name));
    for (const name of spec.globalLayers) {
      if (!names.has(name))
        throw new UserError(`global pruning layer "${name}" is not a prunable layer of this model`);
    }
    // the model's layer order, whatever order the spec lists them in
    const wanted = new Set(spec.globalLayers);
    pool = layers.filter((l) => wanted.has(l.name));
  } else {
    const conv = layers.filter((l) => l.kind === 'conv');
    pool = conv.length > 0 ? conv : layers.filter((l) => l.kind === 'fc');
  }
  const hasConv = pool.some((l) => l.kind === 'conv');
  const rate = (hasConv ? (spec.rates.conv ?? spec.rates.fc) : spec.rates.fc) ?? 0;
  return { pool, rate };
}

/**
 * One pruning round. Returns new masks (the inputs are not modified); layers not in `layers` but
 * present in `masks` are copied unchanged.
 *
 * - magnitude / layerwise: each layer loses the prunedCount(rate of its kind, its remaining count)
 *   remaining weights of smallest |w|; ties go to the lower index.
 * - magnitude / global: the pool (see `globalPool`) loses prunedCount(pool rate, remaining in the
 *   pool) weights of smallest |w| across the pool (one threshold; ties go to the earlier layer,
 *   then the lower index); other layers are pruned layer-wise.
 * - random: exactly the per-layer counts magnitude pruning would remove with the same spec (for
 *   global scope these depend on the weights), chosen uniformly among each layer's remaining
 *   weights. Draws come from `rng`, else from `new Rng(spec.seed)`, layer by layer in `layers`
 *   order. `weights` may be empty for random layer-wise pruning.
 */
export function pruneMasks(
  layers: readonly PrunableLayer[],
  weights: Weights,
  masks: Masks,
  spec: PruneSpec,
  rng?: Rng,
): Masks {
  checkSpec(spec);
  if (spec.strategy === 'random' && !rng && spec.seed === undefined) {
    throw new RangeError('random pruning needs an Rng or spec.seed');
  }
  const out: Masks = new Map();
  for (const [name, m] of masks) out.set(name, m.slice());
  const needWeights = spec.strategy === 'magnitude' || spec.scope === 'global';
  const seen = new Set<string>();
  for (const layer of layers) {
    if (seen.has(layer.name)) throw new RangeError(`layer ${layer.name} is listed twice`);
    seen.add(layer.name);
    const n = layerSize(layer);
    const m = masks.get(layer.name);
    if (!m) throw new RangeError(`no mask for layer ${layer.name}`);
    if (m.length !== n)
      throw new RangeError(`mask of ${layer.name} has ${m.length} entries, its weight has ${n}`);
    if (needWeights) {
      const w = weights.get(layer.name);
      if (!w) throw new RangeError(`no weights for layer ${layer.name}`);
      if (w.length !== n)
        throw new RangeError(`weights of ${layer.name} have ${w.length} entries, expected ${n}`);
    }
  }

  // Per-layer counts to prune, and (for magnitude) the pruning itself.
  const toPrune = new Map<string, number>();
  let pooled = new Set<string>();
  if (spec.scope === 'global') {
    const { pool, rate } = globalPool(layers, spec);
    pooled = new Set(pool.map((l) => l.name));
    const segments: Segment[] = pool.map((l) => ({
      name: l.name,
      weights: weights.get(l.name)!,
      mask: spec.strategy === 'magnitude' ? out.get(l.name)! : out.get(l.name)!.slice(),
    }));
    const counts = pruneSmallest(segments, (remaining) => prunedCount(rate, remaining));
    pool.forEach((l, i) => toPrune.set(l.name, counts[i]));
  }
  for (const layer of layers) {
    if (pooled.has(layer.name)) continue;
    const mask = out.get(layer.name)!;
    const rate = rateFor(spec.rates, layer.kind);
    if (spec.strategy === 'magnitude') {
      const w = weights.get(layer.name)!;
      const [k] = pruneSmallest([{ name: layer.name, weights: w, mask }], (remaining) =>
        prunedCount(rate, remaining),
      );
      toPrune.set(layer.name, k);
    } else {
      toPrune.set(layer.name, prunedCount(rate, countOnes(mask)));
    }
  }

  if (spec.strategy === 'random') {
    const r = rng ?? new Rng(spec.seed!);
    for (const layer of layers) pruneRandomly(out.get(layer.name)!, toPrune.get(layer.name)!, r);
  }
  return out;
}

/** Clears `k` of the remaining (1) entries of `mask`, uniformly at random, in place. */
export function pruneRandomly(mask: Uint8Array, k: number, rng: Rng): void {
  if (k <= 0) return;
  const remaining = countOnes(mask);
  if (k > remaining) throw new RangeError(`cannot prune ${k} of ${remaining} remaining weights`);
  const idx = new Int32Array(remaining);
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) idx[n++] = i;
  // partial Fisher-Yates over the remaining positions: the first k of a random permutation
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(remaining - i);
    const t = idx[j];
    idx[j] = idx[i];
    idx[i] = t;
    mask[t] = 0;
  }
}

/**
 * The random-pruning control: for every layer, a fresh mask with exactly the same number of kept
 * weights as the given mask, drawn uniformly from ALL positions of the layer (not nested inside the
 * given mask). Layers are drawn in the map's iteration order.
 */
export function randomMasksLike(masks: Masks, rng: Rng): Masks {
  const out: Masks = new Map();
  for (const [name, m] of masks) {
    const n = m.length;
    const kept = countOnes(m);
    // Set the smaller of the kept and pruned sets by rejection sampling: draw positions uniformly,
    // skipping ones already drawn. That is a uniform random subset of that size; at most half of the
    // positions are drawn, so on average fewer than 1.4 draws per position set, and only the mask
    // itself is touched (no index array).
    const keepFew = kept <= n - kept;
    const mask = new Uint8Array(n);
    if (!keepFew) mask.fill(1);
    const value = keepFew ? 1 : 0;
    let todo = keepFew ? kept : n - kept;
    while (todo > 0) {
      const p = rng.int(n);
      if (mask[p] !== value) {
        mask[p] = value;
        todo--;
      }
    }
    out.set(name, mask);
  }
  return out;
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

function checkSpec(spec: PruneSpec): void {
  if (spec.strategy !== 'magnitude' && spec.strategy !== 'random') {
    throw new UserError(`unknown pruning strategy "${String(spec.strategy)}" (magnitude or random)`);
  }
  if (spec.scope !== 'layerwise' && spec.scope !== 'global') {
    throw new UserError(`unknown pruning scope "${String(spec.scope)}" (layerwise or global)`);
  }
  for (const kind of ['fc', 'conv', 'output'] as const) {
    const r = spec.rates[kind];
    if (r !== undefined) checkRate(r, `pruning rate for ${kind} layers`);
  }
}
