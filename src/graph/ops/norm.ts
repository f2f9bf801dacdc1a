/**
 * Normalization and regularization: batch norm and dropout. Batch norm is one ONNX BatchNormalization
 * node over batch statistics taken in two passes (the mean, then the mean of squared deviations), with
 * its closed-form gradient as its rule: a handful of whole-tensor passes instead of the 16 its
 * primitive composition's rules emitted (measured as about 12% of a ResNet-20 step's CPU time).
 * Dropout is a product, differentiated by its rule.
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
  if (!opts.training) return { y: normalize(x, gamma, beta, runningMean, runningVar, eps) };
  const count = sizeOf(axes.map((a) => x.shape[a]));
  // two passes: the mean, then the mean of squared deviations from it (no E[x²] − E[x]² cancellation)
  const mean = reduceMean(x, axes);
  const centered = sub(x, perChannel(x, mean));
  const variance = scale(reduceSumSquare(centered, axes), 1 / count);
  const y = normalize(x, gamma, beta, mean, variance, eps, centered);
  const m = g.scalar(momentum, x.dtype);
  const keep = g.scalar(1 - momentum, x.dtype);
  const unbiased = scale(variance, count / Math.max(1, count - 1));
  return {
    y,
    runningMean: add(mul(keep, runningMean), mul(m, mean)),
    runningVar: add(mul(keep, runningVar), mul(m, unbiased)),
  };
}

/** A per-channel vector [C] shaped to broadcast against x ([1, C, 1, 1] or [1, C]). */
const perChannel = (x: Tensor, t: Tensor): Tensor =>
  reshape(t, x.rank === 4 ? [1, x.shape[1], 1, 1] : [1, x.shape[1]]);

/**
 * y = (x − mean)/√(var + ε)·γ + β as one BatchNormalization node (one pass over x). With x̂ =
 * (x − μ)·σ⁻¹ and a = γσ⁻¹ per channel, dγ = Σ dy·x̂ and dβ = Σ dy. Given `centered` (x − μ of the
 * batch's own statistics, training), μ and σ are functions of x and the rule's dx is the closed form
 * γσ⁻¹·(dy − mean(dy) − x̂·mean(dy·x̂)), written dy·a + (x − μ)·b + c per channel so x̂ is never
 * materialized; μ and σ get no gradient of their own (it is in dx). Without (inference), μ and σ are
 * inputs (the running statistics): dx = dy·a, dμ = −a·Σ dy, dσ² = −½·γσ⁻²·dγ.
 */
function normalize(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  mean: Tensor,
  variance: Tensor,
  eps: number,
  centered?: Tensor,
): Tensor {
  const g = x.graph;
  const axes = x.rank === 4 ? [0, 2, 3] : [0];
  const count = sizeOf(axes.map((a) => x.shape[a]));
  // ε goes into the variance input, in x's dtype: the node's epsilon attribute is a float32, which
  // would move a float64 result by ~1e-11
  const shifted = add(variance, g.scalar(eps, x.dtype));
  const [y] = g.addNode(
    'BatchNormalization',
    [x, gamma, beta, mean, shifted],
    [{ name: 'batchnorm', shape: x.shape, dtype: x.dtype }],
    { epsilon: attr.f(0) },
    ([dy]) => {
      if (!dy) return [];
      const inv = div(g.scalar(1, x.dtype), sqrt(shifted));
      const deviation = centered ?? sub(x, perChannel(x, mean));
      const sumDy = reduceSum(dy, axes);
      const dGamma = mul(inv, reduceSum(mul(dy, deviation), axes));
      const a = mul(gamma, inv);
      if (!centered) {
        const dMean = neg(mul(a, sumDy));
        const dVariance = scale(mul(mul(gamma, mul(inv, inv)), dGamma), -0.5);
        return [mul(dy, perChannel(x, a)), dGamma, sumDy, dMean, dVariance];
      }
      const b = neg(scale(mul(mul(a, inv), dGamma), 1 / count));
      const shift = neg(scale(mul(a, sumDy), 1 / count));
      const dx = add(mul(dy, perChannel(x, a)), affine(centered, b, shift));
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

/** Σ x² over `axes` (keepdims 0) in one pass; statistics only, so it carries no rule. */
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
