/** iterative: n equal steps, s = s_i + (s_f − s_i)/n · ⌈n·pos⌉ (fasterai sched_iterative, n = 3). */
import type { SparsitySchedule } from './types.js';

export const iterative: SparsitySchedule = {
  name: 'iterative',
  description: 's = s_i + (s_f − s_i)/n·⌈n·pos⌉: n equal steps (--gradual-steps, default 3)',
  defaultStart: 0.2,
  sparsityAt: (position, { initial, final, steps }) =>
    initial + ((final - initial) / steps) * Math.ceil(steps * position - 1e-9),
};
