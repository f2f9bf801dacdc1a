/** One-shot pruning: level 0's trained ticket pruned in one round to this level's sparsity. */
import { fullMasks, pruneMasks } from '../../prune/index.js';
import { Rng } from '../../util/rng.js';
import { pruneSources, pruneSpecFor } from '../tickets.js';
import { maskSourceWeights } from '../snapshots.js';
import { type Condition, unitKey } from '../types.js';

export const oneShotControl: Condition = {
  name: 'one-shot',
  description: 'level 0’s trained weights pruned straight to this level’s sparsity, reset like the ticket',
  sourceLevel: () => 0,
  maskDependsOn: ({ trial }) => [unitKey(trial, 0, 'ticket')],
  masks: (ctx) => {
    const schedule = { ...ctx.config.pruning, schedule: 'one-shot' as const };
    const { spec } = pruneSpecFor({ ...ctx.config, pruning: schedule }, ctx.level);
    const trained = maskSourceWeights(ctx.config, ctx.run, ctx.trial, 0);
    const sources = pruneSources(ctx.run, ctx.trial, spec.strategy, ctx.config.reset === 'rewind');
    return pruneMasks(ctx.layers, trained.weights, fullMasks(ctx.layers), {
      ...spec,
      seed: Rng.derive(ctx.seed, 'one-shot', ctx.level).uint32(),
      ...(sources ? { sources } : {}),
    });
  },
};
