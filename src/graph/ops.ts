/**
 * Operators of the graph DSL. Each one checks shapes when it is built, emits ONNX nodes (opset 18),
 * and carries its gradient rule, written in terms of these same ops. Composite ops (cross-entropy,
 * dropout) are built from primitives, so their gradients come from the primitives'; batch norm is one
 * BatchNormalization node with its closed-form gradient (ops/norm.ts).
 *
 * This module gathers the op families, each op beside its gradient rule (import from here):
 * - ops/arithmetic.ts   broadcasting arithmetic and reductions (each other's gradients)
 * - ops/elementwise.ts  exp, log, sqrt, sigmoid, tanh, ReLU, comparisons, where, cast
 * - ops/shape.ts        reshape, flatten, transpose, concat, slice, pad, flip
 * - ops/linear.ts       Gemm, matmul, linear, batched matmul
 * - ops/conv.ts         conv2d (its weight gradient: kernels/conv-weight-grad.ts)
 * - ops/pool.ts         max, average and global average pooling
 * - ops/norm.ts         batch norm (one node, closed-form gradient), dropout
 * - ops/loss.ts         log-softmax, softmax cross-entropy, mean squared error
 * - ops/indexing.ts     1-D gather and scatter (the sparse optimizer update)
 * - ops/stochastic.ts   a Bernoulli sample from given noise, straight-through gradient (learned supermasks)
 * - ops/channels.ts     channel selection (structured pruning's thinner networks)
 * The one link between two rules, max-pool's and ReLU's, is ops/max-pool-gradient.ts.
 */
export type { TypedArray } from './graph.js';
export {
  add,
  div,
  expand,
  mul,
  neg,
  reduceMean,
  reduceSum,
  scale,
  sub,
  sum,
  sumToShape,
} from './ops/arithmetic.js';
export {
  cast,
  equal,
  exp,
  greater,
  log,
  relu,
  residual,
  sigmoid,
  sqrt,
  square,
  tanh,
  where,
} from './ops/elementwise.js';
export { concat, flatten, flip, pad, reshape, slice, stridedSlice, transpose } from './ops/shape.js';
export { batchMatmul, gemm, linear, matmul } from './ops/linear.js';
export { type Conv2dOptions, type Padding, conv2d, resolvePads } from './ops/conv.js';
export { CONV_WEIGHT_GRAD_DEFAULTS, type ConvWeightGradOptions } from './kernels/conv-weight-grad.js';
export { type Pool2dOptions, avgPool2d, globalAvgPool, maxPool2d } from './ops/pool.js';
export { type BatchNormResult, batchNorm, dropout } from './ops/norm.js';
export { type CrossEntropyResult, logSoftmax, meanSquaredError, softmaxCrossEntropy } from './ops/loss.js';
export { gather1d, scatter1d } from './ops/indexing.js';
export { bernoulliStraightThrough } from './ops/stochastic.js';
export { gatherChannels } from './ops/channels.js';
