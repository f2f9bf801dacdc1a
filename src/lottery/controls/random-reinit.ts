/** Random re-initialization: the ticket's mask, trained from a fresh random initialization. */
import { Rng } from '../../util/rng.js';
import { freshInit, ticketMaskDependsOn, ticketSourceLevel } from '../tickets.js';
import type { Condition } from '../types.js';

export const randomReinitControl: Condition = {
  name: 'random-reinit',
  description: 'the ticket’s mask with a fresh random initialization',
  sourceLevel: ticketSourceLevel,
  maskDependsOn: ticketMaskDependsOn,
  masks: (ctx) => ctx.ticketMasks(),
  start: {
    dependsOn: () => [],
    startingWeights: (ctx) =>
      freshInit(ctx.engine, Rng.derive(ctx.seed, 'random-reinit', ctx.level).uint32()),
  },
};
