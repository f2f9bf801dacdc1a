/** A fresh random initialization at every level (the mask is kept, the values are not). */
import { Rng } from '../../util/rng.js';
import { freshInit } from '../tickets.js';
import type { ResetStrategy } from '../types.js';

export const reinitReset: ResetStrategy = {
  name: 'reinit',
  description: 'survivors restart from a fresh random initialization drawn for the level',
  dependsOn: () => [],
  startingWeights: (ctx) => freshInit(ctx.engine, Rng.derive(ctx.seed, 'reinit', ctx.level).uint32()),
};
