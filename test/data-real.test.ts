// Facts of the real MNIST and Fashion-MNIST files (computed once from the official files and checked
// independently with numpy). Runs when TICKETLAB_DATA points at a verified copy (CI sets it to
// /work/shared/datasets); skipped, visibly, otherwise.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  BatchSampler,
  FASHION_MNIST,
  MNIST,
  loadDataset,
  md5,
  splitDataset,
  type LoadedDataset,
} from '../src/data/index.js';

const DATA = process.env.TICKETLAB_DATA;
const skip = DATA
  ? false
  : 'TICKETLAB_DATA is not set; set it to a verified copy (e.g. /work/shared/datasets)';

interface Facts {
  trainHistogram: number[];
  testHistogram: number[];
  trainPixelSum: number;
  testPixelSum: number;
  firstTrainLabels: number[];
  firstTestLabels: number[];
  /** [index, label, pixel sum, md5 of the 784 pixels] */
  trainImages: [number, number, number, string][];
  testImages: [number, number, number, string][];
}

const FACTS: Record<'mnist' | 'fashion-mnist', Facts> = {
  mnist: {
    trainHistogram: [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
    testHistogram: [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
    trainPixelSum: 1567298545,
    testPixelSum: 264923200,
    firstTrainLabels: [5, 0, 4, 1, 9, 2, 1, 3],
    firstTestLabels: [7, 2, 1, 0, 4, 1, 4, 9],
    trainImages: [
      [0, 5, 27525, '2ce86e4daeeff3a0cdebce6897c784ba'],
      [1, 0, 31095, 'f81bff978d39d9f800e373d772229c9c'],
      [59999, 8, 20920, 'ef7f533798be7e6e26fc648e9e8bb37d'],
    ],
    testImages: [
      [0, 7, 18454, '1081cd3611ed4bea23c5769d20d414e5'],
      [9999, 6, 41833, '4cbc26cd65a7520ac820c54476b7c1f8'],
    ],
  },
  'fashion-mnist': {
    trainHistogram: new Array(10).fill(6000),
    testHistogram: new Array(10).fill(1000),
    trainPixelSum: 3431114169,
    testPixelSum: 573469082,
    firstTrainLabels: [9, 0, 0, 3, 0, 2, 7, 2],
    firstTestLabels: [9, 2, 1, 1, 6, 1, 4, 6],
    trainImages: [
      [0, 9, 76247, '4faf81e309af5194c477affdbefc6116'],
      [1, 0, 84598, 'dbff07267b094a11f0077cc021d4fa5d'],
      [59999, 5, 16684, '2b9adbb3226eb357d90169dbaf62c14c'],
    ],
    testImages: [
      [0, 9, 33456, 'a7ccdc296871349e7823556f7ce4b918'],
      [9999, 5, 24390, '0679e37e18345b46f008d686722262e3'],
    ],
  },
};

function histogram(labels: Uint8Array): number[] {
  const h = new Array(10).fill(0);
  for (const l of labels) h[l]++;
  return h;
}

function pixelSum(images: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < images.length; i++) s += images[i];
  return s;
}

const cache = new Map<string, Promise<LoadedDataset>>();
function load(name: 'mnist' | 'fashion-mnist'): Promise<LoadedDataset> {
  if (!cache.has(name)) cache.set(name, loadDataset(name, { dataDir: DATA, download: false }));
  return cache.get(name)!;
}

for (const name of ['mnist', 'fashion-mnist'] as const) {
  describe(`${name} (real files)`, () => {
    const facts = FACTS[name];

    test('counts, shapes and label histograms', { skip }, async () => {
      const ds = await load(name);
      assert.equal(ds.train.count, 60000);
      assert.equal(ds.test.count, 10000);
      assert.deepEqual([ds.train.channels, ds.train.height, ds.train.width], [1, 28, 28]);
      assert.equal(ds.train.images.length, 60000 * 784);
      assert.deepEqual(histogram(ds.train.labels), facts.trainHistogram);
      assert.deepEqual(histogram(ds.test.labels), facts.testHistogram);
      assert.deepEqual([...ds.train.labels.subarray(0, 8)], facts.firstTrainLabels);
      assert.deepEqual([...ds.test.labels.subarray(0, 8)], facts.firstTestLabels);
    });

    test('known pixel checksums', { skip }, async () => {
      const ds = await load(name);
      assert.equal(pixelSum(ds.train.images), facts.trainPixelSum);
      assert.equal(pixelSum(ds.test.images), facts.testPixelSum);
      for (const [set, known] of [
        [ds.train, facts.trainImages],
        [ds.test, facts.testImages],
      ] as const) {
        for (const [i, label, sum, hash] of known) {
          const img = set.images.subarray(i * 784, (i + 1) * 784);
          assert.equal(set.labels[i], label);
          assert.equal(pixelSum(img), sum);
          assert.equal(md5(img), hash);
        }
      }
    });

    test("the registry's mean and std are this training set's", { skip }, async () => {
      const ds = await load(name);
      const spec = name === 'mnist' ? MNIST : FASHION_MNIST;
      let s = 0;
      let s2 = 0;
      for (const v of ds.train.images) {
        s += v;
        s2 += v * v;
      }
      const n = ds.train.images.length;
      const mean = s / n / 255;
      const std = Math.sqrt(s2 / n / 255 / 255 - mean * mean);
      assert.ok(Math.abs(mean - spec.mean[0]) < 1e-9, `${mean}`);
      assert.ok(Math.abs(std - spec.std[0]) < 1e-9, `${std}`);
    });

    test('validation split: 55,000 / 5,000 / 10,000, determined by its seed', { skip }, async () => {
      const ds = await load(name);
      const a = splitDataset(ds);
      assert.equal(a.train.count, 55000);
      assert.equal(a.validation.count, 5000);
      assert.equal(a.test.count, 10000);
      assert.deepEqual(
        histogram(a.train.labels).map((n, i) => n + histogram(a.validation.labels)[i]),
        facts.trainHistogram,
      );
      const b = splitDataset(ds, { seed: 0 });
      const c = splitDataset(ds, { seed: 1 });
      assert.equal(md5(a.validation.images), md5(b.validation.images));
      assert.notEqual(md5(a.validation.images), md5(c.validation.images));
      assert.equal(splitDataset(ds, { validationSize: 10000 }).train.count, 50000);
    });
  });
}

test('loading MNIST (train + test, md5-verified) takes under 1 s', { skip }, async (t) => {
  const times: number[] = [];
  for (let i = 0; i < 2; i++) {
    const t0 = performance.now();
    const ds = await loadDataset('mnist', { dataDir: DATA, download: false });
    times.push(performance.now() - t0);
    assert.equal(ds.train.count, 60000);
  }
  const t0 = performance.now();
  await loadDataset('mnist', { dataDir: DATA, download: false, verify: false });
  const unverified = performance.now() - t0;
  t.diagnostic(
    `MNIST load: ${times.map((x) => x.toFixed(0)).join(' ms, ')} ms verified; ${unverified.toFixed(0)} ms without md5`,
  );
  assert.ok(Math.min(...times) < 1000, `MNIST load took ${Math.min(...times).toFixed(0)} ms`);
});

test('filling a batch of 60 real MNIST images takes < 75 µs', { skip }, async (t) => {
  const { train } = splitDataset(await load('mnist'));
  const s = new BatchSampler(train, {
    batchSize: 60,
    seed: 1,
    normalization: 'standardize',
    dataset: 'mnist',
  });
  for (let i = 0; i < 2000; i++) s.next();
  const rounds: number[] = [];
  for (let r = 0; r < 15; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 100; i++) s.next();
    rounds.push(Number(process.hrtime.bigint() - t0) / 100 / 1000);
  }
  rounds.sort((p, q) => p - q);
  t.diagnostic(
    `batch fill: best round ${rounds[0].toFixed(1)} µs, median round ${rounds[7].toFixed(1)} µs per batch`,
  );
  assert.ok(rounds[0] < 75, `batch fill ${rounds[0].toFixed(1)} µs`);
});
