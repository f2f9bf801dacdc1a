/** What a pruning scope is: how layers are pooled, each pool sharing one threshold and one count. */
import type { PrunableLayer, PruneSpec } from '../types.js';

/** Layers pruned together: they lose prunedCount(rate, remaining in the pool) weights of lowest score. */
export interface PrunePool {
  /** In model order (ties between layers go to the earlier one). */
  layers: PrunableLayer[];
  rate: number;
}

export interface Scope {
  /** The name configs use (`pruning.scope`). */
  readonly name: string;
  /** One line for help texts and docs. */
  readonly description: string;
  /**
   * Pools covering the layers; no layer in two pools. A layer in no pool is not pruned. Rates are
   * checked by `pruneMasks` before this is called.
   */
  pools(layers: readonly PrunableLayer[], spec: PruneSpec): PrunePool[];
}
