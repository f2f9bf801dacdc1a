/**
 * A learned supermask (Zhou et al. 2019, Section 5) as a model transformation: the base network's
 * parameters are frozen constants (its θ₀, or signed constants), and each masked weight gets one
 * trainable score s. In training the forward pass samples m ~ Bernoulli(σ(s)) from per-step uniform
 * noise with the straight-through gradient (ops/stochastic.ts); in evaluation it uses the expected
 * mask's rounding, m = [σ(s) > 0.5] = [s > 0]. Optionally the masked weights are rescaled per layer by
 * size / Σm on every forward pass (Zhou's dynamic weight rescaling).
 */
import type { Tensor } from '../graph/graph.js';
import * as op from '../graph/ops.js';
import type { Model, ModelContext, ParamDecl } from './types.js';

export interface SupermaskModelOptions {
  /** Every parameter of the base model, by name: the frozen values the masks select from. */
  frozen: ReadonlyMap<string, Float32Array>;
  /** Which parameters get a score (the others stay frozen and whole). */
  masked: (decl: ParamDecl) => boolean;
  /** Initial score of every weight (Zhou's --sigmoid_bias; 0 gives p = 0.5). */
  scoreInit: number;
  /** Multiply each masked layer by size / Σm (dynamic weight rescaling). */
  rescale: boolean;
}

/** The score parameter of a masked weight. */
export const scoreName = (param: string): string => `score:${param}`;

export function supermaskModel(base: Model, o: SupermaskModelOptions): Model {
  return {
    name: `${base.name}_supermask`,
    inputShape: base.inputShape,
    classes: base.classes,
    forward(ctx, x) {
      return base.forward(scoredContext(ctx, x.graph, o), x);
    },
  };
}

function scoredContext(ctx: ModelContext, graph: Tensor['graph'], o: SupermaskModelOptions): ModelContext {
  return {
    dtype: ctx.dtype,
    training: ctx.training,
    buffer: (decl) => ctx.buffer(decl),
    updateBuffer: (name, value) => ctx.updateBuffer(name, value),
    dropoutMask: (name, shape, rate) => ctx.dropoutMask(name, shape, rate),
    param(decl) {
      const values = o.frozen.get(decl.name);
      if (!values) throw new Error(`supermask: no frozen value for parameter ${decl.name}`);
      const frozen = graph.constant(values, decl.shape, ctx.dtype, `frozen:${decl.name}`);
      if (!o.masked(decl)) return frozen;
      const score = ctx.param({
        name: scoreName(decl.name),
        shape: decl.shape,
        init: { kind: 'constant', value: o.scoreInit },
        role: 'weight',
        fanIn: decl.fanIn,
        fanOut: decl.fanOut,
      });
      let mask: Tensor;
      if (ctx.training) {
        if (!ctx.uniformNoise) throw new Error('supermask: this context cannot feed noise to sample masks');
        mask = op.bernoulliStraightThrough(op.sigmoid(score), ctx.uniformNoise(decl.name, decl.shape));
      } else {
        mask = op.cast(op.greater(score, graph.scalar(0, ctx.dtype)), ctx.dtype);
      }
      const masked = op.mul(frozen, mask);
      if (!o.rescale) return masked;
      // size / Σm (the gradient flows through Σm too, as in Zhou's code); an empty layer divides by 1
      const kept = op.reduceSum(mask);
      const one = graph.scalar(1, ctx.dtype);
      const divisor = op.where(op.greater(kept, graph.scalar(0.5, ctx.dtype)), kept, one);
      return op.mul(masked, op.div(graph.scalar(values.length, ctx.dtype), divisor));
    },
  };
}
