/**
 * torchvision's ResNet-18 (the fasterai lottery-ticket tutorial's network): conv7×7 stride 2 (64, no
 * bias)→BN→ReLU→max-pool 3×3 stride 2; basic blocks [2, 2, 2] + 2 at 64/128/256/512 (strides
 * 1/2/2/2, 1×1 strided conv + BN downsampling, kind 'shortcut'); global average pool; Linear(512→C).
 * Any input of at least 32×32 and any number of classes (11,177,538 parameters for 2 classes).
 * Initialization as torchvision: conv N(0, 2/fan_out), BN γ = 1, Linear U(±1/√fan_in).
 *
 * Defaults follow the tutorial (Adam 1e-3, 20 epochs, conv layers pruned layer-wise), on CIFAR-10.
 */
import type { Tensor } from '../graph/graph.js';
import * as op from '../graph/ops.js';
import { OPTIMIZER_DEFAULTS } from '../spec/optimizer.js';
import { basicBlock, bnGamma, cifarIterationsPerEpoch } from './blocks.js';
import { batchNorm, conv, dense } from './layers.js';
import { linearInit } from './preresnet.js';
import type { Model, ModelContext, ModelEntry, ModelOptions } from './types.js';

function resnet18Model(o: ModelOptions): Model {
  const inputShape = o.inputShape ?? [3, 32, 32];
  if (inputShape.length !== 3 || inputShape[1] < 32 || inputShape[2] < 32) {
    throw new RangeError(`resnet18 needs images of at least 32×32, got [${inputShape.join(', ')}]`);
  }
  const classes = o.classes ?? 10;
  const init = {
    weights: o.init ?? { kind: 'kaiming_normal_fan_out' as const },
    gamma: bnGamma(o.bnInit ?? 'one'),
  };
  return {
    name: 'resnet18',
    inputShape,
    classes,
    forward(ctx: ModelContext, x: Tensor): Tensor {
      let h = conv(ctx, 'conv1', x, 64, 7, { stride: 2, padding: 3, bias: false, init: init.weights });
      h = op.relu(batchNorm(ctx, 'bn1', h, { gammaInit: init.gamma }));
      h = op.maxPool2d(h, { kernel: 3, stride: 2, padding: 1 });
      [64, 128, 256, 512].forEach((width, stage) => {
        for (let i = 0; i < 2; i++) {
          const p = `layer${stage + 1}.${i}`;
          const names = {
            conv1: `${p}.conv1`,
            bn1: `${p}.bn1`,
            conv2: `${p}.conv2`,
            bn2: `${p}.bn2`,
            shortcut: `${p}.downsample.0`,
            shortcutBn: `${p}.downsample.1`,
          };
          h = basicBlock(ctx, names, h, width, stage > 0 && i === 0 ? 2 : 1, init);
        }
      });
      h = op.flatten(op.globalAvgPool(h));
      return dense(ctx, 'fc', h, classes, { layerKind: 'output', init: linearInit(512) });
    },
  };
}

export const resnet18: ModelEntry = {
  name: 'resnet18',
  description: "torchvision's ResNet-18 (ImageNet-style stem) for inputs of at least 32×32, any classes",
  input: 'image',
  create: (o = {}) => resnet18Model(o),
  defaults: {
    dataset: 'cifar10',
    optimizer: OPTIMIZER_DEFAULTS.adam,
    learningRate: 1e-3,
    schedule: { warmup: 0, milestones: [], gamma: 0.1 },
    batchSize: 64,
    iterations: 20 * cifarIterationsPerEpoch(64),
    evalEvery: 1000,
    pruning: { rates: { conv: 0.2, shortcut: 0.2 }, scope: 'layerwise', pruneBiases: false },
    init: 'kaiming_normal_fan_out',
    bnInit: 'one',
  },
};
