/**
 * Order-preserving integer keys of floats, for radix selection (./select.ts).
 *
 * Keys are int32s that order, as signed integers, exactly as the values: for a bit pattern x,
 * x ^ 0x7fffffff if x is negative (bigger magnitude, lower key), x itself otherwise. (That is the
 * usual unsigned key — flip all bits of a negative, set the sign bit of a non-negative — with its
 * top bit flipped, so it stays in int32 range, where V8 keeps it in a register.) The 16-bit bucket
 * digit of a key is (key >> 16) + 0x8000, its low digit key & 0xffff. A float64's key is its high
 * word's key followed by its low word, flipped for negatives.
 */

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Index, within a float64's pair of 32-bit words, of the word holding sign and exponent. */
export const HI = LITTLE_ENDIAN ? 1 : 0;
export const LO = 1 - HI;

/** Returned for NaN: the lowest int32, which is no real value's key. */
export const NAN_KEY = 0x80000000 | 0;

/**
 * The key of a float32 bit pattern, or NAN_KEY. Negatives also move up by one, which makes −0's
 * key equal +0's (0); branch-free apart from NaN, so mixed signs cost no mispredictions.
 */
export function key32(bits: number): number {
  if ((bits & 0x7fffffff) > 0x7f800000) return NAN_KEY;
  const m = bits >> 31; // −1 for negatives, 0 otherwise
  return ((bits ^ (m & 0x7fffffff)) - m) | 0;
}

/**
 * The key of a float64's high word (−0 turned into +0 first), or NAN_KEY. `signMask` 0x7fffffff
 * gives the key of |value|, 0xffffffff that of the value.
 */
export function key64Hi(hi: number, lo: number, signMask: number): number {
  let x = hi & signMask;
  const e = x & 0x7fffffff;
  if (e > 0x7ff00000 || (e === 0x7ff00000 && lo !== 0)) return NAN_KEY;
  if (x === NAN_KEY && lo === 0) x = 0; // −0 (same bit pattern as NAN_KEY) is +0
  return x ^ ((x >> 31) & 0x7fffffff);
}

/** The low word of a float64's key (unsigned), given its high word's key: flipped for negatives. */
export function key64Lo(keyHi: number, lo: number): number {
  return (lo ^ (keyHi >> 31)) >>> 0;
}
