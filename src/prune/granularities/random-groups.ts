/**
 * The random-pruning control under a granularity: a random mask with the ticket's structure. Under a
 * group granularity it keeps, in every layer, as many random whole groups as the ticket keeps; under
 * N:M as many random weights of every block of M as the ticket's block keeps. A mask of single random
 * weights would compare a structured ticket with an unstructured control.
 */
import type { Rng } from '../../util/rng.js';
import { countOnes } from '../count.js';
import type { Masks, PrunableLayer } from '../types.js';
import { groupLayout, groupMask, growGroups } from './layout.js';
import { nmMask } from './n-m.js';
import type { Granularity } from './types.js';

/** Clears `count` of the ones of `mask`, uniformly at random (a partial Fisher–Yates over them). */
function clearRandomOnes(mask: Uint8Array, count: number, rng: Rng): void {
  const ones: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) ones.push(i);
  for (let k = 0; k < count; k++) {
    const j = k + rng.int(ones.length - k);
    [ones[k], ones[j]] = [ones[j], ones[k]];
    mask[ones[k]] = 0;
  }
}

/** Random masks with the ticket's per-layer group counts (or per-block counts under N:M). */
export function randomGroupMasksLike(
  ticket: Masks,
  layers: readonly PrunableLayer[],
  g: Granularity,
  rng: Rng,
): Masks {
  const out: Masks = new Map();
  for (const layer of layers) {
    const mask = ticket.get(layer.name);
    if (!mask) continue;
    // a layer the ticket left whole (unpruned kinds, biases) stays whole
    if (countOnes(mask) === mask.length) {
      out.set(layer.name, mask.slice());
      continue;
    }
    if (g.nm) {
      out.set(layer.name, randomBlocksLike(layer, mask, g.nm.m, rng));
      continue;
    }
    const layout = groupLayout(g, layer);
    const kept = countOnes(groupMask(layout, mask));
    const groups = new Uint8Array(layout.count).fill(1);
    clearRandomOnes(groups, layout.count - kept, rng);
    const random = new Uint8Array(mask.length);
    growGroups(layout, groups, random);
    out.set(layer.name, random);
  }
  return out;
}

/** Every block of M keeps as many random weights as the ticket's block. */
function randomBlocksLike(layer: PrunableLayer, ticket: Uint8Array, m: number, rng: Rng): Uint8Array {
  // the ticket's blocks all keep the same number (N, or fewer in a short last block), so a full mask
  // brought to that many per block by random picks has the ticket's structure
  const keep = Math.max(...blockCounts(layer, ticket, m));
  const random = new Uint8Array(ticket.length).fill(1);
  nmMask(layer, random, m, keep, { choose: clearRandomOnes, rng });
  return random;
}

function blockCounts(layer: PrunableLayer, mask: Uint8Array, m: number): number[] {
  const [outs, ins] = layer.shape;
  const inner = layer.shape.slice(2).reduce((p, d) => p * d, 1);
  const counts: number[] = [];
  for (let o = 0; o < outs; o++)
    for (let p = 0; p < inner; p++)
      for (let start = 0; start < ins; start += m) {
        let kept = 0;
        for (let j = 0; j < Math.min(m, ins - start); j++) kept += mask[(o * ins + start + j) * inner + p];
        counts.push(kept);
      }
  return counts;
}
