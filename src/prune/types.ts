import type { LayerKind } from '../spec/layers.js';

/** The kinds of prunable weight tensors, defined once in spec/layers.ts. */
export type { LayerKind } from '../spec/layers.js';

/**
 * A prunable weight tensor. Only its element count matters to pruning: the weight is treated as a
 * flat array in whatever layout the model stores it (fc `[out, in]` or `[in, out]`, conv OIHW, ...).
 */
export interface PrunableLayer {
  name: string;
  kind: LayerKind;
  shape: number[];
}

/** One mask per layer name: 1 = kept, 0 = pruned, same length as the layer's weight. */
export type Masks = Map<string, Uint8Array>;

/** Weights by layer name. */
export type Weights = Map<string, Float32Array | Float64Array>;

/**
 * Fraction of the REMAINING weights of each kind to prune in one round, in [0, 1]. A kind without a
 * rate is not pruned. The paper's LeNet uses `{ fc: p, output: p / 2 }`.
 */
export interface PruneRates {
  fc?: number;
  conv?: number;
  output?: number;
}

export interface PruneSpec {
  /** `magnitude`: remove the lowest-|w| remaining weights. `random`: remove as many, uniformly at random. */
  strategy: 'magnitude' | 'random';
  /**
   * `layerwise`: every layer loses round(rate × its remaining count).
   * `global`: the pooled layers (see `globalLayers`) share one magnitude threshold and together lose
   * round(rate × remaining in the pool), rate being the conv rate for a pool with conv layers (the
   * fc rate if no conv rate is given) and the fc rate otherwise; layers outside the pool are pruned
   * layer-wise.
   */
  scope: 'layerwise' | 'global';
  rates: PruneRates;
  /**
   * Layers pooled for global pruning. Default: every `conv` layer if the model has any, otherwise
   * every `fc` layer (never `output` layers; list them explicitly to pool them).
   */
  globalLayers?: string[];
  /** Seed for the random strategy when no `Rng` is passed to `pruneMasks`. */
  seed?: number;
}
