/** Random pruning within a mask, and the random-pruning control (fresh masks of equal sparsity). */
import type { Rng } from '../util/rng.js';
import { countOnes } from './count.js';
import type { Masks } from './types.js';

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
