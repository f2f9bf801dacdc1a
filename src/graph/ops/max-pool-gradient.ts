/**
 * The link between max-pooling's gradient rule and ReLU's, stated once and used by both ops.
 *
 * maxPool2d's rule routes each window's output gradient to the input position holding the window's
 * max. When that routed gradient is all that reaches a ReLU's output (ReLU then max-pool, as in
 * LeNet-5 and Conv-2/4/6), ReLU's rule does better than masking the full-size routed gradient with
 * [y > 0]: at every routed position y is its window's max, so [y > 0] = [max > 0], and masking the
 * pooled gradient before routing it is exact and touches k² times fewer entries.
 *
 * For that, maxPool2d's rule returns its input gradient as a MaxPoolInputGradient: the same graph
 * value, carrying how it was routed. Autodiff hands a tensor's gradient to its producer's rule as
 * the very object a consumer's rule returned when there is one contribution, and as a new sum when
 * there are several, so ReLU sees a MaxPoolInputGradient exactly when the pool is the only consumer
 * of its output (a second consumer's gradient is then included in the plain sum it gets instead).
 */
import { Tensor } from '../graph.js';

export interface MaxPoolRouting {
  /** The max-pool's input: the tensor this is the gradient of. */
  readonly input: Tensor;
  /** The max-pool's output. */
  readonly output: Tensor;
  /** The gradient of the max-pool's output. */
  readonly outputGrad: Tensor;
  /** Routes a gradient shaped like the output to the input positions that won their windows. */
  route(outputGrad: Tensor): Tensor;
}

/** A max-pool's input gradient (`routed`, the same graph value) that remembers how it was routed. */
export class MaxPoolInputGradient extends Tensor {
  constructor(
    routed: Tensor,
    readonly routing: MaxPoolRouting,
  ) {
    super(routed.graph, routed.name, routed.shape, routed.dtype, routed.producer);
  }
}

/** How `grad` was routed, when it is the whole gradient of `input` and a max-pool produced it. */
export function maxPoolRoutingOf(grad: Tensor, input: Tensor): MaxPoolRouting | undefined {
  return grad instanceof MaxPoolInputGradient && grad.routing.input === input ? grad.routing : undefined;
}
