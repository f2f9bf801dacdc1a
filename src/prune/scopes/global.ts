/** Global pruning: one pool across chosen layers (Frankle & Carbin's VGG-19 and ResNet-18, Section 4). */
import { UserError } from '../../util/errors.js';
import { rateFor } from '../rates.js';
import type { PrunableLayer, PruneSpec } from '../types.js';
import type { PrunePool, Scope } from './types.js';

/**
 * The layers pooled by global pruning and the rate applied to the pool. Pool: `spec.globalLayers`
 * if given (kept in model order), else every conv layer, or every fc layer if there is no conv
 * layer. Rate: if the pool contains a conv layer, `rates.conv` (or `rates.fc` when no conv rate is
 * given); otherwise `rates.fc`; 0 if the chosen rate is not given.
 */
export function globalPool(
  layers: readonly PrunableLayer[],
  spec: Pick<PruneSpec, 'rates' | 'globalLayers'>,
): { pool: PrunableLayer[]; rate: number } {
  let pool: PrunableLayer[];
  if (spec.globalLayers) {
    const names = new Set(layers.map((l) => l.name));
    for (const name of spec.globalLayers) {
      if (!names.has(name))
        throw new UserError(`global pruning layer "${name}" is not a prunable layer of this model`);
    }
    // the model's layer order, whatever order the spec lists them in
    const wanted = new Set(spec.globalLayers);
    pool = layers.filter((l) => wanted.has(l.name));
  } else {
    const conv = layers.filter((l) => l.kind === 'conv');
    pool = conv.length > 0 ? conv : layers.filter((l) => l.kind === 'fc');
  }
  const hasConv = pool.some((l) => l.kind === 'conv');
  const rate = (hasConv ? (spec.rates.conv ?? spec.rates.fc) : spec.rates.fc) ?? 0;
  return { pool, rate };
}

export const global: Scope = {
  name: 'global',
  description:
    'one pool across the global layers (default: every conv layer, else every fc layer) at the conv rate ' +
    '(else fc); other layers layer-wise',
  pools(layers, spec) {
    const { pool, rate } = globalPool(layers, spec);
    const pooled = new Set(pool.map((l) => l.name));
    const pools: PrunePool[] = [{ layers: pool, rate }];
    for (const layer of layers) {
      if (!pooled.has(layer.name)) pools.push({ layers: [layer], rate: rateFor(spec.rates, layer.kind) });
    }
    return pools;
  },
};
