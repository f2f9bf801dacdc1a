/** Linear algebra: Gemm (matmul, linear) and batched matrix products, with their gradient rules. */
import { type Backward, type Tensor, ShapeError, attr, shapeStr } from '../graph.js';
import { sumToShape } from './arithmetic.js';
import { broadcastShapes, requireFloat, requireRank, sameDtype } from './checks.js';
import { transpose } from './shape.js';

/** 2-D matrix product with optional transposes: op(a) · op(b). */
export function matmul(a: Tensor, b: Tensor, opts: { transA?: boolean; transB?: boolean } = {}): Tensor {
  return gemm(a, b, undefined, opts);
}

/** Gemm: op(a) · op(b) + c, with c broadcast to the result (a bias row, typically). */
export function gemm(
  a: Tensor,
  b: Tensor,
  c: Tensor | undefined,
  opts: { transA?: boolean; transB?: boolean } = {},
): Tensor {
  const dtype = sameDtype('Gemm', a, b);
  requireFloat('Gemm', a);
  requireRank('Gemm', a, 2, 'A');
  requireRank('Gemm', b, 2, 'B');
  const transA = opts.transA ?? false;
  const transB = opts.transB ?? false;
  const [m, k] = transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [k2, n] = transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  if (k !== k2) {
    throw new ShapeError(
      'Gemm',
      `inner dimensions differ: A ${shapeStr(a.shape)}${transA ? 'ᵀ' : ''} · B ${shapeStr(b.shape)}${transB ? 'ᵀ' : ''}`,
    );
  }
  if (c) {
    sameDtype('Gemm', a, c);
    const s = broadcastShapes('Gemm', c.shape, [m, n]);
    if (shapeStr(s) !== shapeStr([m, n]))
      throw new ShapeError('Gemm', `C ${shapeStr(c.shape)} does not broadcast to ${shapeStr([m, n])}`);
  }
  const attrs = { transA: attr.i(transA ? 1 : 0), transB: attr.i(transB ? 1 : 0) };
  return a.graph.addNode(
    'Gemm',
    c ? [a, b, c] : [a, b],
    [{ name: 'gemm', shape: [m, n], dtype }],
    attrs,
    ([g]) => {
      if (!g) return [undefined, undefined, undefined];
      // Y = A'B' with A' = op(A), B' = op(B): dA' = G B'ᵀ, dB' = A'ᵀ G
      const gA = transA ? matmul(b, g, { transA: transB, transB: true }) : matmul(g, b, { transB: !transB });
      const gB = transB ? matmul(g, a, { transA: true, transB: transA }) : matmul(a, g, { transA: !transA });
      return [gA, gB, c ? sumToShape(g, c.shape) : undefined];
    },
  )[0];
}

/** Fully connected layer in PyTorch's layout: x [N, in] · wᵀ with w [out, in], plus bias [out]. */
export function linear(x: Tensor, w: Tensor, b?: Tensor): Tensor {
  return gemm(x, w, b, { transB: true });
}

/**
 * Matrix products over a leading batch axis: a [B, M, K] · b [B, K, N], or · b[i]ᵀ for b [B, N, K]
 * with transB. float32 runs onnxruntime's FusedMatMul (the transpose folded into the GEMM); float64,
 * which has no FusedMatMul kernel, an explicit Transpose and MatMul, under the same gradient rule.
 */
export function batchMatmul(a: Tensor, b: Tensor, opts: { transB?: boolean } = {}): Tensor {
  const dtype = sameDtype('MatMul', a, b);
  requireFloat('MatMul', a);
  requireRank('MatMul', a, 3, 'A');
  requireRank('MatMul', b, 3, 'B');
  const transB = opts.transB ?? false;
  const [batch, m, k] = a.shape;
  const [batchB, k2, n] = transB ? [b.shape[0], b.shape[2], b.shape[1]] : b.shape;
  if (batchB !== batch || k2 !== k) {
    throw new ShapeError(
      'MatMul',
      `A ${shapeStr(a.shape)} and B ${shapeStr(b.shape)}${transB ? 'ᵀ' : ''} do not multiply batch by batch`,
    );
  }
  const backward: Backward = ([g]) => {
    if (!g) return [undefined, undefined];
    // Y = A·B' with B' = op(B): dA = G·B'ᵀ; dB' = Aᵀ·G, so dB = Gᵀ·A when B' = Bᵀ
    const gA = batchMatmul(g, b, { transB: !transB });
    const gB = transB ? batchMatmul(transpose(g, [0, 2, 1]), a) : batchMatmul(transpose(a, [0, 2, 1]), g);
    return [gA, gB];
  };
  const graph = a.graph;
  const out = { name: 'batch_matmul', shape: [batch, m, n], dtype };
  if (dtype === 'float32') {
    const attrs = { transA: attr.i(0), transB: attr.i(transB ? 1 : 0), alpha: attr.f(1) };
    return graph.addNode('FusedMatMul', [a, b], [out], attrs, backward, 'com.microsoft')[0];
  }
  const bt = transB
    ? graph.addNode('Transpose', [b], [{ name: 'lowered_transpose', shape: [batch, k, n], dtype }], {
        perm: attr.ints([0, 2, 1]),
      })[0]
    : b;
  const y = graph.addNode('MatMul', [a, bt], [out])[0];
  graph.addGradientRule([a, b], [y], backward);
  return y;
}
