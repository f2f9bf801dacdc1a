/** Layer-wise pruning: each layer alone at the rate of its kind (Frankle & Carbin's LeNet and Conv-2/4/6). */
import { rateFor } from '../rates.js';
import type { Scope } from './types.js';

export const layerwise: Scope = {
  name: 'layerwise',
  description: 'each layer loses the rate of its kind of its remaining weights',
  pools: (layers, spec) =>
    layers.map((layer) => ({ layers: [layer], rate: rateFor(spec.rates, layer.kind) })),
};
