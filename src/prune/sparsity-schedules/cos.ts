/** cos: a half cosine, s = s_i + (1 + cos π(1 − pos))(s_f − s_i)/2 (fastai sched_cos). */
import type { SparsitySchedule } from './types.js';

export const cos: SparsitySchedule = {
  name: 'cos',
  description: 's = s_i + (1 + cos π(1 − pos))(s_f − s_i)/2',
  defaultStart: 0,
  sparsityAt: (position, { initial, final }) =>
    initial + ((1 + Math.cos(Math.PI * (1 - position))) * (final - initial)) / 2,
};
