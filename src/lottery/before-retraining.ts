/**
 * The accuracy of a pruned network before it is retrained (the pruning study's "@w0" and "@w(t−1)"
 * columns): the unit's mask applied to the trained weights its mask was pruned from — the dense
 * network's (@w0) for level 1 and one-shot pruning, the previous level's (@w(t−1)) for iterative
 * pruning — evaluated on the test set with no training. Structured pruning's equivalent is the
 * channel-masked network (prune/structured maskChannels).
 */
import type { TrainingEngine } from '../engine/engine.js';
import type { Masks } from '../prune/index.js';
import type { TrainData } from '../train/data.js';
import type { WeightSet } from './types.js';

export interface BeforeRetraining {
  /** Test accuracy of the mask on the trained weights, untrained. */
  testAccuracy: number;
  /** The level whose trained weights these are: 0 = @w0, otherwise @w(t−1). */
  sourceLevel: number;
}

/**
 * Measures it. Leaves the engine with these masks and weights installed: the caller installs the
 * unit's own afterwards (setMasks, setWeights, resetOptimizer), as it does anyway.
 */
export async function beforeRetrainingAccuracy(
  engine: TrainingEngine,
  data: TrainData,
  masks: Masks,
  trained: WeightSet,
  sourceLevel: number,
): Promise<BeforeRetraining> {
  await engine.setMasks(masks);
  engine.setWeights(trained.weights, trained.buffers);
  const { accuracy } = await engine.evaluate(data.test.x, data.test.y, data.test.count);
  return { testAccuracy: accuracy, sourceLevel };
}

/** "@w0" or "@w(t−1)" for a result's source level. */
export const beforeRetrainingLabel = (sourceLevel: number): string => (sourceLevel === 0 ? '@w0' : '@w(t−1)');
