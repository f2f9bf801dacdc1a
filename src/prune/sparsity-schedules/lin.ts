/** lin: a straight line, s = s_i + pos·(s_f − s_i). */
import type { SparsitySchedule } from './types.js';

export const lin: SparsitySchedule = {
  name: 'lin',
  description: 's = s_i + pos·(s_f − s_i)',
  defaultStart: 0,
  sparsityAt: (position, { initial, final }) => initial + position * (final - initial),
};
