/** Pruning rates by layer kind. */
import type { LayerKind, PruneRates } from './types.js';

/** The rate of a layer kind, 0 if the spec gives none. */
export function rateFor(rates: PruneRates, kind: LayerKind): number {
  const r = rates[kind];
  return r === undefined ? 0 : r;
}
