/**
 * Random pruning: as many weights as magnitude pruning would remove from each layer, chosen
 * uniformly among the layer's remaining ones. In a pool of several layers the per-layer counts are
 * magnitude's split of the pool (so random global pruning matches global magnitude pruning layer
 * by layer).
 */
import { pruneRandomly } from '../random.js';
import { magnitude } from './magnitude.js';
import type { Criterion } from './types.js';

export const random: Criterion = {
  name: 'random',
  description: 'remove as many weights as magnitude would from each layer, uniformly at random',
  score: (ctx) => magnitude.score(ctx),
  magnitudeOf: (ctx) => magnitude.magnitudeOf!(ctx),
  choose({ mask, count, rng }) {
    pruneRandomly(mask, count, rng);
  },
};
