/**
 * Pre-activation bottleneck ResNet-20 of network slimming (`preresnet`, the pruning study's
 * `--arch resnetb --depth 20`): a 3×3 stem conv (16, no BN); per stage 2 bottlenecks
 * BN→ReLU→1×1→BN→ReLU→3×3(stride)→BN→ReLU→1×1 (expansion 4) with channels
 * [[16,16,16],[64,16,16],[64,32,32],[128,32,32],[128,64,64],[256,64,64]]; a 1×1 strided conv
 * shortcut (no BN) in the first block of each stage; no ReLU after the addition; head
 * BN(256)→ReLU→global average pool→Linear(256→classes). 219,482 parameters (the reference's 912
 * channel-selection indexes are all ones and select nothing until channels are pruned; left out).
 *
 * The study prunes every Conv2d weight globally, the shortcuts included, so here they are 'conv'
 * layers. Defaults: SGD with Nesterov momentum 0.9, weight decay 1e-4, lr 0.1 divided by 10 at
 * epochs 80 and 120, 160 epochs, batch 64; conv weights N(0, 2/fan_out), BN γ = 1.
 */
import type { Tensor } from '../graph/graph.js';
import * as op from '../graph/ops.js';
import { bnGamma, cifarIterationsPerEpoch, sgdDefaults } from './blocks.js';
import { batchNorm, conv, dense } from './layers.js';
import type { InitSpec, Model, ModelContext, ModelEntry, ModelOptions } from './types.js';

const CHANNELS = [
  [16, 16, 16],
  [64, 16, 16],
  [64, 32, 32],
  [128, 32, 32],
  [128, 64, 64],
  [256, 64, 64],
];
const EXPANSION = 4;

function bottleneck(
  ctx: ModelContext,
  p: string,
  x: Tensor,
  [, mid1, mid2]: number[],
  planes: number,
  stride: number,
  init: { weights: InitSpec; gamma: InitSpec },
): Tensor {
  const bnRelu = (name: string, t: Tensor) => op.relu(batchNorm(ctx, name, t, { gammaInit: init.gamma }));
  const c = (name: string, t: Tensor, out: number, k: number, s = 1) =>
    conv(ctx, name, t, out, k, { stride: s, padding: (k - 1) / 2, bias: false, init: init.weights });
  let h = c(`${p}.conv1`, bnRelu(`${p}.bn1`, x), mid1, 1);
  h = c(`${p}.conv2`, bnRelu(`${p}.bn2`, h), mid2, 3, stride);
  h = c(`${p}.conv3`, bnRelu(`${p}.bn3`, h), planes * EXPANSION, 1);
  const downsample = stride !== 1 || x.shape[1] !== planes * EXPANSION;
  const shortcut = downsample ? c(`${p}.downsample`, x, planes * EXPANSION, 1, stride) : x;
  return op.residual(shortcut, h);
}

function preResNet20(o: ModelOptions): Model {
  const inputShape = o.inputShape ?? [3, 32, 32];
  const classes = o.classes ?? 10;
  const init = {
    weights: o.init ?? { kind: 'kaiming_normal_fan_out' as const },
    gamma: bnGamma(o.bnInit ?? 'one'),
  };
  return {
    name: 'preresnet20-bottleneck',
    inputShape,
    classes,
    forward(ctx: ModelContext, x: Tensor): Tensor {
      let h = conv(ctx, 'conv1', x, 16, 3, { padding: 1, bias: false, init: init.weights });
      [16, 32, 64].forEach((planes, stage) => {
        for (let i = 0; i < 2; i++) {
          const b = stage * 2 + i;
          h = bottleneck(
            ctx,
            `layer${stage + 1}.${i}`,
            h,
            CHANNELS[b],
            planes,
            i === 0 && stage > 0 ? 2 : 1,
            init,
          );
        }
      });
      h = op.relu(batchNorm(ctx, 'bn', h, { gammaInit: init.gamma }));
      h = op.flatten(op.globalAvgPool(h));
      return dense(ctx, 'fc', h, classes, { layerKind: 'output', init: linearInit(h.shape[1]) });
    },
  };
}

/** PyTorch's default Linear initialization, U(±1/√fan_in), as both references leave it. */
export function linearInit(fanIn: number): InitSpec {
  return { kind: 'uniform', bound: 1 / Math.sqrt(fanIn) };
}

const perEpoch = cifarIterationsPerEpoch(64);

export const preresnet20Bottleneck: ModelEntry = {
  name: 'preresnet20-bottleneck',
  description:
    'pre-activation bottleneck ResNet-20 (network slimming preresnet, depth 20), 219,482 parameters',
  input: 'image',
  create: (o = {}) => preResNet20(o),
  defaults: sgdDefaults({
    batchSize: 64,
    iterations: 160 * perEpoch,
    milestones: [80 * perEpoch, 120 * perEpoch],
    nesterov: true,
    init: 'kaiming_normal_fan_out',
    bnInit: 'one',
  }),
};
