/** What a pruning criterion is: a score for every weight, higher = kept. */
import type { Rng } from '../../util/rng.js';
import type { PrunableLayer } from '../types.js';

/** Weights besides the trained ones that a criterion can ask for. */
export type WeightSource = 'initial' | 'rewind' | 'gradient';

/** What a criterion sees of one layer. Arrays are flat, in the layer's stored layout; read-only. */
export interface ScoreContext {
  layer: PrunableLayer;
  /** The weights at the end of training (θ_final). */
  trained: Float32Array | Float64Array;
  /** θ₀: present whenever the criterion `needs` 'initial' (and whenever the caller gave it). */
  initial?: Float32Array | Float64Array;
  /** θ_k: present whenever the criterion `needs` 'rewind' (and whenever the caller gave it). */
  rewind?: Float32Array | Float64Array;
  /** The loss gradient of one batch at θ₀: present whenever the criterion `needs` 'gradient'. */
  gradient?: Float32Array | Float64Array;
  /** The current mask: 1 = remaining, 0 = already pruned (already-pruned positions are never revived). */
  mask: Uint8Array;
}

/** What a choosing criterion (see `Criterion.choose`) gets for one layer. */
export interface ChooseContext {
  layer: PrunableLayer;
  /** The layer's mask, to clear exactly `count` of its remaining (1) entries in place. */
  mask: Uint8Array;
  count: number;
  rng: Rng;
}

export interface Criterion {
  /** The name configs use (`pruning.strategy`). */
  readonly name: string;
  /** One line for help texts and docs. */
  readonly description: string;
  /** Weight sources the scores need; pruning without them fails naming the missing source. */
  readonly needs?: readonly WeightSource[];
  /**
   * One score per weight of the layer, same length as `trained`; the remaining weights with the
   * lowest scores are pruned (negative below positive, −0 = +0, ties by position). A NaN score at
   * a remaining position is an error. May return a Float32Array or a Float64Array.
   */
  score(ctx: ScoreContext): Float32Array | Float64Array;
  /**
   * Optional fast path for a score that is |v| of an array that already exists (magnitude: v is
   * the trained weights): returns v, and selection reads |v| in place instead of allocating the
   * scores. Must select exactly what `score` would.
   */
  magnitudeOf?(ctx: ScoreContext): Float32Array | Float64Array;
  /**
   * Optional: choose the pruned positions of each layer itself instead of by lowest score. The
   * scope still decides how many each layer loses: one count per layer for a one-layer pool, and
   * for a pool of several layers the split that the lowest `score`s would give. Called for each
   * layer that loses at least one weight, in the order given to `pruneMasks`, all drawing from one
   * Rng (an Rng or `spec.seed` is then required). `score` is only called for pools of several layers.
   */
  choose?(ctx: ChooseContext): void;
}
