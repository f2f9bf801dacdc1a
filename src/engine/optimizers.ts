/**
 * Optimizer updates compiled into the training-step graph. Step-dependent scalars (learning rate,
 * Adam's bias corrections) are graph inputs, so schedules never recompile. A masked weight's gradient,
 * weight decay included, is multiplied by its mask before the update: g' = (g + wd·θ)·m. A pruned
 * weight's optimizer state then stays exactly 0 and the weight itself stays exactly at its frozen
 * value θ_f (0 by default): θ_f − lr·0/(√0+ε) = θ_f. (Applied after the decay, the mask would let
 * wd·θ_f move a weight frozen at a non-zero value. For θ_f = 0 the two orders agree bit for bit: they
 * differ only in the sign of a pruned entry's zero gradient, which the update's next addition or
 * subtraction turns into +0.)
 */
import type { Tensor } from '../graph/graph.js';
import * as op from '../graph/ops.js';

export type OptimizerSpec =
  | { kind: 'sgd'; momentum?: number; nesterov?: boolean; weightDecay?: number }
  | { kind: 'adam'; beta1?: number; beta2?: number; eps?: number; weightDecay?: number };

export interface OptimizerScalars {
  /** Graph input names of the per-step scalars, with how to compute them from (lr, step t ≥ 1). */
  readonly names: string[];
  values(lr: number, t: number): number[];
}

export interface ParamUpdate {
  param: Tensor;
  states: Tensor[];
}

/**
 * Names of the per-parameter optimizer state. Adam's moments are stored scaled, m/(1-β1) and
 * v/(1-β2): their update then needs no (1-β) multiplications, which saves two of the memory-bound
 * passes over θ every step. Masked entries are exactly 0 either way.
 */
export function stateNames(spec: OptimizerSpec): string[] {
  if (spec.kind === 'adam') return ['adam_m', 'adam_v'];
  return (spec.momentum ?? 0) > 0 ? ['momentum_buffer'] : [];
}

export function optimizerScalars(spec: OptimizerSpec): OptimizerScalars {
  if (spec.kind === 'adam') {
    const b1 = spec.beta1 ?? 0.9;
    const b2 = spec.beta2 ?? 0.999;
    const eps = spec.eps ?? 1e-8;
    return {
      names: ['adam_denominator_scale', 'adam_denominator_shift'],
      // torch.optim.Adam: p -= step · m / (√v / √(1-β2ᵗ) + ε) with step = lr/(1-β1ᵗ), m = (1-β1)·m̃ and
      // v = (1-β2)·ṽ, i.e. p -= m̃ / (√ṽ · a + b) with a = √(1-β2) / √(1-β2ᵗ) / step', b = ε / step',
      // step' = lr·(1-β1)/(1-β1ᵗ): dividing the denominator by the step saves a pass over θ.
      // lr = 0 (or a step so small that a or b overflow float32) gives a = 0, b = ∞: m̃/∞ is exactly 0.
      values: (lr, t) => {
        const step = (lr * (1 - b1)) / (1 - b1 ** t);
        const a = Math.sqrt(1 - b2) / Math.sqrt(1 - b2 ** t) / step;
        const b = eps / step;
        return Math.fround(a) < Infinity && Math.fround(b) < Infinity ? [a, b] : [0, Infinity];
      },
    };
  }
  return { names: ['lr'], values: (lr) => [lr] };
}

/**
 * The arithmetic an update rule is written in. The step graph implements it with ONNX ops and the
 * fused kernel (fused-update.ts) with SIMD instructions; both evaluate the same operations in the same
 * order on float32, so they give bit-identical results.
 */
export interface Arithmetic<T> {
  constant(value: number): T;
  add(a: T, b: T): T;
  sub(a: T, b: T): T;
  mul(a: T, b: T): T;
  div(a: T, b: T): T;
  sqrt(a: T): T;
}

/**
 * One optimizer step for a parameter, in any arithmetic. `scalars` are the per-step values named by
 * optimizerScalars(); `states` the optimizer state named by stateNames(); `mask` (1 = keep, 0 =
 * pruned) multiplies the gradient after weight decay, so a pruned weight does not move.
 */
export function updateRule<T>(
  spec: OptimizerSpec,
  A: Arithmetic<T>,
  param: T,
  grad: T,
  states: T[],
  scalars: T[],
  mask?: T,
): { param: T; states: T[] } {
  const wd = spec.weightDecay ?? 0;
  const decayed = wd > 0 ? A.add(grad, A.mul(A.constant(wd), param)) : grad;
  const gradient = mask === undefined ? decayed : A.mul(decayed, mask);
  if (spec.kind === 'adam') {
    const [m, v] = states;
    const [scale, shift] = scalars;
    // ten element-wise passes over the parameter vector in the graph; one in the fused kernel
    const m2 = A.add(A.mul(A.constant(spec.beta1 ?? 0.9), m), gradient);
    const v2 = A.add(A.mul(A.constant(spec.beta2 ?? 0.999), v), A.mul(gradient, gradient));
    const denom = A.add(A.mul(A.sqrt(v2), scale), shift);
    return { param: A.sub(param, A.div(m2, denom)), states: [m2, v2] };
  }
  const [lr] = scalars;
  const mu = spec.momentum ?? 0;
  if (mu === 0) return { param: A.sub(param, A.mul(lr, gradient)), states: [] };
  // torch.optim.SGD: buf = μ·buf + g; step = g + μ·buf (Nesterov) or buf
  const buf = A.add(A.mul(A.constant(mu), states[0]), gradient);
  const direction = spec.nesterov ? A.add(gradient, A.mul(A.constant(mu), buf)) : buf;
  return { param: A.sub(param, A.mul(lr, direction)), states: [buf] };
}

/** The update of one parameter as graph ops (see updateRule). */
export function emitUpdate(
  spec: OptimizerSpec,
  param: Tensor,
  grad: Tensor,
  states: Tensor[],
  scalars: Tensor[],
  mask?: Tensor,
): ParamUpdate {
  const g = param.graph;
  const graphArithmetic: Arithmetic<Tensor> = {
    constant: (v) => g.scalar(v, param.dtype),
    add: op.add,
    sub: op.sub,
    mul: op.mul,
    div: op.div,
    sqrt: op.sqrt,
  };
  return updateRule(spec, graphArithmetic, param, grad, states, scalars, mask);
}
