/** The training engine's options and the loss it trains, shared by the engine's parts. */
import type { Tensor } from '../graph/graph.js';
import * as op from '../graph/ops.js';
import type { ParamDecl } from '../models/types.js';
import type { OptimizerSpec } from './optimizers.js';
import type { ShapeTiming } from './crossover.js';

/**
 * A training loss, written in the graph DSL. `logits` are the model's output [batch, classes] and
 * `labels` the int32 class indices [batch]. It returns the loss as a scalar, the MEAN over the batch
 * (evaluation multiplies it by the batch size to sum over a set), and `correct`, a float scalar
 * counting the examples the model gets right (accuracy is correct / count). The loss must be
 * differentiable in the logits; `correct` is never differentiated.
 */
export type LossFunction = (logits: Tensor, labels: Tensor) => { loss: Tensor; correct: Tensor };

/** The default loss: softmax cross-entropy, mean over the batch; correct = argmax hits. */
export const softmaxCrossEntropyLoss: LossFunction = (logits, labels) =>
  op.softmaxCrossEntropy(logits, labels);

export interface EngineOptions {
  batchSize: number;
  optimizer: OptimizerSpec;
  /** The loss the step minimizes and evaluation reports (default: softmax cross-entropy). */
  loss?: LossFunction;
  /**
   * Network slimming (Liu et al. 2017): s·sign(γ) is added to the gradient of every BatchNorm scale γ,
   * before weight decay and the mask (default 0: off, the step graph unchanged).
   */
  bnL1?: number;
  /** Evaluation batch (default 1000; a smaller last chunk gets its own cached session). */
  evalBatchSize?: number;
  threads?: number;
  /** Which parameters carry a mask (default: every weight of an fc/conv/output layer). */
  masked?: (decl: ParamDecl) => boolean;
  /** Use the sparse (gather/scatter) update when the kept fraction of θ falls below this (default 0.5). */
  sparseBelow?: number;
  /**
   * Train and evaluate with the sparse WebAssembly step (sparse-mlp.ts: the compacted network, kept
   * weights only) when the model is an MLP, pruned weights are frozen at 0 and the kept fraction of
   * the masked weights is below this (default 0: never). Its sums run in another order than the dense
   * step's, so results agree to float32 rounding, not bit for bit: the setting is part of a run's
   * identity.
   */
  sparseKernelsBelow?: number;
  /**
   * The sparse WebAssembly step by mode (overrides sparseKernelsBelow when given and not 'off'):
   * 'always' whenever the model is an MLP and pruned weights are frozen at 0; 'auto' when, besides,
   * the timings in `crossover` (by layer shape, crossover.ts) predict it faster than the dense step.
   */
  sparseKernels?: 'off' | 'auto' | 'always';
  /** Measured step times by layer shape (calibrate.ts), for sparseKernels 'auto'. */
  crossover?: ReadonlyMap<string, ShapeTiming>;
  /**
   * Parameters with at least this many entries are graph inputs of their own in the training step;
   * smaller neighbours share one (default 65536). Only speed depends on it, never a result.
   */
  segmentFrom?: number;
  /**
   * A segment of more than twice this many entries gets its dense update in chunks of about this
   * size (default 262144), each of which keeps its temporaries in cache. Only speed depends on it.
   */
  updateChunk?: number;
  /**
   * Where the optimizer update of dense and masked layouts runs: 'fused' (default), one WebAssembly
   * SIMD loop over θ after the step graph has written the gradients; or 'graph', as element-wise ops
   * inside the step graph. Both evaluate the same operations in the same order: results are
   * bit-identical. Sparse layouts always update inside the graph (gather/scatter of the kept entries).
   */
  update?: 'fused' | 'graph';
}
