/** Building blocks for models: each declares its parameters through the context. */
import type { Tensor } from '../graph/graph.js';
import * as op from '../graph/ops.js';
import type { InitSpec, LayerKind, ModelContext } from './types.js';

export interface DenseOptions {
  layerKind?: LayerKind;
  init?: InitSpec;
  bias?: boolean;
}

/** Fully connected layer; weight [out, in] as in PyTorch, so masks line up with torch's. */
export function dense(
  ctx: ModelContext,
  name: string,
  x: Tensor,
  units: number,
  opts: DenseOptions = {},
): Tensor {
  x = ctx.channels ? ctx.channels.enter('dense', name, x) : x;
  const inFeatures = x.shape[1];
  const w = ctx.param({
    name: `${name}.weight`,
    shape: [units, inFeatures],
    init: opts.init ?? { kind: 'glorot_normal' },
    role: 'weight',
    layerKind: opts.layerKind ?? 'fc',
    fanIn: inFeatures,
    fanOut: units,
  });
  const b =
    opts.bias === false
      ? undefined
      : ctx.param({
          name: `${name}.bias`,
          shape: [units],
          init: { kind: 'constant', value: 0 },
          role: 'bias',
          // biases carry their layer's kind so they can be pruned on request (--prune-biases)
          layerKind: opts.layerKind ?? 'fc',
          fanIn: inFeatures,
          fanOut: units,
        });
  const y = op.linear(x, w, b);
  return ctx.channels ? ctx.channels.leave('dense', name, y) : y;
}

export interface ConvOptions {
  /** 'conv' by default; 'shortcut' for a residual projection (left out of global pruning's default pool). */
  layerKind?: LayerKind;
  stride?: number;
  padding?: op.Padding;
  init?: InitSpec;
  bias?: boolean;
}

export function conv(
  ctx: ModelContext,
  name: string,
  x: Tensor,
  filters: number,
  kernel: number,
  opts: ConvOptions = {},
): Tensor {
  if (ctx.channels) {
    x = ctx.channels.enter('conv', name, x);
    filters = ctx.channels.filters(name, filters);
  }
  const channels = x.shape[1];
  const w = ctx.param({
    name: `${name}.weight`,
    shape: [filters, channels, kernel, kernel],
    init: opts.init ?? { kind: 'glorot_normal' },
    role: 'weight',
    layerKind: opts.layerKind ?? 'conv',
    fanIn: channels * kernel * kernel,
    fanOut: filters * kernel * kernel,
  });
  const b =
    opts.bias === false
      ? undefined
      : ctx.param({
          name: `${name}.bias`,
          shape: [filters],
          init: { kind: 'constant', value: 0 },
          role: 'bias',
          layerKind: opts.layerKind ?? 'conv',
          fanIn: channels,
          fanOut: filters,
        });
  const y = op.conv2d(x, w, b, { stride: opts.stride, padding: opts.padding ?? 0 });
  return ctx.channels ? ctx.channels.leave('conv', name, y) : y;
}

export function batchNorm(
  ctx: ModelContext,
  name: string,
  x: Tensor,
  opts: { momentum?: number; eps?: number; gammaInit?: InitSpec } = {},
): Tensor {
  x = ctx.channels ? ctx.channels.enter('norm', name, x) : x;
  const c = x.shape[1];
  const gamma = ctx.param({
    name: `${name}.weight`,
    shape: [c],
    init: opts.gammaInit ?? { kind: 'constant', value: 1 },
    role: 'bn_scale',
    fanIn: c,
    fanOut: c,
  });
  const beta = ctx.param({
    name: `${name}.bias`,
    shape: [c],
    init: { kind: 'constant', value: 0 },
    role: 'bn_shift',
    fanIn: c,
    fanOut: c,
  });
  const mean = ctx.buffer({ name: `${name}.running_mean`, shape: [c], init: 0 });
  const variance = ctx.buffer({ name: `${name}.running_var`, shape: [c], init: 1 });
  const r = op.batchNorm(x, gamma, beta, mean, variance, {
    training: ctx.training,
    momentum: opts.momentum,
    eps: opts.eps,
  });
  if (r.runningMean && r.runningVar) {
    ctx.updateBuffer(mean.name, r.runningMean);
    ctx.updateBuffer(variance.name, r.runningVar);
  }
  return ctx.channels ? ctx.channels.leave('norm', name, r.y) : r.y;
}

export function dropout(ctx: ModelContext, name: string, x: Tensor, rate: number): Tensor {
  if (!ctx.training || rate <= 0) return x;
  return op.dropout(x, ctx.dropoutMask(name, [...x.shape], rate), rate);
}
