/** Per-kind pruning: one pool per layer kind (all conv layers together, all fc layers together, ...). */
import type { LayerKind } from '../types.js';
import { rateFor } from '../rates.js';
import type { PrunePool, Scope } from './types.js';

export const perKind: Scope = {
  name: 'per-kind',
  description: 'the layers of each kind share one threshold and lose the rate of that kind together',
  pools(layers, spec) {
    const byKind = new Map<LayerKind, PrunePool>();
    for (const layer of layers) {
      const pool = byKind.get(layer.kind);
      if (pool) pool.layers.push(layer);
      else byKind.set(layer.kind, { layers: [layer], rate: rateFor(spec.rates, layer.kind) });
    }
    return [...byKind.values()];
  },
};
