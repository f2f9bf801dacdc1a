/**
 * Building blocks of the residual and VGG networks: BatchNorm γ initializations, the post-activation
 * basic block (OpenLTH's CIFAR ResNets and torchvision's ResNet-18 share it) and the SGD defaults
 * these networks train with.
 */
import type { Tensor } from '../graph/graph.js';
import * as op from '../graph/ops.js';
import type { ModelDefaults } from '../spec/defaults.js';
import { batchNorm, conv } from './layers.js';
import type { BnInit, InitSpec, ModelContext } from './types.js';

/** The γ initialization of a BN init name. */
export function bnGamma(kind: BnInit): InitSpec {
  if (kind === 'uniform') return { kind: 'uniform_between', low: 0, high: 1 };
  return { kind: 'constant', value: kind === 'one' ? 1 : 0.5 };
}

export interface BlockInit {
  weights: InitSpec;
  gamma: InitSpec;
}

/** conv → BN → ReLU with a 3×3 (or k×k) 'same'-style padding, no conv bias. */
export function convBnRelu(
  ctx: ModelContext,
  name: string,
  bn: string,
  x: Tensor,
  filters: number,
  init: BlockInit,
  kernel = 3,
  stride = 1,
): Tensor {
  const h = conv(ctx, name, x, filters, kernel, {
    stride,
    padding: (kernel - 1) / 2,
    bias: false,
    init: init.weights,
  });
  return op.relu(batchNorm(ctx, bn, h, { gammaInit: init.gamma }));
}

/**
 * Post-activation basic block: conv3×3(stride)→BN→ReLU→conv3×3→BN, plus the identity or, when the
 * shape changes, a 1×1 strided projection + BN (its weight has layer kind 'shortcut'); ReLU after the
 * addition. `names` are the parameter prefixes (OpenLTH and torchvision name them differently).
 */
export function basicBlock(
  ctx: ModelContext,
  names: { conv1: string; bn1: string; conv2: string; bn2: string; shortcut: string; shortcutBn: string },
  x: Tensor,
  filters: number,
  stride: number,
  init: BlockInit,
): Tensor {
  let h = convBnRelu(ctx, names.conv1, names.bn1, x, filters, init, 3, stride);
  h = conv(ctx, names.conv2, h, filters, 3, { padding: 1, bias: false, init: init.weights });
  h = batchNorm(ctx, names.bn2, h, { gammaInit: init.gamma });
  let shortcut = x;
  if (stride !== 1 || x.shape[1] !== filters) {
    shortcut = conv(ctx, names.shortcut, x, filters, 1, {
      stride,
      bias: false,
      init: init.weights,
      layerKind: 'shortcut',
    });
    shortcut = batchNorm(ctx, names.shortcutBn, shortcut, { gammaInit: init.gamma });
  }
  return op.relu(op.residual(shortcut, h));
}

/** Iterations per epoch of CIFAR-10 with the paper's 5,000 validation examples held out. */
export const cifarIterationsPerEpoch = (batch: number): number => Math.floor(45_000 / batch);

/** SGD (momentum 0.9, weight decay 1e-4) at lr 0.1, global pruning of the conv layers at 20% per level. */
export function sgdDefaults(o: {
  batchSize: number;
  iterations: number;
  milestones: number[];
  nesterov?: boolean;
  init: NonNullable<ModelDefaults['init']>;
  bnInit: NonNullable<ModelDefaults['bnInit']>;
  evalEvery?: number;
}): ModelDefaults {
  return {
    dataset: 'cifar10',
    optimizer: { kind: 'sgd', momentum: 0.9, nesterov: o.nesterov ?? false, weightDecay: 1e-4 },
    learningRate: 0.1,
    schedule: { warmup: 0, milestones: o.milestones, gamma: 0.1 },
    batchSize: o.batchSize,
    iterations: o.iterations,
    evalEvery: o.evalEvery ?? 1000,
    pruning: { rates: { conv: 0.2 }, scope: 'global', pruneBiases: false },
    init: o.init,
    bnInit: o.bnInit,
  };
}
