/**
 * dsd: dense–sparse–dense. Up to s_f by the middle of the window along a cosine, then back down to s_i
 * at its end: s = s_i + (1 + cos π(1 − 2pos))(s_f − s_i)/2 for pos < ½, else s_f + (1 − cos π(1 − 2pos))(s_i − s_f)/2.
 * When the sparsity falls, pruned weights grow back (at 0; see gradual pruning).
 */
import type { SparsitySchedule } from './types.js';

export const dsd: SparsitySchedule = {
  name: 'dsd',
  description:
    'dense–sparse–dense: cosine up to s_f at pos ½, back down to s_i at pos 1 (weights regrow at 0)',
  defaultStart: 0,
  sparsityAt: (position, { initial, final }) =>
    position < 0.5
      ? initial + ((1 + Math.cos(Math.PI * (1 - 2 * position))) * (final - initial)) / 2
      : final + ((1 - Math.cos(Math.PI * (1 - 2 * position))) * (initial - final)) / 2,
};
