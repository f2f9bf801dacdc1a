/** Radix-selection pieces shared by the float32 (./select.ts) and float64 (./select64.ts) paths. */

/*
 * Keys: radix selection compares order-preserving int32 keys of the values' bit patterns x:
 * x ^ 0x7fffffff if x is negative (bigger magnitude, lower key), x itself otherwise. (That is the
 * usual unsigned key — flip all bits of a negative, set the sign bit of a non-negative — with its
 * top bit flipped, so it stays in int32 range, where V8 keeps it in a register.) The 16-bit bucket
 * digit of a key is (key >> 16) + 0x8000, its low digit key & 0xffff. The key functions and
 * constants are defined next to the loops that use them, never imported: under tsx an imported
 * function or binding in these loops costs about half again the time of the whole selection.
 */

export interface Words {
  name: string;
  /** The values' bit patterns: one word per float32, two per float64. */
  u: Uint32Array;
  mask: Uint8Array;
}

export function checkK(k: number, remaining: number): void {
  if (!Number.isInteger(k) || k < 0 || k > remaining) {
    throw new RangeError(`cannot prune ${k} of ${remaining} remaining weights`);
  }
}

/** The bucket holding the element of 1-based rank `rank`, and the count in buckets below it. */
export function pickBucket(hist: Uint32Array, rank: number): { bucket: number; below: number } {
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

export function emptyHist(): Uint32Array {
  sharedHist.fill(0);
  return sharedHist;
}

/** The weights in the threshold bucket: segment, index, and the not-yet-resolved low bits of the key. */
export interface Candidates {
  seg: Int32Array;
  idx: Int32Array;
  a: Uint32Array;
  b: Uint32Array;
  length: number;
}

export function candidates(n: number, withB: boolean): Candidates {
  return {
    seg: new Int32Array(n),
    idx: new Int32Array(n),
    a: new Uint32Array(n),
    b: new Uint32Array(withB ? n : 0),
    length: 0,
  };
}
