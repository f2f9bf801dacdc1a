/**
 * Helpers shared by Zhou et al.'s criteria ("Deconstructing Lottery Tickets", 2019): w_i, the weights
 * a criterion compares the trained ones with (θ_k when the caller gave a rewind point, else θ₀), and
 * the score arrays they fill.
 */
import type { ScoreContext } from './types.js';

type Floats = Float32Array | Float64Array;

/** w_i: θ_k when given (a rewinding run), else θ₀. The criterion must declare `needs: ['initial']`. */
export function startOf(ctx: ScoreContext): Floats {
  const w = ctx.rewind ?? ctx.initial;
  if (!w) throw new RangeError(`no initial weights for layer ${ctx.layer.name}`);
  return w;
}

/** The one-batch loss gradient at θ₀ (see `needs: ['gradient']`). */
export function gradientOf(ctx: ScoreContext): Floats {
  if (!ctx.gradient) throw new RangeError(`no gradient for layer ${ctx.layer.name}`);
  return ctx.gradient;
}

/** Float64 scores f(i) for every position (exact for float32 inputs: |a| - |b| of floats is exact in float64). */
export function scoresBy(n: number, f: (i: number) => number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = f(i);
  return out;
}

/** Both strictly positive or both strictly negative (a zero has no sign: it agrees with nothing). */
export const sameSign = (a: number, b: number): boolean => (a > 0 && b > 0) || (a < 0 && b < 0);
/** One strictly positive, the other strictly negative. */
export const diffSign = (a: number, b: number): boolean => (a > 0 && b < 0) || (a < 0 && b > 0);

/**
 * Rank of every remaining position by `key` descending (0 = largest), ties by position (lower index
 * ranks first); pruned positions get −1. Float64 keys compared exactly.
 */
export function descendingRanks(key: Float64Array, mask: Uint8Array): Int32Array {
  const idx: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) idx.push(i);
  idx.sort((a, b) => key[b] - key[a] || a - b);
  const rank = new Int32Array(mask.length).fill(-1);
  idx.forEach((i, r) => (rank[i] = r));
  return rank;
}
