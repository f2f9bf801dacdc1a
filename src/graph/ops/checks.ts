/**
 * Shape and dtype rules shared by the op families: each op checks its inputs when it is built, so a
 * mistake names the op and the shapes instead of failing inside onnxruntime.
 */
import { type DType, type Tensor, ShapeError, shapeStr } from '../graph.js';

/** The shape two operands broadcast to (numpy rules), or a ShapeError naming `op`. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(op, `shapes ${shapeStr(a)} and ${shapeStr(b)} do not broadcast`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

export function sameDtype(op: string, a: Tensor, b: Tensor): DType {
  if (a.dtype !== b.dtype) throw new ShapeError(op, `dtypes differ: ${a} and ${b}`);
  return a.dtype;
}

export function requireFloat(op: string, t: Tensor): void {
  if (t.dtype !== 'float32' && t.dtype !== 'float64')
    throw new ShapeError(op, `needs a float tensor, got ${t}`);
}

export function requireRank(op: string, t: Tensor, rank: number, what = 'input'): void {
  if (t.rank !== rank) throw new ShapeError(op, `${what} must have rank ${rank}, got ${t}`);
}

export function normAxes(op: string, axes: readonly number[], rank: number): number[] {
  return axes.map((a) => {
    const n = a < 0 ? a + rank : a;
    if (n < 0 || n >= rank) throw new ShapeError(op, `axis ${a} is out of range for rank ${rank}`);
    return n;
  });
}

/** Output size of a convolution or pooling window along one axis. */
export function convOutSize(
  op: string,
  input: number,
  kernel: number,
  stride: number,
  dilation: number,
  padBegin: number,
  padEnd: number,
): number {
  const out = Math.floor((input + padBegin + padEnd - dilation * (kernel - 1) - 1) / stride) + 1;
  if (out < 1)
    throw new ShapeError(
      op,
      `kernel ${kernel} (dilation ${dilation}) does not fit input ${input} with pads ${padBegin},${padEnd}`,
    );
  return out;
}
