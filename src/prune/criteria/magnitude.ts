/** Frankle & Carbin's criterion (Zhou et al.'s "large final"): keep the weights of largest |θ_final|. */
import type { Criterion } from './types.js';

export const magnitude: Criterion = {
  name: 'magnitude',
  description: 'keep the largest |w| of the trained weights (Frankle & Carbin; "large_final")',
  score({ trained }) {
    const scores =
      trained instanceof Float32Array ? new Float32Array(trained.length) : new Float64Array(trained.length);
    for (let i = 0; i < trained.length; i++) scores[i] = Math.abs(trained[i]);
    return scores;
  },
  magnitudeOf: ({ trained }) => trained,
};
