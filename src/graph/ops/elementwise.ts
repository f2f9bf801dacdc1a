/**
 * Element-wise functions (exp, log, sqrt, sigmoid, tanh, ReLU, square), comparisons, selection and
 * casts, each with its gradient rule. The broadcasting arithmetic they build on is in arithmetic.ts.
 */
import { type DType, type Tensor, ShapeError, attr, shapeStr } from '../graph.js';
import { add, div, mul, scale, sub, sumToShape, unary } from './arithmetic.js';
import { broadcastShapes, sameDtype } from './checks.js';
import { maxPoolRoutingOf } from './max-pool-gradient.js';

/** Residual connection: an addition of two same-shape branches. */
export function residual(x: Tensor, branch: Tensor): Tensor {
  if (shapeStr(x.shape) !== shapeStr(branch.shape)) {
    throw new ShapeError(
      'residual',
      `branch ${shapeStr(branch.shape)} does not match shortcut ${shapeStr(x.shape)}`,
    );
  }
  return add(x, branch);
}

export const exp = (x: Tensor): Tensor => unary('Exp', x, (g, _x, y) => mul(g, y));
export const log = (x: Tensor): Tensor => unary('Log', x, (g, x) => div(g, x));
export const sqrt = (x: Tensor): Tensor => unary('Sqrt', x, (g, _x, y) => div(g, scale(y, 2)));
export const sigmoid = (x: Tensor): Tensor =>
  unary('Sigmoid', x, (g, _x, y) => mul(g, mul(y, sub(x.graph.scalar(1, x.dtype), y))));
export const tanh = (x: Tensor): Tensor =>
  unary('Tanh', x, (g, _x, y) => mul(g, sub(x.graph.scalar(1, x.dtype), mul(y, y))));

/**
 * max(x, 0). Its rule is g · [y > 0], as a multiplication: measured ~2.5x faster than Where on
 * onnxruntime's CPU kernels. When a max-pool of y is y's only consumer, the rule uses the pool's
 * routing instead (MaxPoolInputGradient, see max-pool-gradient.ts and maxPool2d in pool.ts).
 */
export const relu = (x: Tensor): Tensor =>
  unary('Relu', x, (g, _x, y) => {
    const positive = (t: Tensor) => cast(greater(t, x.graph.scalar(0, x.dtype)), x.dtype);
    // all of y's gradient came through a max-pool of y: mask the pooled gradient, then route it (exact,
    // k² times fewer entries; see max-pool-gradient.ts). The full-size routing is then left unused.
    const pooled = maxPoolRoutingOf(g, y);
    if (pooled) return pooled.route(mul(pooled.outputGrad, positive(pooled.output)));
    return mul(g, positive(y));
  });

export const square = (x: Tensor): Tensor => mul(x, x);

export function greater(a: Tensor, b: Tensor): Tensor {
  sameDtype('Greater', a, b);
  const shape = broadcastShapes('Greater', a.shape, b.shape);
  return a.graph.addNode('Greater', [a, b], [{ name: 'greater', shape, dtype: 'bool' }])[0];
}

export function equal(a: Tensor, b: Tensor): Tensor {
  sameDtype('Equal', a, b);
  const shape = broadcastShapes('Equal', a.shape, b.shape);
  return a.graph.addNode('Equal', [a, b], [{ name: 'equal', shape, dtype: 'bool' }])[0];
}

export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  if (cond.dtype !== 'bool') throw new ShapeError('Where', `condition must be bool, got ${cond}`);
  const dtype = sameDtype('Where', a, b);
  const shape = broadcastShapes('Where', broadcastShapes('Where', cond.shape, a.shape), b.shape);
  const [y] = a.graph.addNode('Where', [cond, a, b], [{ name: 'where', shape, dtype }], {}, ([g]) => {
    if (!g) return [undefined, undefined, undefined];
    const zero = a.graph.scalar(0, dtype);
    return [undefined, sumToShape(where(cond, g, zero), a.shape), sumToShape(where(cond, zero, g), b.shape)];
  });
  return y;
}

export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  const onnxType = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9, float64: 11 }[dtype];
  const differentiable =
    (x.dtype === 'float32' || x.dtype === 'float64') && (dtype === 'float32' || dtype === 'float64');
  return x.graph.addNode(
    'Cast',
    [x],
    [{ name: 'cast', shape: x.shape, dtype }],
    { to: attr.i(onnxType) },
    differentiable ? ([g]) => [g ? cast(g, x.dtype) : undefined] : undefined,
  )[0];
}
