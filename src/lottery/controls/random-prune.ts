/**
 * Random pruning: a random mask with the ticket's per-layer counts, reset like the ticket. Under a
 * group granularity (or N:M) the random mask has the ticket's structure too: whole random groups in
 * the same number per layer (random weights of every block in the same number).
 */
import { granularityNamed, isPerWeight, randomGroupMasksLike, randomMasksLike } from '../../prune/index.js';
import { Rng } from '../../util/rng.js';
import { ticketMaskDependsOn, ticketSourceLevel } from '../tickets.js';
import type { Condition } from '../types.js';

export const randomPruneControl: Condition = {
  name: 'random-prune',
  description: 'a random mask with the ticket’s per-layer counts (and its groups), reset like the ticket',
  sourceLevel: ticketSourceLevel,
  maskDependsOn: ticketMaskDependsOn,
  masks: (ctx) => {
    const rng = Rng.derive(ctx.seed, 'random-prune', ctx.level);
    const granularity = granularityNamed(ctx.config.granularity);
    // per weight: exactly as before granularities existed (stored runs keep their masks)
    if (isPerWeight(granularity)) return randomMasksLike(ctx.ticketMasks(), rng);
    return randomGroupMasksLike(ctx.ticketMasks(), ctx.layers, granularity, rng);
  },
};
