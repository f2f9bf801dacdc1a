/**
 * The paper's networks (Frankle & Carbin 2019, Figure 2) with their default hyperparameters.
 * Conv-2/4/6 take any NCHW input, so the same definitions serve CIFAR-10 (3×32×32) and the
 * Fashion-MNIST stand-in (1×28×28).
 */
import type { Tensor } from '../graph/graph.js';
import * as op from '../graph/ops.js';
import { conv, dense, dropout } from './layers.js';
import type { InitSpec, LayerKind, Model, ModelContext } from './types.js';
import type { OptimizerSpec } from '../engine/optimizers.js';

export interface ModelDefaults {
  optimizer: OptimizerSpec;
  learningRate: number;
  batchSize: number;
  /** Training iterations per level. */
  iterations: number;
  /** Fraction of remaining weights pruned per level, by layer kind. */
  pruneRates: Partial<Record<LayerKind, number>>;
  /** Evaluate every this many iterations. */
  evalEvery: number;
}

export interface ModelOptions {
  inputShape?: number[];
  classes?: number;
  init?: InitSpec;
  /** Dropout rate for conv nets' fc layers (the paper's dropout experiments); 0 = none. */
  dropout?: number;
}

export interface ModelEntry {
  name: string;
  description: string;
  /** The input shape the paper uses. */
  defaultInput: number[];
  create(opts?: ModelOptions): Model;
  defaults: ModelDefaults;
}

function mlp(name: string, hidden: number[], opts: ModelOptions): Model {
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

/** Conv-2/4/6: pairs of 3×3 'same' convolutions, each pair followed by 2×2 max-pooling; fc 256-256-10. */
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

function lenet5(opts: ModelOptions): Model {
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

const adam: OptimizerSpec = { kind: 'adam' };

export const MODELS: Record<string, ModelEntry> = {
  lenet300: {
    name: 'lenet300',
    description: 'LeNet-300-100: fully connected 784-300-100-10, ReLU (paper Figure 2)',
    defaultInput: [784],
    create: (o = {}) => mlp('lenet300', [300, 100], o),
    defaults: {
      optimizer: adam,
      learningRate: 1.2e-3,
      batchSize: 60,
      iterations: 50_000,
      pruneRates: { fc: 0.2, output: 0.1 },
      evalEvery: 100,
    },
  },
  lenet5: {
    name: 'lenet5',
    description: 'LeNet-5: conv 20 and 50 of 5×5 with max-pool, fc 500-10',
    defaultInput: [1, 28, 28],
    create: (o = {}) => lenet5(o),
    defaults: {
      optimizer: adam,
      learningRate: 1.2e-3,
      batchSize: 60,
      iterations: 50_000,
      pruneRates: { conv: 0.1, fc: 0.2, output: 0.1 },
      evalEvery: 100,
    },
  },
  conv2: {
    name: 'conv2',
    description: 'Conv-2: 64, 64, pool; fc 256-256-10 (paper Figure 2)',
    defaultInput: [3, 32, 32],
    create: (o = {}) => convNet('conv2', [64], o),
    defaults: {
      optimizer: adam,
      learningRate: 2e-4,
      batchSize: 60,
      iterations: 20_000,
      pruneRates: { conv: 0.1, fc: 0.2, output: 0.1 },
      evalEvery: 100,
    },
  },
  conv4: {
    name: 'conv4',
    description: 'Conv-4: 64, 64, pool, 128, 128, pool; fc 256-256-10 (paper Figure 2)',
    defaultInput: [3, 32, 32],
    create: (o = {}) => convNet('conv4', [64, 128], o),
    defaults: {
      optimizer: adam,
      learningRate: 3e-4,
      batchSize: 60,
      iterations: 25_000,
      pruneRates: { conv: 0.1, fc: 0.2, output: 0.1 },
      evalEvery: 100,
    },
  },
  conv6: {
    name: 'conv6',
    description: 'Conv-6: 64, 64, pool, 128, 128, pool, 256, 256, pool; fc 256-256-10 (paper Figure 2)',
    defaultInput: [3, 32, 32],
    create: (o = {}) => convNet('conv6', [64, 128, 256], o),
    defaults: {
      optimizer: adam,
      learningRate: 3e-4,
      batchSize: 60,
      iterations: 30_000,
      pruneRates: { conv: 0.15, fc: 0.2, output: 0.1 },
      evalEvery: 100,
    },
  },
};

export function modelNames(): string[] {
  return Object.keys(MODELS);
}
