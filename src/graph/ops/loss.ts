/** Losses: log-softmax (with its own gradient rule), softmax cross-entropy and mean squared error. */
import { type Tensor, ShapeError, attr } from '../graph.js';
import { mul, reduceMean, reduceSum, scale, sub } from './arithmetic.js';
import { normAxes, requireFloat, requireRank } from './checks.js';
import { cast, equal, exp, square } from './elementwise.js';

export function logSoftmax(x: Tensor, axis = -1): Tensor {
  requireFloat('LogSoftmax', x);
  const ax = normAxes('LogSoftmax', [axis], x.rank)[0];
  const [y] = x.graph.addNode(
    'LogSoftmax',
    [x],
    [{ name: 'logsoftmax', shape: x.shape, dtype: x.dtype }],
    { axis: attr.i(ax) },
    ([g]) => {
      if (!g) return [undefined];
      // d/dx = g - softmax(x) · Σ g
      return [sub(g, mul(exp(y), reduceSum(g, [ax], true)))];
    },
  );
  return y;
}

export interface CrossEntropyResult {
  /** Mean softmax cross-entropy over the batch (a scalar). */
  loss: Tensor;
  /** Number of examples whose argmax equals the label (a float scalar; not differentiable). */
  correct: Tensor;
}

/** Softmax cross-entropy of logits [N, K] against integer class labels [N] (int32 or int64). */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor): CrossEntropyResult {
  requireRank('SoftmaxCrossEntropy', logits, 2, 'logits');
  requireRank('SoftmaxCrossEntropy', labels, 1, 'labels');
  if (labels.shape[0] !== logits.shape[0]) {
    throw new ShapeError(
      'SoftmaxCrossEntropy',
      `${labels.shape[0]} labels for ${logits.shape[0]} rows of logits`,
    );
  }
  if (labels.dtype !== 'int32' && labels.dtype !== 'int64')
    throw new ShapeError('SoftmaxCrossEntropy', `labels must be integers, got ${labels}`);
  const g = logits.graph;
  const [n, k] = logits.shape;
  const labels64 = cast(labels, 'int64');
  // onnxruntime has no float64 OneHot kernel: build the (exact 0/1) one-hot in float32 and cast
  const oneHot = cast(
    g.addNode(
      'OneHot',
      [
        labels64,
        g.constant(BigInt64Array.from([BigInt(k)]), [], 'int64', 'depth'),
        g.constant(Float32Array.from([0, 1]), [2], 'float32', 'onehot_values'),
      ],
      [{ name: 'onehot', shape: [n, k], dtype: 'float32' }],
      { axis: attr.i(-1) },
    )[0],
    logits.dtype,
  );
  const loss = scale(reduceSum(mul(oneHot, logSoftmax(logits, 1))), -1 / n);
  const predicted = g.addNode('ArgMax', [logits], [{ name: 'argmax', shape: [n], dtype: 'int64' }], {
    axis: attr.i(1),
    keepdims: attr.i(0),
  })[0];
  const correct = reduceSum(cast(equal(predicted, labels64), logits.dtype));
  return { loss, correct };
}

/** Mean squared error, for regression-style tests. */
export function meanSquaredError(pred: Tensor, target: Tensor): Tensor {
  return reduceMean(square(sub(pred, target)));
}
