/**
 * VGG for CIFAR, OpenLTH's `cifar_vgg_<n>`: conv3×3 (with bias)→BN→ReLU blocks, 2×2 max-pooling
 * between groups, a 2×2 average pool after the last block, one Linear(512→classes). VGG-19 has
 * 20,040,522 parameters, VGG-16 14,728,266.
 *
 * Defaults are the paper's VGG-19 (Section 4, Appendix I): SGD lr 0.1, momentum 0.9, weight decay
 * 1e-4, batch 64, 112,480 iterations (160 epochs of 45,000 examples) with drops at epochs 80 and 120;
 * global pruning of the conv layers at 20% per level, the output layer unpruned. Initialization as
 * OpenLTH: Kaiming normal (fan-in) weights, BN γ ~ U[0, 1).
 */
import type { Tensor } from '../graph/graph.js';
import * as op from '../graph/ops.js';
import { bnGamma, cifarIterationsPerEpoch, sgdDefaults } from './blocks.js';
import { batchNorm, conv, dense } from './layers.js';
import type { Model, ModelContext, ModelEntry, ModelOptions } from './types.js';

type Plan = (number | 'M')[];
const rep = (width: number, n: number): number[] => Array<number>(n).fill(width);

const PLANS: Record<number, Plan> = {
  11: [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512],
  13: [64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512],
  16: [64, 64, 'M', 128, 128, 'M', ...rep(256, 3), 'M', ...rep(512, 3), 'M', ...rep(512, 3)],
  19: [64, 64, 'M', 128, 128, 'M', ...rep(256, 4), 'M', ...rep(512, 4), 'M', ...rep(512, 4)],
};

function vgg(depth: number, o: ModelOptions): Model {
  const plan = PLANS[depth];
  const inputShape = o.inputShape ?? [3, 32, 32];
  const classes = o.classes ?? 10;
  const weights = o.init ?? { kind: 'kaiming_normal' as const };
  const gamma = bnGamma(o.bnInit ?? 'uniform');
  return {
    name: `vgg${depth}`,
    inputShape,
    classes,
    forward(ctx: ModelContext, x: Tensor): Tensor {
      let h = x;
      let i = 0;
      for (const item of plan) {
        if (item === 'M') {
          h = op.maxPool2d(h, { kernel: 2 });
          continue;
        }
        h = conv(ctx, `layers.${i}.conv`, h, item, 3, { padding: 1, init: weights });
        h = op.relu(batchNorm(ctx, `layers.${i}.bn`, h, { gammaInit: gamma }));
        i++;
      }
      // OpenLTH: AvgPool2d(2) on the 2×2 maps of 32×32 inputs; the mean over what is left is that
      // pool there, and keeps 512 features for other input sizes (28×28 leaves 1×1)
      h = op.flatten(op.globalAvgPool(h));
      return dense(ctx, 'fc', h, classes, { layerKind: 'output', init: weights });
    },
  };
}

function vggEntry(depth: number): ModelEntry {
  const perEpoch = cifarIterationsPerEpoch(64);
  return {
    name: `vgg${depth}`,
    description: `VGG-${depth} for CIFAR (OpenLTH cifar_vgg_${depth}): conv-BN-ReLU, max-pools, Linear(512)`,
    input: 'image',
    create: (o = {}) => vgg(depth, o),
    defaults: sgdDefaults({
      batchSize: 64,
      iterations: 160 * perEpoch,
      milestones: [80 * perEpoch, 120 * perEpoch],
      init: 'kaiming_normal',
      bnInit: 'uniform',
    }),
  };
}

export const [vgg11, vgg13, vgg16, vgg19] = [11, 13, 16, 19].map(vggEntry);
