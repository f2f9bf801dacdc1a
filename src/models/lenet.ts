/** LeNet-300-100 and LeNet-5 with the paper's defaults (Frankle & Carbin 2019, Figure 2). */
import type { Tensor } from '../graph/graph.js';
import * as op from '../graph/ops.js';
import type { ModelDefaults } from '../spec/defaults.js';
import { OPTIMIZER_DEFAULTS } from '../spec/optimizer.js';
import { conv, dense } from './layers.js';
import type { Model, ModelContext, ModelEntry, ModelOptions } from './types.js';

/** Adam 1.2e-3, batch 60, 50,000 iterations, fc 20% and output 10% per level, on MNIST. */
const LENET_DEFAULTS: ModelDefaults = {
  dataset: 'mnist',
  optimizer: OPTIMIZER_DEFAULTS.adam,
  learningRate: 1.2e-3,
  schedule: { warmup: 0, milestones: [], gamma: 0.1 },
  batchSize: 60,
  iterations: 50_000,
  evalEvery: 100,
  pruning: { rates: { fc: 0.2, output: 0.1 }, scope: 'layerwise', pruneBiases: false },
};

/** A fully connected ReLU network: hidden layers, then the output layer. */
export function mlp(name: string, hidden: number[], opts: ModelOptions): Model {
  const inputShape = opts.inputShape ?? [784];
  const classes = opts.classes ?? 10;
  return {
    name,
    inputShape,
    classes,
    forward(ctx: ModelContext, x: Tensor): Tensor {
      let h = x.rank > 2 ? op.flatten(x) : x;
      hidden.forEach((units, i) => (h = op.relu(dense(ctx, `fc${i + 1}`, h, units, { init: opts.init }))));
      return dense(ctx, `fc${hidden.length + 1}`, h, classes, { layerKind: 'output', init: opts.init });
    },
  };
}

function lenet5Model(opts: ModelOptions): Model {
  const inputShape = opts.inputShape ?? [1, 28, 28];
  const classes = opts.classes ?? 10;
  return {
    name: 'lenet5',
    inputShape,
    classes,
    forward(ctx, x) {
      let h = op.maxPool2d(op.relu(conv(ctx, 'conv1', x, 20, 5, { init: opts.init })), { kernel: 2 });
      h = op.maxPool2d(op.relu(conv(ctx, 'conv2', h, 50, 5, { init: opts.init })), { kernel: 2 });
      h = op.relu(dense(ctx, 'fc1', op.flatten(h), 500, { init: opts.init }));
      return dense(ctx, 'fc2', h, classes, { layerKind: 'output', init: opts.init });
    },
  };
}

export const lenet300: ModelEntry = {
  name: 'lenet300',
  description: 'LeNet-300-100: fully connected 784-300-100-10, ReLU (paper Figure 2)',
  input: 'flat',
  create: (o = {}) => mlp('lenet300', [300, 100], o),
  // 1 thread: a level is faster than at 2 (measured, docs/threads.md), and a second core serves a second unit
  defaults: { ...LENET_DEFAULTS, threads: 1 },
};

export const lenet5: ModelEntry = {
  name: 'lenet5',
  description: 'LeNet-5: conv 20 and 50 of 5×5 with max-pool, fc 500-10',
  input: 'image',
  create: (o = {}) => lenet5Model(o),
  defaults: {
    ...LENET_DEFAULTS,
    pruning: { ...LENET_DEFAULTS.pruning, rates: { conv: 0.1, fc: 0.2, output: 0.1 } },
  },
};
