/**
 * Supermasks at initialization (Zhou et al. 2019, Section 5): a unit's accuracy before any training —
 * its mask on its starting weights (after the mask-1 and mask-0 actions), a random mask with the same
 * number kept in each layer on the same weights, and the same weights unmasked. On the test set.
 */
import type { TrainingEngine } from '../engine/engine.js';
import { type Masks, type PrunableLayer, fullMasks, randomMasksLike } from '../prune/index.js';
import type { TrainData } from '../train/data.js';
import type { Rng } from '../util/rng.js';
import type { WeightSet } from './types.js';

export interface SupermaskAccuracy {
  /** The unit's mask on its starting weights, untrained. */
  mask: number;
  /** A random mask of the same per-layer sizes on the same weights. */
  randomMask: number;
  /** The starting weights with no mask. */
  unmasked: number;
}

/**
 * Measures the three accuracies. Leaves the engine with other masks and weights installed: the
 * caller installs the unit's own afterwards (setMasks, setWeights, resetOptimizer), as it does anyway.
 */
export async function supermaskAccuracy(
  engine: TrainingEngine,
  data: TrainData,
  layers: PrunableLayer[],
  masks: Masks,
  start: WeightSet,
  frozen: Map<string, Float32Array> | undefined,
  rng: Rng,
): Promise<SupermaskAccuracy> {
  const accuracyWith = async (m: Masks) => {
    await engine.setMasks(m, frozen ? { frozen } : {});
    engine.setWeights(start.weights, start.buffers);
    return (await engine.evaluate(data.test.x, data.test.y, data.test.count)).accuracy;
  };
  const mask = await accuracyWith(masks);
  const randomMask = await accuracyWith(randomMasksLike(masks, rng));
  const unmasked = await accuracyWith(fullMasks(layers));
  return { mask, randomMask, unmasked };
}
