/** one_shot: the final sparsity at once, at the start of the window (fasterai: start_pct 0.5). */
import type { SparsitySchedule } from './types.js';

export const oneShot: SparsitySchedule = {
  name: 'one_shot',
  description: 's = s_f for the whole window (one pruning event at its start)',
  defaultStart: 0.5,
  sparsityAt: (position, { initial, final }) => (position > 0 ? final : initial),
};
