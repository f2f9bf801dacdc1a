/**
 * Stochastic ops whose randomness comes in as a graph input (uniform noise the caller draws from a
 * seeded stream), so a graph's results are reproducible and resumable bit for bit.
 */
import { type Tensor, ShapeError, shapeStr } from '../graph.js';
import { requireFloat, sameDtype } from './checks.js';
import { cast, greater } from './elementwise.js';

/**
 * A Bernoulli sample m = [u < p] (1 with probability p for u ~ U[0, 1)), with the straight-through
 * gradient of Zhou et al.'s learned supermask: m = Bernoulli(p) + p − stop_gradient(p), so ∂m/∂p = 1
 * and the gradient of m passes to p unchanged (none flows to the noise u).
 */
export function bernoulliStraightThrough(p: Tensor, u: Tensor): Tensor {
  requireFloat('BernoulliStraightThrough', p);
  sameDtype('BernoulliStraightThrough', p, u);
  if (shapeStr(p.shape) !== shapeStr(u.shape))
    throw new ShapeError(
      'BernoulliStraightThrough',
      `noise ${shapeStr(u.shape)} does not match probabilities ${shapeStr(p.shape)}`,
    );
  const m = cast(greater(p, u), p.dtype);
  // the comparison has no gradient; this rule states the straight-through one for the sample
  p.graph.addGradientRule([p, u], [m], ([g]) => [g, undefined]);
  return m;
}
