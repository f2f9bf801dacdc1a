/**
 * The kinds of prunable weight tensors; each kind has its own pruning rate (Frankle & Carbin,
 * Section 2). Defined once, in spec/layers.ts.
 */
import type { LayerKind } from '../spec/layers.js';

export type { LayerKind };
/** Every layer kind, in the order scopes list them. */
export { LAYER_KINDS } from '../spec/layers.js';

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
export type PruneRates = Partial<Record<LayerKind, number>>;

/** Weights other than the trained ones that a criterion may score from. */
export interface WeightSources {
  /** θ₀, the weights at initialization. */
  initial?: Weights;
  /** θ_k, the weights at the rewind iteration. */
  rewind?: Weights;
  /** The loss gradient of one batch at θ₀ (snip, grad). */
  gradient?: Weights;
}

/** A threshold rule for how many weights to keep (see ./threshold.ts). */
export type ThresholdRule =
  { rule: 'std'; alpha: number; centre: 'abs-mean' | 'mean' } | { rule: 'value'; value: number };

export interface PruneSpec {
  /**
   * The pruning criterion, by registered name (see `criterionNames()`): `magnitude` removes the
   * lowest-|w| remaining weights; `random` removes as many, uniformly at random.
   */
  strategy: string;
  /**
   * How layers are pooled, by registered name (see `scopeNames()`):
   * `layerwise`: every layer loses round(rate of its kind × its remaining count).
   * `global`: the pooled layers (see `globalLayers`) share one threshold and together lose
   * round(rate × remaining in the pool), rate being the conv rate for a pool with conv layers (the
   * fc rate if no conv rate is given) and the fc rate otherwise; layers outside the pool are pruned
   * layer-wise.
   * `per-kind`: the layers of each kind share one threshold and together lose round(rate of the
   * kind × remaining weights of that kind).
   */
  scope: string;
  rates: PruneRates;
  /**
   * Layers pooled for global pruning. Default: every `conv` layer if the model has any, otherwise
   * every `fc` layer (never `output` layers; list them explicitly to pool them).
   */
  globalLayers?: string[];
  /** Seed for the random strategy when no `Rng` is passed to `pruneMasks`. */
  seed?: number;
  /**
   * Keep by a threshold on the trained values instead of by rates (see ./threshold.ts): every layer
   * in one pool, which loses its remaining weights with |w| ≤ t (`scope` and `rates` are not used).
   */
  threshold?: ThresholdRule;
  /** θ₀ and θ_k, for criteria that score from them (see `Criterion.needs`). */
  sources?: WeightSources;
  /**
   * What is kept or pruned together, by registered name or N:M (see `granularityNamed`): `weight`
   * (the default) every weight alone; `row`, `column`, `channel`, `kernel`, `filter` groups whose
   * scores are the mean of their kept weights' scores; `2:4` … N of every M along the input axis.
   */
  granularity?: string;
}
