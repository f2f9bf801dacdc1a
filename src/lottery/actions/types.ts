/**
 * Zhou et al.'s weight actions ("Deconstructing Lottery Tickets", 2019, Sections 4 and 5): what the
 * kept weights of a pruned network start from (mask-1 actions) and what its pruned weights hold
 * (mask-0 actions). Both act per masked tensor; parameters without a mask pass through.
 */
import type { Masks, PrunableLayer } from '../../prune/index.js';
import type { Rng } from '../../util/rng.js';

export interface KeptContext {
  layers: readonly PrunableLayer[];
  masks: Masks;
  /** w_i: every parameter as the reset gives it (θ₀, θ_k, ...). Not modified. */
  start: ReadonlyMap<string, Float32Array>;
  rng: Rng;
}

/** Mask-1 action: the starting values of the masked tensors (only kept positions matter). */
export interface KeptAction {
  readonly name: string;
  readonly description: string;
  /** New arrays for the masked tensors it changes; tensors left out keep their `start` values. */
  apply(ctx: KeptContext): Map<string, Float32Array>;
}

export interface PrunedContext extends KeptContext {
  /** w_f: the trained weights the mask was pruned from. */
  trained: ReadonlyMap<string, Float32Array>;
}

/** What a mask-0 action gives: frozen values of pruned positions, and changed kept starting values. */
export interface PrunedValues {
  /** Per masked tensor, the value each pruned position is frozen at (absent: 0). */
  frozen: Map<string, Float32Array>;
  /** Per masked tensor, replaced starting values (freeze_init_zero_all zeroes kept ones too). */
  start?: Map<string, Float32Array>;
}

/** Mask-0 action. */
export interface PrunedAction {
  readonly name: string;
  readonly description: string;
  /** Whether it reads w_f (the source ticket's trained weights). */
  readonly needsTrained: boolean;
  apply(ctx: PrunedContext): PrunedValues;
}
