/**
 * Shape ops: reshape, flatten, transpose, concat, slice, pad, flip. Their gradient rules only move
 * entries back to where they came from, so this family depends on no other (expand, whose gradient
 * is a sum, lives with the broadcasting arithmetic in arithmetic.ts).
 */
import { type Tensor, ShapeError, attr, shapeStr, sizeOf } from '../graph.js';
import { normAxes, sameDtype } from './checks.js';

export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const resolved = [...shape];
  const unknown = resolved.indexOf(-1);
  if (unknown >= 0) {
    const known = sizeOf(resolved.filter((_, i) => i !== unknown));
    resolved[unknown] = x.size / known;
  }
  if (sizeOf(resolved) !== x.size || resolved.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ShapeError('Reshape', `cannot reshape ${x} to ${shapeStr(shape)}`);
  }
  if (shapeStr(resolved) === shapeStr(x.shape)) return x;
  // a leading 0 copies the input's first dimension: exported models then accept any batch size
  const emitted = resolved[0] === x.shape[0] && x.rank > 0 ? [0, ...resolved.slice(1)] : resolved;
  return x.graph.addNode(
    'Reshape',
    [x, x.graph.ints(emitted, 'shape')],
    [{ name: 'reshape', shape: resolved, dtype: x.dtype }],
    {},
    ([g]) => [g ? reshape(g, x.shape) : undefined, undefined],
  )[0];
}

/** Flattens all axes from `axis` on (ONNX Flatten: rank-2 result, independent of the batch size). */
export function flatten(x: Tensor, axis = 1): Tensor {
  const outer = sizeOf(x.shape.slice(0, axis));
  const shape = [outer, x.size / outer];
  if (shapeStr(shape) === shapeStr(x.shape)) return x;
  return x.graph.addNode(
    'Flatten',
    [x],
    [{ name: 'flatten', shape, dtype: x.dtype }],
    { axis: attr.i(axis) },
    ([g]) => [g ? reshape(g, x.shape) : undefined],
  )[0];
}

export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  if (perm.length !== x.rank || [...perm].sort().some((p, i) => p !== i)) {
    throw new ShapeError('Transpose', `perm [${perm.join(', ')}] is not a permutation of the axes of ${x}`);
  }
  const shape = perm.map((p) => x.shape[p]);
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  return x.graph.addNode(
    'Transpose',
    [x],
    [{ name: 'transpose', shape, dtype: x.dtype }],
    { perm: attr.ints([...perm]) },
    ([g]) => [g ? transpose(g, inverse) : undefined],
  )[0];
}

export function concat(xs: Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new ShapeError('Concat', 'needs at least one input');
  const rank = xs[0].rank;
  const ax = normAxes('Concat', [axis], rank)[0];
  for (const x of xs) {
    sameDtype('Concat', xs[0], x);
    if (x.rank !== rank || x.shape.some((d, i) => i !== ax && d !== xs[0].shape[i])) {
      throw new ShapeError(
        'Concat',
        `shapes ${xs.map((t) => shapeStr(t.shape)).join(', ')} differ off axis ${ax}`,
      );
    }
  }
  const shape = [...xs[0].shape];
  shape[ax] = xs.reduce((s, x) => s + x.shape[ax], 0);
  return xs[0].graph.addNode(
    'Concat',
    xs,
    [{ name: 'concat', shape, dtype: xs[0].dtype }],
    { axis: attr.i(ax) },
    ([g]) => {
      if (!g) return xs.map(() => undefined);
      let start = 0;
      return xs.map((x) => {
        const part = slice(g, [start], [start + x.shape[ax]], [ax]);
        start += x.shape[ax];
        return part;
      });
    },
  )[0];
}

/** Slice with unit steps along the given axes. */
export function slice(x: Tensor, starts: number[], ends: number[], axes: number[]): Tensor {
  const ax = normAxes('Slice', axes, x.rank);
  const shape = [...x.shape];
  const pads = new Array<number>(2 * x.rank).fill(0);
  ax.forEach((a, i) => {
    // as ONNX: negative starts/ends count from the end of the axis, then clamp
    const s = Math.max(0, Math.min(starts[i] < 0 ? starts[i] + x.shape[a] : starts[i], x.shape[a]));
    const e = Math.max(s, Math.min(ends[i] < 0 ? ends[i] + x.shape[a] : ends[i], x.shape[a]));
    shape[a] = e - s;
    pads[a] = s;
    pads[a + x.rank] = x.shape[a] - e;
  });
  const g = x.graph;
  return g.addNode(
    'Slice',
    [x, g.ints(starts), g.ints(ends), g.ints(ax)],
    [{ name: 'slice', shape, dtype: x.dtype }],
    {},
    ([grad]) => [grad ? pad(grad, pads) : undefined, undefined, undefined, undefined],
  )[0];
}

/** Zero padding; `pads` as ONNX: all begins then all ends. */
export function pad(x: Tensor, pads: number[]): Tensor {
  if (pads.length !== 2 * x.rank) throw new ShapeError('Pad', `needs ${2 * x.rank} pads for ${x}`);
  if (pads.every((p) => p === 0)) return x;
  const shape = x.shape.map((d, i) => d + pads[i] + pads[i + x.rank]);
  return x.graph.addNode(
    'Pad',
    [x, x.graph.ints(pads, 'pads')],
    [{ name: 'pad', shape, dtype: x.dtype }],
    {},
    ([g]) => [
      g
        ? slice(
            g,
            x.shape.map((_, i) => pads[i]),
            x.shape.map((d, i) => pads[i] + d),
            x.shape.map((_, i) => i),
          )
        : undefined,
      undefined,
    ],
  )[0];
}

/** Slice with arbitrary steps (not differentiable unless all steps are 1, see slice()). */
export function stridedSlice(
  x: Tensor,
  starts: number[],
  ends: number[],
  axes: number[],
  steps: number[],
): Tensor {
  if (steps.every((s) => s === 1)) return slice(x, starts, ends, axes);
  const ax = normAxes('Slice', axes, x.rank);
  const shape = [...x.shape];
  ax.forEach((a, i) => {
    if (steps[i] <= 0)
      throw new ShapeError('Slice', 'stridedSlice takes positive steps; use flip() to reverse');
    const s = Math.max(0, Math.min(starts[i], x.shape[a]));
    const e = Math.max(s, Math.min(ends[i], x.shape[a]));
    shape[a] = Math.ceil((e - s) / steps[i]);
  });
  const g = x.graph;
  return g.addNode(
    'Slice',
    [x, g.ints(starts), g.ints(ends), g.ints(ax), g.ints(steps)],
    [{ name: 'strided_slice', shape, dtype: x.dtype }],
  )[0];
}

/** Reverses the given axes. */
export function flip(x: Tensor, axes: number[]): Tensor {
  const ax = normAxes('Flip', axes, x.rank);
  const g = x.graph;
  const starts = ax.map((a) => x.shape[a] - 1);
  const ends = ax.map((a) => -x.shape[a] - 1);
  return g.addNode(
    'Slice',
    [x, g.ints(starts), g.ints(ends), g.ints(ax), g.ints(ax.map(() => -1))],
    [{ name: 'flip', shape: x.shape, dtype: x.dtype }],
    {},
    ([grad]) => [grad ? flip(grad, ax) : undefined, undefined, undefined, undefined, undefined],
  )[0];
}
