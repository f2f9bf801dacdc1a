/** The data a training run needs, prepared once: a batch sampler's source and float evaluation sets. */
import {
  BatchSampler,
  type ImageSet,
  type LoadedDataset,
  type Normalization,
  loadDataset,
  splitDataset,
  subset,
  toFloat,
} from '../data/index.js';
import { Rng } from '../util/rng.js';

export interface EvalSet {
  x: Float32Array;
  y: Int32Array;
  count: number;
}

export interface TrainData {
  dataset: string;
  /** One example's shape, NCHW without N: e.g. [1, 28, 28] or [3, 32, 32]. */
  imageShape: number[];
  classes: number;
  normalization: Normalization;
  augment: boolean;
  train: ImageSet;
  validation: EvalSet;
  test: EvalSet;
  /** A fixed sample of the training set for training accuracy (undefined if not asked for). */
  trainEval?: EvalSet;
}

export interface DataOptions {
  dataDir?: string;
  validationSize: number;
  /** Seed of the validation split (fixed across trials so trials differ only in their own seed). */
  splitSeed: number;
  normalization: Normalization;
  augment: boolean;
  /** Size of the training-accuracy sample (0 = don't measure training accuracy). */
  trainEvalSize: number;
}

export function evalSet(set: ImageSet, normalization: Normalization, dataset: string): EvalSet {
  return { x: toFloat(set, normalization, dataset), y: Int32Array.from(set.labels), count: set.count };
}

export async function prepareData(
  dataset: string,
  opts: DataOptions,
  loaded?: LoadedDataset,
): Promise<TrainData> {
  const ds = loaded ?? (await loadDataset(dataset, { dataDir: opts.dataDir }));
  const splits = splitDataset(ds, { validationSize: opts.validationSize, seed: opts.splitSeed });
  const train = splits.train;
  let trainEval: EvalSet | undefined;
  if (opts.trainEvalSize > 0) {
    const n = Math.min(opts.trainEvalSize, train.count);
    const picks = Array.from(
      Rng.derive(opts.splitSeed, 'train-eval').permutation(train.count).subarray(0, n),
    ).sort((a, b) => a - b);
    trainEval = evalSet(subset(train, picks), opts.normalization, dataset);
  }
  return {
    dataset,
    imageShape: [train.channels, train.height, train.width],
    classes: ds.classes,
    normalization: opts.normalization,
    augment: opts.augment,
    train,
    validation: evalSet(splits.validation, opts.normalization, dataset),
    test: evalSet(splits.test, opts.normalization, dataset),
    trainEval,
  };
}

export function makeSampler(data: TrainData, batchSize: number, seed: number): BatchSampler {
  return new BatchSampler(data.train, {
    batchSize,
    seed,
    normalization: data.normalization,
    dataset: data.dataset,
    augment: data.augment,
    classes: data.classes,
  });
}
