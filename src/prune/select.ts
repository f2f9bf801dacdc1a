/**
 * Selection of the k lowest scores among the remaining weights of one or more layers.
 *
 * Method: radix selection on order-preserving integer keys (./radix.ts: a float's bit pattern,
 * rearranged so that integer order is the order of the values, −0 equal to +0). For magnitudes
 * (`pruneSmallest`, or `absolute`) the key is the pattern with its sign bit cleared, read in place,
 * so |w| needs no array of its own. One histogram pass over the layer on the top 16 bits of the key
 * finds the bucket holding the threshold; a second pass prunes everything in lower buckets and
 * collects the (usually few) weights in the threshold bucket, whose remaining bits are then
 * resolved 16 bits at a time on that candidate list alone. Linear time, two scans of the layer, no
 * sorting. The scans do not branch on the mask or on the comparison with the threshold bucket (both
 * are 0/1 values added and and-ed in): on a mask pruned at random, those branches were mispredicted
 * about half the time, which made the scans 2× slower (measured on LeNet-300-100's first layer).
 *
 * Ties are broken by position: among equal scores at the threshold, the ones that come first are
 * pruned first, "first" meaning lower index within a layer and, across the layers of a pool,
 * earlier layer in the pool's order.
 */
import { candidates, checkK, emptyHist, pickBucket, type Candidates, type Words } from './radix.js';
import { prune64 } from './select64.js';

export interface Segment {
  name: string;
  weights: Float32Array | Float64Array;
  /** Remaining positions (non-zero); selected positions are set to 0 in place. */
  mask: Uint8Array;
}

export interface ScoreSegment {
  name: string;
  /** One score per weight; higher = kept. Only scores at remaining positions are read. */
  scores: Float32Array | Float64Array;
  /** Remaining positions (non-zero); selected positions are set to 0 in place. */
  mask: Uint8Array;
}

/**
 * Clears, in the segments' masks, the k remaining weights of smallest |w| (ties by position as
 * described above), where k is given, or computed from the number of remaining weights in the
 * segments. Returns how many were cleared in each segment, in segment order. Throws on NaN among
 * the remaining weights.
 */
export function pruneSmallest(segments: Segment[], k: number | ((remaining: number) => number)): number[] {
  return select(
    segments.map((s) => ({ name: s.name, values: s.weights, mask: s.mask })),
    k,
    true,
    (name, i) => `weight ${name}[${i}] is NaN; cannot prune by magnitude`,
  );
}

export interface LowestOptions {
  /** Names the scores in the NaN message, e.g. `the "magnitude" score`. Default "score". */
  label?: string;
  /** Select by |score| (read in place, no array of magnitudes needed). Default false. */
  absolute?: boolean;
}

/**
 * Clears, in the segments' masks, the k remaining weights of lowest score: negative scores are
 * lower than positive ones, −0 equals +0, −∞ is lowest, ties go by position as described above.
 * k is given, or computed from the number of remaining weights in the segments. Returns how many
 * were cleared in each segment, in segment order. Throws on a NaN score at a remaining position.
 */
export function pruneLowest(
  segments: ScoreSegment[],
  k: number | ((remaining: number) => number),
  options: LowestOptions = {},
): number[] {
  const label = options.label ?? 'score';
  return select(
    segments.map((s) => ({ name: s.name, values: s.scores, mask: s.mask })),
    k,
    options.absolute ?? false,
    (name, i) => `${label} of ${name}[${i}] is NaN; cannot prune by it`,
  );
}

function select(
  segments: { name: string; values: Float32Array | Float64Array; mask: Uint8Array }[],
  k: number | ((remaining: number) => number),
  magnitude: boolean,
  nanMessage: (name: string, index: number) => string,
): number[] {
  for (const s of segments) {
    if (s.values.length !== s.mask.length) {
      throw new RangeError(
        `mask of ${s.name} has ${s.mask.length} entries, its weight has ${s.values.length}`,
      );
    }
  }
  const resolve = typeof k === 'number' ? () => k : k;
  if (segments.every((s) => s.values instanceof Float32Array)) {
    return prune32(
      segments.map((s) => ({ name: s.name, u: wordsOf(s.values), mask: s.mask })),
      resolve,
      magnitude,
      nanMessage,
    );
  }
  // Float64, or a pool mixing both: compare in float64 (float32 → float64 is exact).
  const words = segments.map((s) => ({
    name: s.name,
    u: wordsOf(s.values instanceof Float64Array ? s.values : Float64Array.from(s.values)),
    mask: s.mask,
  }));
  return prune64(words, resolve, magnitude, nanMessage);
}

function wordsOf(w: Float32Array | Float64Array): Uint32Array {
  return new Uint32Array(w.buffer, w.byteOffset, w.byteLength >>> 2);
}

/** Returned for NaN: the lowest int32, which is no real value's key. */
const NAN_KEY = 0x80000000 | 0;

