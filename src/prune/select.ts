/**
 * Selection of the k lowest scores among the remaining weights of one or more layers.
 *
 * Method: radix selection on order-preserving integer keys (./keys.ts: a float's bit pattern,
 * rearranged so that integer order is the order of the values, −0 equal to +0). For magnitudes
 * (`pruneSmallest`, or `absolute`) the key is the pattern with its sign bit cleared, read in place,
 * so |w| needs no array of its own. One histogram pass over the layer on the top 16 bits of the key
 * finds the bucket holding the threshold; a second pass prunes everything in lower buckets and
 * collects the (usually few) weights in the threshold bucket, whose remaining bits are then
 * resolved 16 bits at a time on that candidate list alone. Linear time, two scans of the layer, no
 * sorting.
 *
 * Ties are broken by position: among equal scores at the threshold, the ones that come first are
 * pruned first, "first" meaning lower index within a layer and, across the layers of a pool,
 * earlier layer in the pool's order.
 */
import { HI, key32, key64Hi, key64Lo, LO, NAN_KEY } from './keys.js';

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

interface Words {
  name: string;
  /** The values' bit patterns: one word per float32, two per float64. */
  u: Uint32Array;
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
  // Clearing the sign bit first turns a signed key into a magnitude key.
  const signMask = magnitude ? 0x7fffffff : 0xffffffff;
  // Float64, or a pool mixing both: compare in float64 (float32 → float64 is exact).
  const words = segments.map((s) => ({
    name: s.name,
    u: wordsOf(s.values instanceof Float64Array ? s.values : Float64Array.from(s.values)),
    mask: s.mask,
  }));
  return prune64(words, resolve, signMask, nanMessage);
}

function wordsOf(w: Float32Array | Float64Array): Uint32Array {
  return new Uint32Array(w.buffer, w.byteOffset, w.byteLength >>> 2);
}

function checkK(k: number, remaining: number): void {
  if (!Number.isInteger(k) || k < 0 || k > remaining) {
    throw new RangeError(`cannot prune ${k} of ${remaining} remaining weights`);
  }
}

/** The bucket holding the element of 1-based rank `rank`, and the count in buckets below it. */
function pickBucket(hist: Uint32Array, rank: number): { bucket: number; below: number } {
  let below = 0;
  let b = 0;
  const n = hist.length;
  // eight buckets at a time, then one at a time within the block that holds the rank
  for (; b + 8 <= n; b += 8) {
    const s =
      hist[b] +
      hist[b + 1] +
      hist[b + 2] +
      hist[b + 3] +
      hist[b + 4] +
      hist[b + 5] +
      hist[b + 6] +
      hist[b + 7];
    if (below + s >= rank) break;
    below += s;
  }
  for (; b < n; b++) {
    const h = hist[b];
    if (below + h >= rank) return { bucket: b, below };
    below += h;
  }
  throw new Error('radix select: rank beyond histogram (internal error)');
}

/** One 16-bit histogram, reused by every call (selection is synchronous, so never shared). */
const sharedHist = new Uint32Array(65536);

function emptyHist(): Uint32Array {
  sharedHist.fill(0);
  return sharedHist;
}

/** The weights in the threshold bucket: segment, index, and the not-yet-resolved low bits of the key. */
interface Candidates {
  seg: Int32Array;
  idx: Int32Array;
  a: Uint32Array;
  b: Uint32Array;
  length: number;
}

function candidates(n: number, withB: boolean): Candidates {
  return {
    seg: new Int32Array(n),
    idx: new Int32Array(n),
    a: new Uint32Array(n),
    b: new Uint32Array(withB ? n : 0),
    length: 0,
  };
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
    if (mask[i] !== 0) {
      const key = key32(u[i]);
      if (key === NAN_KEY) return -1 - i;
      hist[(key >> 16) + 0x8000]++;
      remaining++;
    }
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
    if (mask[i] === 0) continue;
    const key = key32(u[i]);
    const d = (key >> 16) + 0x8000;
    if (d < bucket) {
      mask[i] = 0;
      c++;
    } else if (d === bucket) {
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
    if (mask[i] !== 0) {
      const key = u[i] & 0x7fffffff;
      if (key > 0x7f800000) return -1 - i;
      hist[key >>> 16]++;
      remaining++;
    }
  }
  return remaining;
}

