/**
 * Selection of the k smallest magnitudes among the remaining weights of one or more layers.
 *
 * Method: radix selection on the IEEE-754 bit patterns. For non-negative floats the bit pattern,
 * read as an unsigned integer, orders exactly as the value, so |w| is the pattern with the sign bit
 * cleared. One histogram pass over the layer on the top 16 bits of |w| finds the bucket holding the
 * threshold; a second pass prunes everything in lower buckets and collects the (usually few)
 * weights in the threshold bucket, whose remaining bits are then resolved 16 bits at a time on that
 * candidate list alone. Linear time, two scans of the layer, no sorting.
 *
 * Ties are broken by position: among weights of equal magnitude at the threshold, the ones that
 * come first are pruned first, "first" meaning lower index within a layer and, across the layers
 * of a global pool, earlier layer in the pool's order. (+0 and −0 are equal magnitudes.)
 */

export interface Segment {
  name: string;
  weights: Float32Array | Float64Array;
  /** Remaining positions (non-zero); selected positions are set to 0 in place. */
  mask: Uint8Array;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Index, within a float64's pair of 32-bit words, of the word holding sign and exponent. */
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = 1 - HI;

interface Words {
  name: string;
  /** The weights' bit patterns: one word per float32, two per float64. */
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
  for (const s of segments) {
    if (s.weights.length !== s.mask.length) {
      throw new RangeError(
        `mask of ${s.name} has ${s.mask.length} entries, its weight has ${s.weights.length}`,
      );
    }
  }
  const resolve = typeof k === 'number' ? () => k : k;
  if (segments.every((s) => s.weights instanceof Float32Array)) {
    return prune32(
      segments.map((s) => ({ name: s.name, u: wordsOf(s.weights), mask: s.mask })),
      resolve,
    );
  }
  // Float64, or a pool mixing both: compare in float64 (float32 → float64 is exact).
  const words = segments.map((s) => ({
    name: s.name,
    u: wordsOf(s.weights instanceof Float64Array ? s.weights : Float64Array.from(s.weights)),
    mask: s.mask,
  }));
  return prune64(words, resolve);
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

/** The weights in the threshold bucket: segment, index, and the not-yet-resolved low bits of |w|. */
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

function prune32(segs: Words[], resolve: (remaining: number) => number): number[] {
  const counts = segs.map(() => 0);
  const hist = emptyHist();
  let remaining = 0;
  for (const { name, u, mask } of segs) {
    const r = histogram32(u, mask, hist);
    if (r < 0) throw new RangeError(`weight ${name}[${-1 - r}] is NaN; cannot prune by magnitude`);
    remaining += r;
  }
  const k = resolve(remaining);
  checkK(k, remaining);
  if (k === 0) return counts;
  const top = pickBucket(hist, k);
  const cand = candidates(hist[top.bucket], false);
  for (let s = 0; s < segs.length; s++) counts[s] = split32(segs[s].u, segs[s].mask, top.bucket, cand, s);
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
 * Adds the top 16 bits of |w| of the remaining weights to `hist`. Returns the number counted, or
 * −1 − i if weight i is NaN. (Hot loops live in small functions of their own so V8 optimizes them.)
 */
function histogram32(u: Uint32Array, mask: Uint8Array, hist: Uint32Array): number {
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

/** Prunes remaining weights below `bucket`, appends those in it to `cand`; returns the count pruned. */
function split32(u: Uint32Array, mask: Uint8Array, bucket: number, cand: Candidates, s: number): number {
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

function prune64(segs: Words[], resolve: (remaining: number) => number): number[] {
  const counts = segs.map(() => 0);
  const hist = emptyHist();
  let remaining = 0;
  for (const { name, u, mask } of segs) {
    const n = u.length >>> 1;
    for (let i = 0; i < n; i++) {
      if (mask[i] === 0) continue;
      const hi = u[2 * i + HI] & 0x7fffffff;
      if (hi > 0x7ff00000 || (hi === 0x7ff00000 && u[2 * i + LO] !== 0)) {
        throw new RangeError(`weight ${name}[${i}] is NaN; cannot prune by magnitude`);
      }
      hist[hi >>> 16]++;
      remaining++;
    }
  }
  const k = resolve(remaining);
  checkK(k, remaining);
  if (k === 0) return counts;
  const top = pickBucket(hist, k);
  const cand = candidates(hist[top.bucket], true);
  segs.forEach(({ u, mask }, s) => {
    let c = 0;
    const n = u.length >>> 1;
    for (let i = 0; i < n; i++) {
      if (mask[i] === 0) continue;
      const hi = u[2 * i + HI] & 0x7fffffff;
      const d = hi >>> 16;
      if (d < top.bucket) {
        mask[i] = 0;
        c++;
      } else if (d === top.bucket) {
        const j = cand.length++;
        cand.seg[j] = s;
        cand.idx[j] = i;
        cand.a[j] = hi & 0xffff;
        cand.b[j] = u[2 * i + LO];
      }
    }
    counts[s] = c;
  });
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

/** Number of non-zero entries of a mask (counted four bytes at a time). */
export function countOnes(mask: Uint8Array): number {
  const n = mask.length;
  let c = 0;
  let i = 0;
  while (i < n && ((mask.byteOffset + i) & 3) !== 0) {
    if (mask[i] !== 0) c++;
    i++;
  }
  const words = (n - i) >>> 2;
  if (words === 0) {
    for (; i < n; i++) if (mask[i] !== 0) c++;
    return c;
  }
  const u = new Uint32Array(mask.buffer, mask.byteOffset + i, words);
  for (let j = 0; j < words; j++) {
    const w = u[j];
    // 0x80 in each byte of w that is non-zero, then the number of such bytes
    const nz = ((((w & 0x7f7f7f7f) + 0x7f7f7f7f) | w) & 0x80808080) >>> 7;
    c += Math.imul(nz, 0x01010101) >>> 24;
  }
  for (i += words * 4; i < n; i++) if (mask[i] !== 0) c++;
  return c;
}
