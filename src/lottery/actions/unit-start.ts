/** A unit's starting weights and frozen values under the run's mask-1 and mask-0 actions. */
import type { Masks } from '../../prune/index.js';
import { Rng } from '../../util/rng.js';
import { trainedTicket } from '../tickets.js';
import type { UnitContext, WeightSet } from '../types.js';
import { applyActions, prunedActions } from './registry.js';

export interface UnitStart {
  start: WeightSet;
  /** Values pruned weights are frozen at (absent: 0). */
  frozen?: Map<string, Float32Array>;
}

/**
 * `start` (what the reset or the condition gives) after the run's actions, for a unit at level ≥ 1.
 * With the defaults (reset, zero) it is `start` itself: nothing is drawn, nothing changes.
 */
export function actionStart(ctx: UnitContext, masks: Masks, start: WeightSet): UnitStart {
  const { keptWeights, prunedWeights } = ctx.config.pruning;
  if (keptWeights === 'reset' && prunedWeights === 'zero') return { start };
  const trained = prunedActions.get(prunedWeights).needsTrained
    ? trainedTicket(ctx.run, ctx.trial, ctx.sourceLevel).weights
    : new Map<string, Float32Array>();
  const { weights, frozen } = applyActions(keptWeights, prunedWeights, {
    layers: ctx.layers,
    masks,
    start: start.weights,
    trained,
    rng: Rng.derive(ctx.seed, 'weight-actions', ctx.level, ctx.condition),
  });
  return { start: { weights, buffers: start.buffers }, frozen: frozen.size > 0 ? frozen : undefined };
}
