/** Radix selection on float64 values (see ./select.ts and the key layout in ./radix.ts). */
import { candidates, checkK, emptyHist, pickBucket, type Candidates, type Words } from './radix.js';

/** Returned for NaN: the lowest int32, which is no real value's key. */
const NAN_KEY = 0x80000000 | 0;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
// Index, within a float64's pair of 32-bit words, of the word holding sign and exponent. Defined
// here, not imported: an imported binding is checked on every read in the hot loops.
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = 1 - HI;

/** The key of a float64's high word (−0 turned into +0 first), or NAN_KEY. */
function key64Hi(hi: number, lo: number): number {
  let x = hi | 0;
  const e = x & 0x7fffffff;
  if (e > 0x7ff00000 || (e === 0x7ff00000 && lo !== 0)) return NAN_KEY;
  if (x === NAN_KEY && lo === 0) x = 0; // −0 (same bit pattern as NAN_KEY) is +0
  return x ^ ((x >> 31) & 0x7fffffff);
}

/** The low word of a float64's key (unsigned), given its high word's key: flipped for negatives. */
function key64Lo(keyHi: number, lo: number): number {
  return (lo ^ (keyHi >> 31)) >>> 0;
}

export function prune64(
  segs: Words[],
  resolve: (remaining: number) => number,
  magnitude: boolean,
  nanMessage: (name: string, index: number) => string,
): number[] {
  const counts = segs.map(() => 0);
  const hist = emptyHist();
  let remaining = 0;
  for (const { name, u, mask } of segs) {
    const r = magnitude ? histogram64Abs(u, mask, hist) : histogram64(u, mask, hist);
    if (r < 0) throw new RangeError(nanMessage(name, -1 - r));
    remaining += r;
  }
  const k = resolve(remaining);
  checkK(k, remaining);
  if (k === 0) return counts;
  const top = pickBucket(hist, k);
  const cand = candidates(hist[top.bucket], true);
  for (let s = 0; s < segs.length; s++) {
    const { u, mask } = segs[s];
    counts[s] = magnitude ? split64Abs(u, mask, top.bucket, cand, s) : split64(u, mask, top.bucket, cand, s);
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
function histogram64(u: Uint32Array, mask: Uint8Array, hist: Uint32Array): number {
  let remaining = 0;
  const n = u.length >>> 1;
  for (let i = 0; i < n; i++) {
    if (mask[i] !== 0) {
      const hi = key64Hi(u[2 * i + HI], u[2 * i + LO]);
      if (hi === NAN_KEY) return -1 - i;
      hist[(hi >> 16) + 0x8000]++;
      remaining++;
    }
  }
  return remaining;
}

/** split32 for float64 words; candidates keep the rest of the key (16 + 32 bits). */
function split64(u: Uint32Array, mask: Uint8Array, bucket: number, cand: Candidates, s: number): number {
  let c = 0;
  let j = cand.length;
  const { seg, idx, a, b } = cand;
  const n = u.length >>> 1;
  for (let i = 0; i < n; i++) {
    if (mask[i] === 0) continue;
    const lo = u[2 * i + LO];
    const hi = key64Hi(u[2 * i + HI], lo);
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

/*
 * histogram64 and split64 for magnitudes: the key of |x| is the high word with the sign bit
 * cleared, then the low word (the same order as the keys of |x|, shifted by a constant). Separate
 * copies for speed, as for float32 in ./select.ts.
 */
function histogram64Abs(u: Uint32Array, mask: Uint8Array, hist: Uint32Array): number {
  let remaining = 0;
  const n = u.length >>> 1;
  for (let i = 0; i < n; i++) {
    if (mask[i] === 0) continue;
    const hi = u[2 * i + HI] & 0x7fffffff;
    if (hi > 0x7ff00000 || (hi === 0x7ff00000 && u[2 * i + LO] !== 0)) return -1 - i;
    hist[hi >>> 16]++;
    remaining++;
  }
  return remaining;
}

function split64Abs(u: Uint32Array, mask: Uint8Array, bucket: number, cand: Candidates, s: number): number {
  let c = 0;
  let j = cand.length;
  const { seg, idx, a, b } = cand;
  const n = u.length >>> 1;
  for (let i = 0; i < n; i++) {
    if (mask[i] === 0) continue;
    const hi = u[2 * i + HI] & 0x7fffffff;
    const d = hi >>> 16;
    if (d < bucket) {
      mask[i] = 0;
      c++;
    } else if (d === bucket) {
      seg[j] = s;
      idx[j] = i;
      a[j] = hi & 0xffff;
      b[j] = u[2 * i + LO];
      j++;
    }
  }
  cand.length = j;
  return c;
}
