/**
 * Conv-2/4/6 (Frankle & Carbin 2019, Figure 2) with the paper's defaults. They take any NCHW input, so
 * the same definitions serve CIFAR-10 (3×32×32) and the Fashion-MNIST stand-in (1×28×28).
 */
import type { Tensor } from '../graph/graph.js';
import * as op from '../graph/ops.js';
import type { ModelDefaults } from '../spec/defaults.js';
import { OPTIMIZER_DEFAULTS } from '../spec/optimizer.js';
import { conv, dense, dropout } from './layers.js';
import type { Model, ModelContext, ModelEntry, ModelOptions } from './types.js';

/** Pairs of 3×3 'same' convolutions, each pair followed by 2×2 max-pooling; fc 256-256-10. */
function convNet(name: string, pairs: number[], opts: ModelOptions): Model {
  const inputShape = opts.inputShape ?? [3, 32, 32];
  const classes = opts.classes ?? 10;
  return {
    name,
    inputShape,
    classes,
    forward(ctx: ModelContext, x: Tensor): Tensor {
      let h = x;
      let k = 0;
      for (const filters of pairs) {
        for (let j = 0; j < 2; j++)
          h = op.relu(conv(ctx, `conv${++k}`, h, filters, 3, { padding: 'same', init: opts.init }));
        h = op.maxPool2d(h, { kernel: 2 });
      }
      h = op.flatten(h);
      const rate = opts.dropout ?? 0;
      h = dropout(ctx, 'fc1', op.relu(dense(ctx, 'fc1', h, 256, { init: opts.init })), rate);
      h = dropout(ctx, 'fc2', op.relu(dense(ctx, 'fc2', h, 256, { init: opts.init })), rate);
      return dense(ctx, 'fc3', h, classes, { layerKind: 'output', init: opts.init });
    },
  };
}

/** Adam, batch 60, on CIFAR-10; conv rate per network, fc 20%, output 10% per level. */
function convDefaults(learningRate: number, iterations: number, convRate: number): ModelDefaults {
  return {
    dataset: 'cifar10',
    optimizer: OPTIMIZER_DEFAULTS.adam,
    learningRate,
    schedule: { warmup: 0, milestones: [], gamma: 0.1 },
    batchSize: 60,
    iterations,
    evalEvery: 100,
    pruning: { rates: { conv: convRate, fc: 0.2, output: 0.1 }, scope: 'layerwise', pruneBiases: false },
  };
}

export const conv2: ModelEntry = {
  name: 'conv2',
  description: 'Conv-2: 64, 64, pool; fc 256-256-10 (paper Figure 2)',
  input: 'image',
  create: (o = {}) => convNet('conv2', [64], o),
  defaults: convDefaults(2e-4, 20_000, 0.1),
};

export const conv4: ModelEntry = {
  name: 'conv4',
  description: 'Conv-4: 64, 64, pool, 128, 128, pool; fc 256-256-10 (paper Figure 2)',
  input: 'image',
  create: (o = {}) => convNet('conv4', [64, 128], o),
  defaults: convDefaults(3e-4, 25_000, 0.1),
};

export const conv6: ModelEntry = {
  name: 'conv6',
  description: 'Conv-6: 64, 64, pool, 128, 128, pool, 256, 256, pool; fc 256-256-10 (paper Figure 2)',
  input: 'image',
  create: (o = {}) => convNet('conv6', [64, 128, 256], o),
  defaults: convDefaults(3e-4, 30_000, 0.15),
};
