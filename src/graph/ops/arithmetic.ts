/**
 * Broadcasting arithmetic and the reductions. One family because their gradient rules are each
 * other's adjoints: the gradient of a broadcast operand is a sum (sumToShape → reduceSum), and the
 * gradient of a sum is a broadcast (reduce → expand). Everything else is built on these.
 */
import { type Tensor, ShapeError, attr, shapeStr, sizeOf } from '../graph.js';
import { broadcastShapes, normAxes, requireFloat, sameDtype } from './checks.js';
import { reshape } from './shape.js';

/** Sums a broadcast gradient back down to `shape` (the reduction that broadcasting's gradient needs). */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (shapeStr(g.shape) === shapeStr(shape)) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  // summing only the leading axes away (a bias row's gradient) lands on `shape` directly, no Reshape
  if (lead > 0 && axes.length === lead) return reduceSum(g, axes, false);
  const summed = axes.length ? reduceSum(g, axes, true) : g;
  return reshape(summed, shape);
}

type Binary = 'Add' | 'Sub' | 'Mul' | 'Div';

function binary(op: Binary, a: Tensor, b: Tensor): Tensor {
  const dtype = sameDtype(op, a, b);
  const shape = broadcastShapes(op, a.shape, b.shape);
  return a.graph.addNode(op, [a, b], [{ name: op.toLowerCase(), shape, dtype }], {}, ([g]) => {
    if (!g) return [undefined, undefined];
    switch (op) {
      case 'Add':
        return [sumToShape(g, a.shape), sumToShape(g, b.shape)];
      case 'Sub':
        return [sumToShape(g, a.shape), sumToShape(neg(g), b.shape)];
      case 'Mul':
        return [sumToShape(mul(g, b), a.shape), sumToShape(mul(g, a), b.shape)];
      case 'Div': {
        const ga = div(g, b);
        // d(a/b)/db = -a/b² = -(a/b)/b
        const gb = neg(div(mul(g, div(a, b)), b));
        return [sumToShape(ga, a.shape), sumToShape(gb, b.shape)];
      }
    }
  })[0];
}

export const add = (a: Tensor, b: Tensor) => binary('Add', a, b);
export const sub = (a: Tensor, b: Tensor) => binary('Sub', a, b);
export const mul = (a: Tensor, b: Tensor) => binary('Mul', a, b);
export const div = (a: Tensor, b: Tensor) => binary('Div', a, b);

export function scale(x: Tensor, k: number): Tensor {
  return mul(x, x.graph.scalar(k, x.dtype));
}

/** A one-input float op whose gradient rule `grad` sees the output gradient, the input and the output. */
export function unary(op: string, x: Tensor, grad: (g: Tensor, x: Tensor, y: Tensor) => Tensor): Tensor {
  requireFloat(op, x);
  const [y] = x.graph.addNode(
    op,
    [x],
    [{ name: op.toLowerCase(), shape: x.shape, dtype: x.dtype }],
    {},
    ([g]) => [g ? grad(g, x, y) : undefined],
  );
  return y;
}

export const neg = (x: Tensor): Tensor => unary('Neg', x, (g) => neg(g));

export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const out = broadcastShapes('Expand', x.shape, shape);
  if (shapeStr(out) === shapeStr(x.shape)) return x;
  return x.graph.addNode(
    'Expand',
    [x, x.graph.ints(out, 'shape')],
    [{ name: 'expand', shape: out, dtype: x.dtype }],
    {},
    ([g]) => [g ? sumToShape(g, x.shape) : undefined, undefined],
  )[0];
}

function reduce(
  op: 'ReduceSum' | 'ReduceMean',
  x: Tensor,
  axes: readonly number[] | undefined,
  keepdims: boolean,
): Tensor {
  const ax = axes === undefined ? x.shape.map((_, i) => i) : normAxes(op, axes, x.rank);
  const kept = x.shape.map((d, i) => (ax.includes(i) ? 1 : d));
  const shape = keepdims ? kept : x.shape.filter((_, i) => !ax.includes(i));
  const count = sizeOf(ax.map((a) => x.shape[a]));
  const g = x.graph;
  return g.addNode(
    op,
    [x, g.ints(ax, 'axes')],
    [{ name: op.toLowerCase(), shape, dtype: x.dtype }],
    { keepdims: attr.i(keepdims ? 1 : 0) },
    ([grad]) => {
      if (!grad) return [undefined, undefined];
      const back = expand(reshape(grad, kept), x.shape);
      return [op === 'ReduceMean' ? scale(back, 1 / count) : back, undefined];
    },
  )[0];
}

export const reduceSum = (x: Tensor, axes?: readonly number[], keepdims = false) =>
  reduce('ReduceSum', x, axes, keepdims);
export const reduceMean = (x: Tensor, axes?: readonly number[], keepdims = false) =>
  reduce('ReduceMean', x, axes, keepdims);

/** The element-wise sum of same-shape tensors (one pass, however many). */
export function sum(xs: Tensor[]): Tensor {
  if (xs.length === 0) throw new ShapeError('Sum', 'needs at least one input');
  if (xs.length === 1) return xs[0];
  for (const x of xs) {
    sameDtype('Sum', xs[0], x);
    if (shapeStr(x.shape) !== shapeStr(xs[0].shape))
      throw new ShapeError('Sum', `shapes ${xs.map((t) => shapeStr(t.shape)).join(', ')} differ`);
  }
  return xs[0].graph.addNode(
    'Sum',
    xs,
    [{ name: 'sum', shape: xs[0].shape, dtype: xs[0].dtype }],
    {},
    ([g]) => xs.map(() => g),
  )[0];
}
