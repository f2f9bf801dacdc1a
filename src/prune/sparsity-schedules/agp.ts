/** agp: Zhu & Gupta's automated gradual pruning, s = s_f + (s_i − s_f)(1 − pos)³. */
import type { SparsitySchedule } from './types.js';

export const agp: SparsitySchedule = {
  name: 'agp',
  description: 's = s_f + (s_i − s_f)(1 − pos)³ (Zhu & Gupta)',
  defaultStart: 0.2,
  sparsityAt: (position, { initial, final }) => final + (initial - final) * Math.pow(1 - position, 3),
};
