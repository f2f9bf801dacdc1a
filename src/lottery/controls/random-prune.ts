/** Random pruning: a random mask with the ticket's per-layer counts, reset like the ticket. */
import { randomMasksLike } from '../../prune/index.js';
import { Rng } from '../../util/rng.js';
import { ticketMaskDependsOn, ticketSourceLevel } from '../tickets.js';
import type { Condition } from '../types.js';

export const randomPruneControl: Condition = {
  name: 'random-prune',
  description: 'a random mask with the ticket’s per-layer counts, reset like the ticket',
  sourceLevel: ticketSourceLevel,
  maskDependsOn: ticketMaskDependsOn,
  masks: (ctx) => randomMasksLike(ctx.ticketMasks(), Rng.derive(ctx.seed, 'random-prune', ctx.level)),
};
