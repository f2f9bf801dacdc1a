/**
 * The mask-1 and mask-0 action registries (the `pruning.keptWeights` and `pruning.prunedWeights`
 * settings), and how a unit's starting weights and frozen values come from them.
 */
import { provideChoices } from '../../spec/choices.js';
import { Registry } from '../../util/registry.js';
import { KEPT_ACTIONS } from './kept.js';
import { PRUNED_ACTIONS } from './pruned.js';
import type { KeptAction, PrunedAction, PrunedContext } from './types.js';

export const keptActions = new Registry<KeptAction>('kept-weights action');
export const prunedActions = new Registry<PrunedAction>('pruned-weights action');
for (const a of KEPT_ACTIONS) keptActions.register(a);
for (const a of PRUNED_ACTIONS) prunedActions.register(a);
provideChoices('pruning.keptWeights', () => keptActions.names());
provideChoices('pruning.prunedWeights', () => prunedActions.names());

/**
 * A unit's starting weights and the values its pruned weights are frozen at: the mask-0 action reads
 * w_i as the reset gives it; the mask-1 action then sets the kept weights' start (after the mask-0
 * action's own changes, e.g. freeze_init_zero_all's zeroed kept weights).
 */
export function applyActions(
  kept: string,
  pruned: string,
  ctx: PrunedContext,
): { weights: Map<string, Float32Array>; frozen: Map<string, Float32Array> } {
  const zeroes = prunedActions.get(pruned).apply(ctx);
  const start = new Map(ctx.start);
  for (const [name, values] of zeroes.start ?? []) start.set(name, values);
  const changed = keptActions.get(kept).apply({ ...ctx, start });
  for (const [name, values] of changed) start.set(name, values);
  return { weights: start, frozen: zeroes.frozen };
}
