/**
 * Selection of the k smallest magnitudes among the remaining weights of one or more layers, in
 * linear expected time (quickselect on a typed-array copy of the remaining magnitudes).
 *
 * Ties are broken by position: among weights of equal magnitude at the threshold, the ones that
 * come first are pruned first, "first" meaning lower index within a layer and, across the layers
 * of a global pool, earlier layer in the pool's order.
 */

type Magnitudes = Float32Array | Float64Array;

export interface Segment {
  name: string;
  weights: Float32Array | Float64Array;
  /** Remaining positions (1); selected positions are set to 0 in place. */
  mask: Uint8Array;
}

/**
 * Clears, in the segments' masks, the `k` remaining weights of smallest |w| (ties by position as
 * described above). Returns how many were cleared in each segment, in segment order.
 */
export function pruneSmallest(segments: Segment[], k: number): number[] {
  const counts = segments.map(() => 0);
  if (k <= 0) return counts;
  let remaining = 0;
  let allFloat32 = true;
  for (const s of segments) {
    remaining += countOnes(s.mask);
    if (!(s.weights instanceof Float32Array)) allFloat32 = false;
  }
  if (k > remaining) throw new RangeError(`cannot prune ${k} of ${remaining} remaining weights`);

  // Gather remaining magnitudes. |float32| is exact in float32, so float32 pools stay float32
  // (half the memory traffic); anything else is compared in float64.
  const mags: Magnitudes = allFloat32 ? new Float32Array(remaining) : new Float64Array(remaining);
  let n = 0;
  for (const s of segments) {
    const { weights: w, mask } = s;
    for (let i = 0; i < w.length; i++) {
      if (mask[i] !== 0) {
        const a = Math.abs(w[i]);
        if (a !== a) throw new RangeError(`weight ${s.name}[${i}] is NaN; cannot prune by magnitude`);
        mags[n++] = a;
      }
    }
  }

  const threshold = selectKth(mags, k - 1);
  // After selection mags[0..k-1) ≤ threshold ≤ mags[k..]; those strictly below are all pruned, and
  // the rest of the k are taken from the weights equal to the threshold, in position order.
  let below = 0;
  for (let i = 0; i < k - 1; i++) if (mags[i] < threshold) below++;
  let ties = k - below;

  for (let si = 0; si < segments.length; si++) {
    const { weights: w, mask } = segments[si];
    let c = 0;
    for (let i = 0; i < w.length; i++) {
      if (mask[i] === 0) continue;
      const a = Math.abs(w[i]);
      if (a < threshold) {
        mask[i] = 0;
        c++;
      } else if (a === threshold && ties > 0) {
        mask[i] = 0;
        ties--;
        c++;
      }
    }
    counts[si] = c;
  }
  return counts;
}

export function countOnes(mask: Uint8Array): number {
  let c = 0;
  for (let i = 0; i < mask.length; i++) c += mask[i] !== 0 ? 1 : 0;
  return c;
}

/**
 * Returns the k-th smallest value (0-based) of `a`, partially reordering `a` so that
 * a[0..k) ≤ a[k] ≤ a(k..]. Hoare-partition quickselect with a median-of-three pivot; falls back
 * to a full typed-array sort of the current range if partitioning degenerates (introselect).
 */
export function selectKth(a: Magnitudes, k: number): number {
  if (k < 0 || k >= a.length) throw new RangeError(`k=${k} out of range for length ${a.length}`);
  let lo = 0;
  let hi = a.length - 1;
  let budget = 2 * Math.ceil(Math.log2(a.length + 1)) + 8;
  while (hi > lo) {
    if (hi - lo < 24 || budget-- <= 0) {
      a.subarray(lo, hi + 1).sort();
      return a[k];
    }
    const mid = lo + ((hi - lo) >> 1);
    // median of three, placed so that a[lo] ≤ a[mid] ≤ a[hi]
    if (a[mid] < a[lo]) swap(a, mid, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[mid]) swap(a, hi, mid);
    const pivot = a[mid];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    // a[lo..j] ≤ pivot, a[j+1..i-1] = pivot, a[i..hi] ≥ pivot
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

function swap(a: Magnitudes, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}
