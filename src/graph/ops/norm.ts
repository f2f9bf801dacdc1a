/**
 * Normalization and regularization: batch norm and dropout. Batch norm is one ONNX
 * BatchNormalization node over statistics computed in one pass, with its closed-form gradient as
 * its rule (a handful of whole-tensor passes instead of the dozens its primitive composition's
 * rules emitted, measured as 38% of a ResNet-20 step); dropout is a product, differentiated by its rule.
 */
import { type Tensor, ShapeError, attr, shapeStr, sizeOf, typedArrayOf } from '../graph.js';
import { add, div, mul, neg, reduceMean, reduceSum, scale, sub } from './arithmetic.js';
import { requireFloat } from './checks.js';
import { sqrt } from './elementwise.js';
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
  const axes = x.rank === 4 ? [0, 2, 3] : [0];
  if (!opts.training) {
    return { y: normalize(x, gamma, beta, runningMean, runningVar, eps, false) };
  }
  const count = sizeOf(axes.map((a) => x.shape[a]));
  // one pass for each sum: var = E[x²] − E[x]² (clamped at 0 against rounding)
  const mean = reduceMean(x, axes);
  const meanOfSquares = scale(reduceSumSquare(x, axes), 1 / count);
  const variance = relu0(sub(meanOfSquares, mul(mean, mean)));
  const y = normalize(x, gamma, beta, mean, variance, eps, true);
  const m = g.scalar(momentum, x.dtype);
  const keep = g.scalar(1 - momentum, x.dtype);
  const unbiased = scale(variance, count / Math.max(1, count - 1));
  return {
    y,
    runningMean: add(mul(keep, runningMean), mul(m, mean)),
    runningVar: add(mul(keep, runningVar), mul(m, unbiased)),
  };
}

/**
 * y = (x − mean)/√(var + ε)·γ + β as one BatchNormalization node (one pass over x). Its rule treats
 * mean and var as functions of x when they are the batch's statistics (`batchStats`): with
 * x̂ = (x − μ)·σ⁻¹, dγ = Σ dy·x̂, dβ = Σ dy and dx = γσ⁻¹·(dy − mean(dy) − x̂·mean(dy·x̂)), written
 * as dy·a + x·b + c per channel so that x̂ is never materialized.
 */
function normalize(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  mean: Tensor,
  variance: Tensor,
  eps: number,
  batchStats: boolean,
): Tensor {
  const g = x.graph;
  const c = x.shape[1];
  const axes = x.rank === 4 ? [0, 2, 3] : [0];
  const count = sizeOf(axes.map((a) => x.shape[a]));
  const perChannel = (t: Tensor) => reshape(t, x.rank === 4 ? [1, c, 1, 1] : [1, c]);
  const [y] = g.addNode(
    'BatchNormalization',
    [x, gamma, beta, mean, variance],
    [{ name: 'batchnorm', shape: x.shape, dtype: x.dtype }],
    { epsilon: attr.f(eps) },
    ([dy]) => {
      if (!dy) return [];
      const inv = div(g.scalar(1, x.dtype), sqrt(add(variance, g.scalar(eps, x.dtype))));
      const sumDy = reduceSum(dy, axes);
      // Σ dy·x̂ = σ⁻¹·(Σ dy·x − μ·Σ dy)
      const dGamma = mul(inv, sub(reduceSum(mul(dy, x), axes), mul(mean, sumDy)));
      const a = mul(gamma, inv);
      if (!batchStats) return [mul(dy, perChannel(a)), dGamma, sumDy, undefined, undefined];
      const b = neg(scale(mul(mul(a, inv), dGamma), 1 / count));
      const shift = sub(neg(scale(mul(a, sumDy), 1 / count)), mul(b, mean));
      const dx = add(mul(dy, perChannel(a)), affine(x, b, shift));
      return [dx, dGamma, sumDy, undefined, undefined];
    },
  );
  return y;
}

/** x·s + t per channel in one pass: a BatchNormalization node with mean 0, variance 1 and ε = 0. */
function affine(x: Tensor, s: Tensor, t: Tensor): Tensor {
  const g = x.graph;
  const c = x.shape[1];
  const zeros = g.constant(typedArrayOf(x.dtype, c), [c], x.dtype, 'zeros');
  const ones = g.constant(typedArrayOf(x.dtype, new Array<number>(c).fill(1)), [c], x.dtype, 'ones');
  return g.addNode(
    'BatchNormalization',
    [x, s, t, zeros, ones],
    [{ name: 'affine', shape: x.shape, dtype: x.dtype }],
    { epsilon: attr.f(0) },
  )[0];
}

/** Σ x² over `axes` (keepdims 0), one pass; only used for statistics, so it carries no rule. */
function reduceSumSquare(x: Tensor, axes: number[]): Tensor {
  const g = x.graph;
  const shape = x.shape.filter((_, i) => !axes.includes(i));
  return g.addNode(
    'ReduceSumSquare',
    [x, g.ints(axes, 'axes')],
    [{ name: 'reducesumsquare', shape, dtype: x.dtype }],
    { keepdims: attr.i(0) },
  )[0];
}

/** max(v, 0) on a per-channel vector, without a rule (statistics only). */
function relu0(v: Tensor): Tensor {
  return v.graph.addNode('Relu', [v], [{ name: 'clamp', shape: v.shape, dtype: v.dtype }])[0];
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
