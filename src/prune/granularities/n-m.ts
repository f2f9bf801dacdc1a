/**
 * N:M masks: in every block of M consecutive weights along the input axis — W[o, i..i+M−1] of a linear
 * weight [out, in], W[o, i..i+M−1, y, x] of a conv weight [out, in, kh, kw], as NVIDIA's ASP lays out
 * its 2:4 masks — at most `keep` weights stay: those of highest score, ties going out by position
 * (lower input index first, as everywhere in ticketlab). A last block shorter than M (in not a multiple
 * of M) keeps at most `keep` of its weights too, like ASP's zero padding would.
 */
import type { Rng } from '../../util/rng.js';
import type { PrunableLayer } from '../types.js';

/** How the weights of a block to remove are picked. */
export type BlockPicker =
  /** By score: the values whose (|v| with `absolute`) is lowest go. */
  | { scores: Float32Array | Float64Array; absolute: boolean; nanMessage: (index: number) => string }
  /** A choosing criterion (random): it clears `count` of the ones of `mask`, drawing from `rng`. */
  | { choose: (mask: Uint8Array, count: number, rng: Rng) => void; rng: Rng };

/**
 * Brings every block of `layer` to at most `keep` kept weights in place (`pick` decides which go;
 * without one nothing is pruned), and with `grow` back up to `keep` (the first pruned positions of the
 * block, for a falling schedule). Returns whether it changed anything.
 */
export function nmMask(
  layer: PrunableLayer,
  mask: Uint8Array,
  m: number,
  keep: number,
  pick: BlockPicker | undefined,
  grow = false,
): boolean {
  const [outs, ins] = layer.shape;
  const inner = layer.shape.slice(2).reduce((p, d) => p * d, 1);
  const block = new Int32Array(m);
  let changed = false;
  for (let o = 0; o < outs; o++)
    for (let p = 0; p < inner; p++)
      for (let start = 0; start < ins; start += m) {
        const size = Math.min(m, ins - start);
        const limit = Math.min(size, keep);
        let kept = 0;
        for (let j = 0; j < size; j++) {
          const at = (o * ins + start + j) * inner + p;
          if (mask[at] !== 0) block[kept++] = at;
        }
        if (kept > limit && pick) {
          prune(block.subarray(0, kept), kept - limit, mask, pick);
          changed = true;
        } else if (grow && kept < limit) {
          for (let j = 0; j < size && kept < limit; j++) {
            const at = (o * ins + start + j) * inner + p;
            if (mask[at] === 0) {
              mask[at] = 1;
              kept++;
            }
          }
          changed = true;
        }
      }
  return changed;
}

/** Clears `count` of the kept positions `kept` (in ascending order) of `mask`. */
function prune(kept: Int32Array, count: number, mask: Uint8Array, pick: BlockPicker): void {
  if ('choose' in pick) {
    const local = new Uint8Array(kept.length).fill(1);
    pick.choose(local, count, pick.rng);
    for (let j = 0; j < kept.length; j++) if (local[j] === 0) mask[kept[j]] = 0;
    return;
  }
  const { scores, absolute } = pick;
  // blocks are short: pick the lowest remaining score `count` times; the first of equal scores goes
  // (positions ascend, −0 equals +0), so ties go by position
  for (let c = 0; c < count; c++) {
    let low = -1;
    let lowScore = Infinity;
    for (let j = 0; j < kept.length; j++) {
      const i = kept[j];
      if (mask[i] === 0) continue;
      const v = scores[i];
      if (Number.isNaN(v)) throw new RangeError(pick.nanMessage(i));
      const score = absolute ? Math.abs(v) : v;
      if (low < 0 || score < lowScore) {
        low = i;
        lowScore = score;
      }
    }
    mask[low] = 0;
  }
}
