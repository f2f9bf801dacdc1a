/**
 * What a model is: a forward function over the graph DSL that declares its parameters as it goes.
 * The engine supplies the context (parameters become graph inputs, initial values are drawn from
 * each parameter's init spec), so one model definition serves training, evaluation and export.
 */
import type { DType, Tensor } from '../graph/graph.js';
import type { BnInit, InputLayout, ModelDefaults } from '../spec/defaults.js';
import type { LayerKind } from '../spec/layers.js';

export type { LayerKind } from '../spec/layers.js';
export type { BnInit, ModelDefaults } from '../spec/defaults.js';

export type InitSpec =
  | { kind: 'glorot_normal' }
  | { kind: 'glorot_uniform' }
  | { kind: 'kaiming_normal' }
  /** N(0, 2/fan_out): torchvision's ResNets and network-slimming's pre-activation ResNet */
  | { kind: 'kaiming_normal_fan_out' }
  | { kind: 'kaiming_uniform' }
  | { kind: 'normal'; std: number }
  | { kind: 'uniform'; bound: number }
  | { kind: 'constant'; value: number }
  /** U[low, high): OpenLTH's BatchNorm γ ('uniform' = U[0, 1)) */
  | { kind: 'uniform_between'; low: number; high: number };

export type ParamRole = 'weight' | 'bias' | 'bn_scale' | 'bn_shift';

export interface ParamDecl {
  name: string;
  shape: number[];
  init: InitSpec;
  role: ParamRole;
  /** Layer kind for pruning rates: weights of fc/conv/output layers are prunable, their biases on request. */
  layerKind?: LayerKind;
  /** fan-in / fan-out used by scaled initializations */
  fanIn: number;
  fanOut: number;
}

export interface BufferDecl {
  name: string;
  shape: number[];
  init: number;
}

export interface ModelContext {
  readonly dtype: DType;
  readonly training: boolean;
  /** Declares (first use) and returns a trainable parameter. */
  param(decl: ParamDecl): Tensor;
  /** A non-trainable state tensor (BatchNorm running statistics). */
  buffer(decl: BufferDecl): Tensor;
  /** In training, the new value of a buffer after this step. */
  updateBuffer(name: string, value: Tensor): void;
  /** A keep-mask for dropout (1 = keep), fed per step from a seeded stream; only called in training. */
  dropoutMask(name: string, shape: number[], rate: number): Tensor;
  /**
   * Uniform noise in [0, 1), fed per step from a seeded stream (learned supermasks sample their masks
   * from it); only called in training. Contexts that cannot feed noise leave it out.
   */
  uniformNoise?(name: string, shape: number[]): Tensor;
  /** Structured pruning's hooks (prune/structured/): absent when the network is built as written. */
  readonly channels?: ChannelHooks;
}

export type LayerCallKind = 'conv' | 'norm' | 'dense';

/**
 * How structured pruning rebuilds a thinner network with the model's own forward pass: the layer
 * helpers (layers.ts) ask how many filters a conv keeps and pass each layer's input and output
 * through these hooks, which may select channels (or, when analysing the network, tag the tensors).
 */
export interface ChannelHooks {
  /** The number of output channels conv `name` keeps, given the model's `filters`. */
  filters(conv: string, filters: number): number;
  /** The tensor the layer reads, given its input. */
  enter(kind: LayerCallKind, name: string, x: Tensor): Tensor;
  /** The tensor the layer returns, given its output. */
  leave(kind: LayerCallKind, name: string, y: Tensor): Tensor;
}

export interface Model {
  readonly name: string;
  /** Shape of one example, e.g. [784] or [1, 28, 28]. */
  readonly inputShape: number[];
  readonly classes: number;
  /** Returns logits [N, classes]. */
  forward(ctx: ModelContext, x: Tensor): Tensor;
}

export interface ModelOptions {
  inputShape?: number[];
  classes?: number;
  init?: InitSpec;
  /** Dropout rate for conv nets' fc layers (the paper's dropout experiments); 0 = none. */
  dropout?: number;
  /** BatchNorm γ initialization (models with BatchNorm; default: the model's own). */
  bnInit?: BnInit;
}

/** A registered model: how to build it, and its default for every setting "from the model". */
export interface ModelEntry {
  name: string;
  description: string;
  /** A flat vector per example (MLPs) or an image, channels first; the input shape follows from the dataset. */
  input: InputLayout;
  create(opts?: ModelOptions): Model;
  defaults: ModelDefaults;
}
