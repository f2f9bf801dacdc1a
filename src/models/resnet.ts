/**
 * CIFAR ResNets, OpenLTH's `cifar_resnet_<depth>` (the paper's "ResNet-18" is depth 20): a 3×3 stem
 * conv (16, no bias)→BN→ReLU, three stages of (depth−2)/6 basic blocks at widths 16/32/64 (stride 2
 * in the first block of stages 2 and 3, with a 1×1 strided projection + BN), global average pooling,
 * Linear(64→classes). ResNet-20 has 272,474 parameters, ResNet-110 1,730,714.
 *
 * Defaults are the paper's (Section 4, Appendix I): SGD lr 0.1, momentum 0.9, weight decay 1e-4,
 * batch 128, 30,000 iterations with drops at 20,000 and 25,000; global pruning of the 3×3 convs at
 * 20% per level, the shortcuts and the output layer unpruned. Initialization as OpenLTH: Kaiming
 * normal (fan-in) weights, BN γ ~ U[0, 1).
 */
import type { Tensor } from '../graph/graph.js';
import * as op from '../graph/ops.js';
import { basicBlock, bnGamma, convBnRelu, sgdDefaults } from './blocks.js';
import { dense } from './layers.js';
import type { Model, ModelContext, ModelEntry, ModelOptions } from './types.js';

export const CIFAR_RESNET_DEPTHS = [20, 32, 44, 56, 110] as const;

function cifarResNet(depth: number, o: ModelOptions): Model {
  if ((depth - 2) % 6 !== 0 || depth < 8) throw new RangeError(`CIFAR ResNet depth ${depth} is not 6n+2`);
  const blocksPerStage = (depth - 2) / 6;
  const inputShape = o.inputShape ?? [3, 32, 32];
  const classes = o.classes ?? 10;
  const init = {
    weights: o.init ?? { kind: 'kaiming_normal' as const },
    gamma: bnGamma(o.bnInit ?? 'uniform'),
  };
  return {
    name: `resnet${depth}`,
    inputShape,
    classes,
    forward(ctx: ModelContext, x: Tensor): Tensor {
      let h = convBnRelu(ctx, 'conv', 'bn', x, 16, init);
      let b = 0;
      [16, 32, 64].forEach((width, stage) => {
        for (let i = 0; i < blocksPerStage; i++, b++) {
          const p = `blocks.${b}`;
          h = basicBlock(
            ctx,
            {
              conv1: `${p}.conv1`,
              bn1: `${p}.bn1`,
              conv2: `${p}.conv2`,
              bn2: `${p}.bn2`,
              shortcut: `${p}.shortcut.0`,
              shortcutBn: `${p}.shortcut.1`,
            },
            h,
            width,
            stage > 0 && i === 0 ? 2 : 1,
            init,
          );
        }
      });
      h = op.flatten(op.globalAvgPool(h));
      return dense(ctx, 'fc', h, classes, { layerKind: 'output', init: init.weights });
    },
  };
}

function cifarResNetEntry(depth: number): ModelEntry {
  return {
    name: `resnet${depth}`,
    description:
      depth === 20
        ? 'ResNet-20 for CIFAR (OpenLTH cifar_resnet_20, the paper\'s "ResNet-18"), 272,474 parameters'
        : `ResNet-${depth} for CIFAR (OpenLTH cifar_resnet_${depth}): ${(depth - 2) / 6} blocks per stage`,
    input: 'image',
    create: (o = {}) => cifarResNet(depth, o),
    defaults: sgdDefaults({
      batchSize: 128,
      iterations: 30_000,
      milestones: [20_000, 25_000],
      init: 'kaiming_normal',
      bnInit: 'uniform',
    }),
  };
}

export const [resnet20, resnet32, resnet44, resnet56, resnet110] = CIFAR_RESNET_DEPTHS.map(cifarResNetEntry);