function split32Abs(u: Uint32Array, mask: Uint8Array, bucket: number, cand: Candidates, s: number): number {
  let c = 0;
  let j = cand.length;
  const { seg, idx, a } = cand;
  const n = u.length;
  for (let i = 0; i < n; i++) {
    if (mask[i] === 0) continue;
    const key = u[i] & 0x7fffffff;
    const d = key >>> 16;
    if (d < bucket) {
      mask[i] = 0;
      c++;
    } else if (d === bucket) {
      seg[j] = s;
      idx[j] = i;
      a[j] = key & 0xffff;
      j++;
    }
  }
  cand.length = j;
  return c;
}

function prune64(
  segs: Words[],
  resolve: (remaining: number) => number,
  signMask: number,
  nanMessage: (name: string, index: number) => string,
): number[] {
  const counts = segs.map(() => 0);
  const hist = emptyHist();
  let remaining = 0;
  for (const { name, u, mask } of segs) {
    const r = histogram64(u, mask, hist, signMask);
    if (r < 0) throw new RangeError(nanMessage(name, -1 - r));
    remaining += r;
  }
  const k = resolve(remaining);
  checkK(k, remaining);
  if (k === 0) return counts;
  const top = pickBucket(hist, k);
  const cand = candidates(hist[top.bucket], true);
  for (let s = 0; s < segs.length; s++) {
    counts[s] = split64(segs[s].u, segs[s].mask, top.bucket, cand, s, signMask);
  }
  // The rest of the key, a (16 bits) then b (32 bits), resolved in three 16-bit digits over the
  // candidates whose higher digits match the ones chosen so far.
  let rank = k - top.below;
  hist.fill(0);
  for (let j = 0; j < cand.length; j++) hist[cand.a[j]]++;
  const d1 = pickBucket(hist, rank);
  rank -= d1.below;
  hist.fill(0);
  for (let j = 0; j < cand.length; j++) if (cand.a[j] === d1.bucket) hist[cand.b[j] >>> 16]++;
  const d2 = pickBucket(hist, rank);
  rank -= d2.below;
  hist.fill(0);
  for (let j = 0; j < cand.length; j++) {
    if (cand.a[j] === d1.bucket && cand.b[j] >>> 16 === d2.bucket) hist[cand.b[j] & 0xffff]++;
  }
  const d3 = pickBucket(hist, rank);
  let ties = rank - d3.below;
  const tA = d1.bucket;
  const tB = ((d2.bucket << 16) | d3.bucket) >>> 0;
  for (let j = 0; j < cand.length; j++) {
    const a = cand.a[j];
    const b = cand.b[j];
    if (a < tA || (a === tA && (b < tB || (b === tB && ties-- > 0)))) {
      segs[cand.seg[j]].mask[cand.idx[j]] = 0;
      counts[cand.seg[j]]++;
    }
  }
  return counts;
}

/** histogram32 for float64 words: the top 16 bits of the high word of each key. */
function histogram64(u: Uint32Array, mask: Uint8Array, hist: Uint32Array, signMask: number): number {
  let remaining = 0;
  const n = u.length >>> 1;
  for (let i = 0; i < n; i++) {
    if (mask[i] !== 0) {
      const hi = key64Hi(u[2 * i + HI], u[2 * i + LO], signMask);
      if (hi === NAN_KEY) return -1 - i;
      hist[(hi >> 16) + 0x8000]++;
      remaining++;
    }
  }
  return remaining;
}

/** split32 for float64 words; candidates keep the rest of the key (16 + 32 bits). */
function split64(
  u: Uint32Array,
  mask: Uint8Array,
  bucket: number,
  cand: Candidates,
  s: number,
  signMask: number,
): number {
  let c = 0;
  let j = cand.length;
  const { seg, idx, a, b } = cand;
  const n = u.length >>> 1;
  for (let i = 0; i < n; i++) {
    if (mask[i] === 0) continue;
    const lo = u[2 * i + LO];
    const hi = key64Hi(u[2 * i + HI], lo, signMask);
    const d = (hi >> 16) + 0x8000;
    if (d < bucket) {
      mask[i] = 0;
      c++;
    } else if (d === bucket) {
      seg[j] = s;
      idx[j] = i;
      a[j] = hi & 0xffff;
      b[j] = key64Lo(hi, lo);
      j++;
    }
  }
  cand.length = j;
  return c;
}
