/**
 * Normalization and regularization: batch norm and dropout, composed of arithmetic ops, so their
 * gradients come from those ops' rules.
 */
import { type Tensor, ShapeError, shapeStr, sizeOf } from '../graph.js';
import { add, div, mul, reduceMean, scale, sub } from './arithmetic.js';
import { requireFloat } from './checks.js';
import { sqrt, square } from './elementwise.js';
import { reshape } from './shape.js';

export interface BatchNormResult {
  y: Tensor;
  /** Updated running statistics (training mode only). */
  runningMean?: Tensor;
  runningVar?: Tensor;
}

/**
 * Batch normalization over N (and H, W for rank-4 inputs). Training mode uses batch statistics and
 * returns updated running averages (PyTorch convention: new = (1-momentum)·old + momentum·batch, with
 * the unbiased batch variance); inference uses the running averages.
 */
export function batchNorm(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  runningMean: Tensor,
  runningVar: Tensor,
  opts: { training: boolean; momentum?: number; eps?: number },
): BatchNormResult {
  requireFloat('BatchNorm', x);
  if (x.rank !== 2 && x.rank !== 4)
    throw new ShapeError('BatchNorm', `input must be [N, C] or [N, C, H, W], got ${x}`);
  const c = x.shape[1];
  for (const [name, t] of [
    ['gamma', gamma],
    ['beta', beta],
    ['running mean', runningMean],
    ['running var', runningVar],
  ] as const) {
    if (t.rank !== 1 || t.shape[0] !== c)
      throw new ShapeError('BatchNorm', `${name} ${shapeStr(t.shape)} should be [${c}]`);
  }
  const eps = opts.eps ?? 1e-5;
  const momentum = opts.momentum ?? 0.1;
  const g = x.graph;
  const bcast = x.rank === 4 ? [1, c, 1, 1] : [1, c];
  const axes = x.rank === 4 ? [0, 2, 3] : [0];
  const perChannel = (t: Tensor) => reshape(t, bcast);
  if (!opts.training) {
    const inv = div(g.scalar(1, x.dtype), sqrt(add(perChannel(runningVar), g.scalar(eps, x.dtype))));
    return { y: add(mul(mul(sub(x, perChannel(runningMean)), inv), perChannel(gamma)), perChannel(beta)) };
  }
  const count = sizeOf(axes.map((a) => x.shape[a]));
  const mean = reduceMean(x, axes, true);
  const centered = sub(x, mean);
  const variance = reduceMean(square(centered), axes, true);
  const inv = div(g.scalar(1, x.dtype), sqrt(add(variance, g.scalar(eps, x.dtype))));
  const y = add(mul(mul(centered, inv), perChannel(gamma)), perChannel(beta));
  const m = g.scalar(momentum, x.dtype);
  const keep = g.scalar(1 - momentum, x.dtype);
  const unbiased = scale(reshape(variance, [c]), count / Math.max(1, count - 1));
  return {
    y,
    runningMean: add(mul(keep, runningMean), mul(m, reshape(mean, [c]))),
    runningVar: add(mul(keep, runningVar), mul(m, unbiased)),
  };
}

/**
 * Inverted dropout with an explicit keep-mask input (1 = keep), generated outside the graph from a
 * seed per step so that runs are reproducible and resumable.
 */
export function dropout(x: Tensor, keepMask: Tensor, rate: number): Tensor {
  if (shapeStr(keepMask.shape) !== shapeStr(x.shape)) {
    throw new ShapeError(
      'Dropout',
      `mask ${shapeStr(keepMask.shape)} does not match input ${shapeStr(x.shape)}`,
    );
  }
  if (rate <= 0) return x;
  return mul(x, scale(keepMask, 1 / (1 - rate)));
}
