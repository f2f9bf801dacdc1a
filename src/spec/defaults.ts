/**
 * What settings' defaults may depend on: the model's complete defaults and the dataset's shape. Models
 * and datasets live in higher layers and register themselves; the settings table only sees these types.
 */
import type { LayerKind } from './layers.js';
import type { FullOptimizerSpec, OptimizerKind } from './optimizer.js';

/** How a model takes its input: one flat vector per example (MLPs) or an image, channels first. */
export type InputLayout = 'flat' | 'image';

/** Weight initializations by name (the `init` setting). */
export type InitName =
  'glorot_normal' | 'glorot_uniform' | 'kaiming_normal' | 'kaiming_uniform' | 'kaiming_normal_fan_out';

/** BatchNorm γ initializations of the references: OpenLTH U[0, 1), PyTorch 1, network slimming 0.5. */
export const BN_INITS = ['uniform', 'one', 'half'] as const;
export type BnInit = (typeof BN_INITS)[number];

/** A model's default for every setting whose default is "from the model". */
export interface ModelDefaults {
  dataset: string;
  optimizer: FullOptimizerSpec;
  learningRate: number;
  schedule: { warmup: number; milestones: number[]; gamma: number };
  batchSize: number;
  /** Training iterations per level. */
  iterations: number;
  /** Evaluate every this many iterations. */
  evalEvery: number;
  pruning: {
    /** Fraction of remaining weights pruned per level, by layer kind; a kind without a rate is not pruned. */
    rates: Partial<Record<LayerKind, number>>;
    scope: 'layerwise' | 'global';
    /** Prune biases too (the paper prunes weights only). */
    pruneBiases: boolean;
  };
  /** Weight initialization (default glorot_normal, the paper's). */
  init?: InitName;
  /** BatchNorm γ initialization, for models with BatchNorm (OpenLTH U[0, 1), PyTorch 1, slimming 0.5). */
  bnInit?: BnInit;
  /**
   * onnxruntime intra-op threads of a run that does not say (default 2): a measured choice, since a
   * small network's level can be slower at 2 threads than at 1 (`npx tsx scripts/measure-threads.ts
   * <model>` measures it; docs/threads.md has the numbers).
   */
  threads?: number;
}

/** A dataset's facts that settings depend on. */
export interface DatasetShape {
  name: string;
  channels: number;
  height: number;
  width: number;
  classes: number;
  /** Examples in the training split (validation examples are held out of it); unknown for some. */
  trainCount?: number;
  /** The validation split's default size when it is not the paper's 5,000 (imported image folders). */
  defaultValidationSize?: number;
}

/** Everything a derived default may look at. */
export interface DefaultContext {
  model: { name: string; input: InputLayout; defaults: ModelDefaults };
  dataset: DatasetShape;
  /** The chosen optimizer: its fields default to the model's when it is the model's optimizer. */
  optimizerKind: OptimizerKind;
  /** The chosen iterations per level (the evaluation interval never exceeds them). */
  iterations: number;
}

/** One example's shape as a model with this layout sees the dataset. */
export function inputShapeOf(input: InputLayout, d: DatasetShape): number[] {
  return input === 'flat' ? [d.channels * d.height * d.width] : [d.channels, d.height, d.width];
}
