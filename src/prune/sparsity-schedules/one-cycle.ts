/** one_cycle: a logistic rise, s = s_i + (s_f − s_i)(1 + e^(−α+β))/(1 + e^(−α·pos+β)), α = 14, β = 6. */
import type { SparsitySchedule } from './types.js';

const ALPHA = 14;
const BETA = 6;

export const oneCycle: SparsitySchedule = {
  name: 'one_cycle',
  description: 's = s_i + (s_f − s_i)(1 + e^(β−α))/(1 + e^(β−α·pos)), α = 14, β = 6',
  defaultStart: 0,
  sparsityAt: (position, { initial, final }) =>
    initial + ((final - initial) * (1 + Math.exp(-ALPHA + BETA))) / (1 + Math.exp(-ALPHA * position + BETA)),
};
