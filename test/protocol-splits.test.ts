// The paper's data protocol (Frankle & Carbin 2019): 5,000 training examples are held out for
// validation — early stopping selects on them — and the official test set is only reported on. Checked
// by CONTENT (a hash of each example's pixels and label), not by index or count, on the data a
// training run actually gets from prepareData: selecting on test examples, or on examples also trained
// on, would pass any count check. Real MNIST/Fashion-MNIST need TICKETLAB_DATA (skipped visibly without).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  imageSize,
  loadDataset,
  normalizationTable,
  splitIndices,
  type DatasetName,
  type ImageSet,
  type LoadedDataset,
} from '../src/data/index.js';
import { syntheticSet } from '../src/data/synthetic.js';
import { resolveConfig } from '../src/lottery/resolve.js';
import { type EvalSet, type TrainData, prepareData } from '../src/train/data.js';

const DATA = process.env.TICKETLAB_DATA;
const skip = DATA
  ? false
  : 'TICKETLAB_DATA is not set; set it to a verified copy (e.g. /work/shared/datasets)';

/** The raw pixels behind a normalized evaluation set (normalization is a per-channel lookup table). */
function pixelsOf(set: EvalSet, data: TrainData): Uint8Array {
  const [channels, height, width] = data.imageShape;
  const table = normalizationTable(data.dataset, data.normalization, channels);
  const inverse = Array.from({ length: channels }, (_, c) => {
    const byValue = new Map<number, number>();
    for (let v = 0; v < 256; v++) byValue.set(table[c * 256 + v], v);
    assert.equal(byValue.size, 256, 'the normalization maps distinct pixel values to distinct floats');
    return byValue;
  });
  const plane = height * width;
  const per = channels * plane;
  const pixels = new Uint8Array(set.x.length);
  for (let i = 0; i < set.x.length; i++) {
    const v = inverse[Math.floor((i % per) / plane)].get(set.x[i]);
    assert.ok(v !== undefined, `value ${set.x[i]} at ${i} is not a normalized pixel`);
    pixels[i] = v;
  }
  return pixels;
}

/** One key per example: a hash of its pixels and its label. */
function contentKeys(images: Uint8Array, labels: ArrayLike<number>, count: number): string[] {
  const per = images.length / count;
  const keys: string[] = [];
  for (let i = 0; i < count; i++)
    keys.push(
      createHash('sha1')
        .update(images.subarray(i * per, (i + 1) * per))
        .update(Uint8Array.of(labels[i]))
        .digest('hex'),
    );
  return keys;
}

const imageKeys = (s: ImageSet) => contentKeys(s.images, s.labels, s.count);
const evalKeys = (s: EvalSet, data: TrainData) => contentKeys(pixelsOf(s, data), s.y, s.count);

/** How many of `a`'s examples also occur (by content) in `b`. */
function shared(a: string[], b: string[]): number {
  const inB = new Set(b);
  return a.filter((k) => inB.has(k)).length;
}

/** Content overlaps between the three sets a run gets, and where its validation examples come from. */
function protocolOverlaps(data: TrainData, source: LoadedDataset) {
  const train = imageKeys(data.train);
  const validation = evalKeys(data.validation, data);
  const test = evalKeys(data.test, data);
  return {
    validationInTrain: shared(validation, train),
    validationInTest: shared(validation, test),
    testInTrain: shared(test, train),
    /** validation examples that are not examples of the source's training set */
    validationNotFromTraining: validation.length - shared(validation, imageKeys(source.train)),
    /** test examples that are not the source's test examples */
    testNotFromTest: test.length - shared(test, imageKeys(source.test)),
  };
}

const CLEAN = {
  validationInTrain: 0,
  validationInTest: 0,
  testInTrain: 0,
  validationNotFromTraining: 0,
  testNotFromTest: 0,
};

async function prepare(dataset: DatasetName, loaded: LoadedDataset, validationSize?: number) {
  const config = resolveConfig({ model: 'lenet300', dataset, validationSize });
  return prepareData(dataset, { ...config, trainEvalSize: 0 }, loaded);
}

const shape = { channels: 1, height: 28, width: 28 };
const syntheticDataset = (): LoadedDataset =>
  ({
    name: 'mnist',
    train: syntheticSet(600, shape, 11),
    test: syntheticSet(100, shape, 12),
    classes: 10,
    source: 'synthetic (made by the test)',
  }) as LoadedDataset;

/** Copies example `from` of set `a` over example `to` of set `b` (pixels and label). */
function plant(a: ImageSet, from: number, b: ImageSet, to: number) {
  const per = imageSize(a);
  b.images.set(a.images.subarray(from * per, (from + 1) * per), to * per);
  b.labels[to] = a.labels[from];
}

test('synthetic data: validation is held out of training, disjoint by content from training and test', async () => {
  const loaded = syntheticDataset();
  const data = await prepare('mnist', loaded, 100);
  assert.deepEqual([data.train.count, data.validation.count, data.test.count], [500, 100, 100]);
  assert.deepEqual(protocolOverlaps(data, loaded), CLEAN);
});

test('the content check fails on planted duplicates (a training example copied into validation and test)', async () => {
  const loaded = syntheticDataset();
  const config = resolveConfig({ model: 'lenet300', dataset: 'mnist', validationSize: 100 });
  const { train, validation } = splitIndices(loaded.train.count, 100, config.splitSeed);
  // an example kept for training duplicated at a held-out index; another held-out one copied into test
  plant(loaded.train, train[7], loaded.train, validation[3]);
  plant(loaded.train, validation[50], loaded.test, 20);
  const data = await prepare('mnist', loaded, 100);
  const overlaps = protocolOverlaps(data, loaded);
  assert.equal(overlaps.validationInTrain, 1);
  assert.equal(overlaps.validationInTest, 1);
  assert.equal(overlaps.testInTrain, 0);

  // and selecting on the test set itself (validation = test) is caught
  const clean = syntheticDataset();
  const prepared = await prepare('mnist', clean, 100);
  const leak = protocolOverlaps({ ...prepared, validation: prepared.test }, clean);
  assert.equal(leak.validationInTest, 100);
  assert.equal(leak.validationNotFromTraining, 100);
});

describe('real data: the paper split, disjoint by content', { skip }, () => {
  for (const dataset of ['mnist', 'fashion-mnist'] as const) {
    test(`${dataset}: 55,000 train / 5,000 validation / 10,000 test, no example shared`, async () => {
      const loaded = await loadDataset(dataset, { dataDir: DATA });
      const data = await prepare(dataset, loaded);
      assert.deepEqual([data.train.count, data.validation.count, data.test.count], [55_000, 5_000, 10_000]);
      assert.deepEqual(protocolOverlaps(data, loaded), CLEAN);
    });
  }
});