/**
 * The key of a float32 bit pattern, or NAN_KEY. Negatives also move up by one, which makes −0's
 * key equal +0's (0); branch-free apart from NaN, so mixed signs cost no mispredictions.
 */
function key32(bits: number): number {
  if ((bits & 0x7fffffff) > 0x7f800000) return NAN_KEY;
  const m = bits >> 31; // −1 for negatives, 0 otherwise
  return ((bits ^ (m & 0x7fffffff)) - m) | 0;
}

function prune32(
  segs: Words[],
  resolve: (remaining: number) => number,
  magnitude: boolean,
  nanMessage: (name: string, index: number) => string,
): number[] {
  const counts = segs.map(() => 0);
  const hist = emptyHist();
  let remaining = 0;
  for (const { name, u, mask } of segs) {
    const r = magnitude ? histogram32Abs(u, mask, hist) : histogram32(u, mask, hist);
    if (r < 0) throw new RangeError(nanMessage(name, -1 - r));
    remaining += r;
  }
  const k = resolve(remaining);
  checkK(k, remaining);
  if (k === 0) return counts;
  const top = pickBucket(hist, k);
  const cand = candidates(hist[top.bucket], false);
  for (let s = 0; s < segs.length; s++) {
    const { u, mask } = segs[s];
    counts[s] = magnitude ? split32Abs(u, mask, top.bucket, cand, s) : split32(u, mask, top.bucket, cand, s);
  }
  hist.fill(0);
  for (let j = 0; j < cand.length; j++) hist[cand.a[j]]++;
  const low = pickBucket(hist, k - top.below);
  let ties = k - top.below - low.below;
  for (let j = 0; j < cand.length; j++) {
    const a = cand.a[j];
    if (a < low.bucket || (a === low.bucket && ties-- > 0)) {
      segs[cand.seg[j]].mask[cand.idx[j]] = 0;
      counts[cand.seg[j]]++;
    }
  }
  return counts;
}

/**
 * Adds the top 16 bits of the keys of the remaining values to `hist`. Returns the number counted,
 * or −1 − i if value i is NaN. (Hot loops live in small functions of their own so V8 optimizes them.)
 */
function histogram32(u: Uint32Array, mask: Uint8Array, hist: Uint32Array): number {
  let remaining = 0;
  const n = u.length;
  for (let i = 0; i < n; i++) {
    const r = -mask[i] >>> 31; // 1 if remaining, else 0: added, not branched on
    const key = key32(u[i]);
    if (key === NAN_KEY && r !== 0) return -1 - i;
    hist[(key >> 16) + 0x8000] += r;
    remaining += r;
  }
  return remaining;
}

/** Prunes remaining values below `bucket`, appends those in it to `cand`; returns the count pruned. */
function split32(u: Uint32Array, mask: Uint8Array, bucket: number, cand: Candidates, s: number): number {
  let c = 0;
  let j = cand.length;
  const { seg, idx, a } = cand;
  const n = u.length;
  for (let i = 0; i < n; i++) {
    const m = mask[i];
    const key = key32(u[i]);
    const d = (key >> 16) + 0x8000;
    // pruned now: remaining and below the bucket (1 or 0, computed without a branch)
    const p = (-m >>> 31) & ((d - bucket) >>> 31);
    mask[i] = m & (p - 1);
    c += p;
    if (d === bucket && m !== 0) {
      seg[j] = s;
      idx[j] = i;
      a[j] = key & 0xffff;
      j++;
    }
  }
  cand.length = j;
  return c;
}

/*
 * histogram32 and split32 for magnitudes: the key of |x| is its bit pattern with the sign bit
 * cleared (the same order as key32 of |x|, shifted by a constant). Separate copies, because one
 * loop handling both modes runs the magnitude case (every magnitude-pruning round) measurably
 * slower.
 */
function histogram32Abs(u: Uint32Array, mask: Uint8Array, hist: Uint32Array): number {
  let remaining = 0;
  const n = u.length;
  for (let i = 0; i < n; i++) {
    const r = -mask[i] >>> 31;
    const key = u[i] & 0x7fffffff;
    if (key > 0x7f800000 && r !== 0) return -1 - i;
    hist[key >>> 16] += r;
    remaining += r;
  }
  return remaining;
}

function split32Abs(u: Uint32Array, mask: Uint8Array, bucket: number, cand: Candidates, s: number): number {
  let c = 0;
  let j = cand.length;
  const { seg, idx, a } = cand;
  const n = u.length;
  for (let i = 0; i < n; i++) {
    const m = mask[i];
    const key = u[i] & 0x7fffffff;
    const d = key >>> 16;
    const p = (-m >>> 31) & ((d - bucket) >>> 31);
    mask[i] = m & (p - 1);
    c += p;
    if (d === bucket && m !== 0) {
      seg[j] = s;
      idx[j] = i;
      a[j] = key & 0xffff;
      j++;
    }
  }
  cand.length = j;
  return c;
}
