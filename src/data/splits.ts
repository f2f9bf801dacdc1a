/**
 * The seeded validation split: `validationSize` training examples (5,000 by default, as in Frankle &
 * Carbin 2019) are held out of the training set; the official test set is kept as is. The same seed
 * always holds out the same examples, whatever the training seed.
 */
import { UserError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { imageSize, type ImageSet, type LoadedDataset } from './types.js';

export interface Splits {
  train: ImageSet;
  validation: ImageSet;
  test: ImageSet;
}

export const DEFAULT_VALIDATION_SIZE = 5000;
export const DEFAULT_SPLIT_SEED = 0;

/** Indices held out for validation (ascending) and kept for training (ascending). */
export function splitIndices(
  count: number,
  validationSize: number,
  seed: number,
): { train: Int32Array; validation: Int32Array } {
  const perm = Rng.derive(seed, 'split').permutation(count);
  const validation = perm.slice(0, validationSize).sort();
  const train = perm.slice(validationSize).sort();
  return { train, validation };
}

export function splitDataset(
  ds: LoadedDataset,
  opts: { validationSize?: number; seed?: number } = {},
): Splits {
  const validationSize = opts.validationSize ?? DEFAULT_VALIDATION_SIZE;
  const seed = opts.seed ?? DEFAULT_SPLIT_SEED;
  if (!Number.isInteger(validationSize) || validationSize < 0 || validationSize >= ds.train.count) {
    throw new UserError(
      `${ds.name}: validation size ${validationSize} is not possible with ${ds.train.count} training examples`,
      `use a whole number from 0 to ${ds.train.count - 1} (default ${DEFAULT_VALIDATION_SIZE})`,
    );
  }
  const { train, validation } = splitIndices(ds.train.count, validationSize, seed);
  return { train: subset(ds.train, train), validation: subset(ds.train, validation), test: ds.test };
}

/** A new ImageSet holding copies of the given examples, in the given order. */
export function subset(set: ImageSet, indices: ArrayLike<number>): ImageSet {
  const per = imageSize(set);
  const images = new Uint8Array(indices.length * per);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length;) {
    const start = indices[i];
    if (!(start >= 0 && start < set.count))
      throw new RangeError(`subset: index ${start} outside 0..${set.count - 1}`);
    // copy runs of consecutive examples at once
    let run = 1;
    while (i + run < indices.length && indices[i + run] === start + run && start + run < set.count) run++;
    images.set(set.images.subarray(start * per, (start + run) * per), i * per);
    for (let k = 0; k < run; k++) labels[i + k] = set.labels[start + k];
    i += run;
  }
  return {
    images,
    labels,
    count: indices.length,
    channels: set.channels,
    height: set.height,
    width: set.width,
  };
}
