// Splits, normalization, batching and augmentation on synthetic sets.
import { TrainingEngine } from '../src/engine/engine.js';
import { MODELS } from '../src/models/zoo.js';
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  BatchSampler,
  DEFAULT_VALIDATION_SIZE,
  MNIST,
  CIFAR10,
  fillCropFlip,
  drawCropFlip,
  normalizationTable,
  splitDataset,
  toFloat,
  type ImageSet,
  type LoadedDataset,
} from '../src/data/index.js';
import { syntheticSet } from './helpers/datasets.js';
import { Rng } from '../src/util/rng.js';
import { UserError } from '../src/util/errors.js';

const MNIST_SHAPE = { channels: 1, height: 28, width: 28 };
const CIFAR_SHAPE = { channels: 3, height: 32, width: 32 };

function fakeDataset(train: number, test: number): LoadedDataset {
  return {
    name: 'mnist',
    train: syntheticSet(train, MNIST_SHAPE, 11),
    test: syntheticSet(test, MNIST_SHAPE, 12),
    classes: 10,
    source: '/nowhere',
  };
}

/** A set whose image i has first pixel i (so batches can be traced back to examples). */
function indexedSet(count: number, shape = MNIST_SHAPE): ImageSet {
  const set = syntheticSet(count, shape, 5);
  const per = shape.channels * shape.height * shape.width;
  for (let i = 0; i < count; i++) set.images[i * per] = i;
  return set;
}

function firstPixels(s: BatchSampler, per: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < s.batchSize; b++) out.push(Math.round(s.x[b * per] * 255));
  return out;
}

describe('splits', () => {
  test('5,000 validation examples by default, disjoint from training, test set untouched', () => {
    const ds = fakeDataset(6000, 100);
    const s = splitDataset(ds);
    assert.equal(DEFAULT_VALIDATION_SIZE, 5000);
    assert.equal(s.validation.count, 5000);
    assert.equal(s.train.count, 1000);
    assert.equal(s.test, ds.test);
    // every training example ends up in exactly one of the two
    const key = (set: ImageSet, i: number) =>
      Buffer.from(set.images.subarray(i * 784, i * 784 + 32)).toString('hex');
    const all = new Set(Array.from({ length: ds.train.count }, (_, i) => key(ds.train, i)));
    const seen = new Set<string>();
    for (const part of [s.train, s.validation]) {
      for (let i = 0; i < part.count; i++) {
        const k = key(part, i);
        assert.ok(all.has(k));
        assert.ok(!seen.has(k), 'no example in both');
        seen.add(k);
      }
    }
    assert.equal(seen.size, ds.train.count);
  });

  test('the split is determined by its seed alone', () => {
    const ds = fakeDataset(3000, 10);
    const a = splitDataset(ds, { validationSize: 500, seed: 7 });
    const b = splitDataset(ds, { validationSize: 500, seed: 7 });
    const c = splitDataset(ds, { validationSize: 500, seed: 8 });
    assert.deepEqual(Buffer.from(a.validation.images), Buffer.from(b.validation.images));
    assert.deepEqual([...a.train.labels], [...b.train.labels]);
    assert.notDeepEqual(Buffer.from(a.validation.images), Buffer.from(c.validation.images));
    assert.equal(a.train.count, 2500);
  });

  test('validation size is configurable (0 allowed) and checked', () => {
    const ds = fakeDataset(100, 10);
    assert.equal(splitDataset(ds, { validationSize: 0 }).train.count, 100);
    assert.equal(splitDataset(ds, { validationSize: 30 }).validation.count, 30);
    assert.throws(() => splitDataset(ds, { validationSize: 100 }), UserError);
    assert.throws(() => splitDataset(ds, { validationSize: -1 }), UserError);
    assert.throws(() => splitDataset(ds), /validation size 5000 is not possible with 100 training examples/);
  });
});

describe('normalization', () => {
  test("'unit' maps to [0, 1]; 'standardize' uses the dataset's mean and std per channel", () => {
    const unit = normalizationTable('mnist', 'unit', 1);
    assert.equal(unit[0], 0);
    assert.equal(unit[255], 1);
    const std = normalizationTable('mnist', 'standardize', 1);
    assert.ok(Math.abs(std[0] - -MNIST.mean[0] / MNIST.std[0]) < 1e-6);
    const c = normalizationTable('cifar10', 'standardize', 3);
    assert.ok(Math.abs(c[2 * 256 + 255] - (1 - CIFAR10.mean[2]) / CIFAR10.std[2]) < 1e-6);
    assert.throws(() => normalizationTable('mnist', 'standardize', 3), RangeError);
  });

  test('toFloat converts a whole set, NCHW, with per-channel tables', () => {
    const set = syntheticSet(3, CIFAR_SHAPE, 2);
    const f = toFloat(set, 'standardize', 'cifar10');
    const t = normalizationTable('cifar10', 'standardize', 3);
    assert.equal(f.length, 3 * 3072);
    for (const i of [0, 1023, 1024, 2048 + 5, 3072 + 1024 + 7, 3 * 3072 - 1]) {
      const channel = Math.floor((i % 3072) / 1024);
      assert.equal(f[i], t[channel * 256 + set.images[i]]);
    }
    const m = syntheticSet(2, MNIST_SHAPE, 3);
    assert.equal(toFloat(m, 'unit', 'mnist')[100], Math.fround(m.images[100] / 255));
  });
});

describe('BatchSampler', () => {
  test('each epoch visits every example once, in a fresh seeded order; batches cross epoch ends', () => {
    const set = indexedSet(50);
    const s = new BatchSampler(set, { batchSize: 7, seed: 3, normalization: 'unit', dataset: 'mnist' });
    const seen: number[] = [];
    const epochs: number[] = [];
    for (let step = 0; step < 15; step++) {
      epochs.push(s.epoch);
      s.next();
      seen.push(...firstPixels(s, 784));
    }
    const e0 = seen.slice(0, 50);
    const e1 = seen.slice(50, 100);
    assert.deepEqual(
      [...e0].sort((a, b) => a - b),
      Array.from({ length: 50 }, (_, i) => i),
    );
    assert.deepEqual(
      [...e1].sort((a, b) => a - b),
      Array.from({ length: 50 }, (_, i) => i),
    );
    assert.notDeepEqual(e0, e1, 'a fresh shuffle each epoch');
    assert.equal(epochs[7], 0, 'step 7 starts at example 49 of epoch 0');
    assert.equal(epochs[8], 1);
    assert.deepEqual(s.position(), { epoch: 2, index: 5 });
    assert.deepEqual(s.positionAfter(15), { epoch: 2, index: 5 });
    // labels follow the images
    const s2 = new BatchSampler(set, { batchSize: 50, seed: 3, normalization: 'unit', dataset: 'mnist' });
    s2.next();
    firstPixels(s2, 784).forEach((idx, b) => assert.equal(s2.y[b], set.labels[idx]));
  });

  test('same seed, same batches; other seed, other batches; fixed buffers', () => {
    const set = syntheticSet(200, MNIST_SHAPE, 9);
    const mk = (seed: number) =>
      new BatchSampler(set, { batchSize: 60, seed, normalization: 'standardize', dataset: 'mnist' });
    const a = mk(1);
    const b = mk(1);
    const c = mk(2);
    const x = a.x;
    for (let i = 0; i < 5; i++) {
      a.next();
      b.next();
      c.next();
      assert.deepEqual(a.x, b.x);
      assert.deepEqual(a.y, b.y);
    }
    assert.notDeepEqual(a.y, c.y);
    assert.equal(a.x, x, 'next() fills the same array');
    assert.deepEqual(a.shape, [60, 784]);
    const nchw = new BatchSampler(set, {
      batchSize: 4,
      seed: 1,
      normalization: 'unit',
      dataset: 'mnist',
      layout: 'nchw',
    });
    assert.deepEqual(nchw.shape, [4, 1, 28, 28]);
  });

  test('the precomputed and the table paths give identical batches', () => {
    for (const [shape, dataset] of [
      [MNIST_SHAPE, 'mnist'],
      [CIFAR_SHAPE, 'cifar10'],
    ] as const) {
      const set = syntheticSet(40, shape, 4);
      const opts = { batchSize: 9, seed: 5, normalization: 'standardize', dataset } as const;
      const fast = new BatchSampler(set, { ...opts, precompute: true });
      const slow = new BatchSampler(set, { ...opts, precompute: false });
      assert.ok(fast.precomputed && !slow.precomputed);
      for (let i = 0; i < 6; i++) {
        fast.next();
        slow.next();
        assert.deepEqual(fast.x, slow.x);
        assert.deepEqual(fast.y, slow.y);
      }
    }
  });

  test('one-hot labels match the class indices', () => {
    const set = syntheticSet(30, MNIST_SHAPE, 6);
    const s = new BatchSampler(set, {
      batchSize: 8,
      seed: 1,
      normalization: 'unit',
      dataset: 'mnist',
      oneHot: true,
    });
    s.next();
    const oh = s.yOneHot!;
    assert.equal(oh.length, 80);
    for (let b = 0; b < 8; b++) {
      const row: number[] = Array.from(oh.subarray(b * 10, b * 10 + 10));
      assert.equal(row.indexOf(1), s.y[b]);
      assert.equal(
        row.reduce((p, q) => p + q, 0),
        1,
      );
    }
    assert.throws(
      () =>
        new BatchSampler(set, {
          batchSize: 8,
          seed: 1,
          normalization: 'unit',
          dataset: 'mnist',
          oneHot: true,
          classes: 3,
        }),
      RangeError,
    );
  });

  test('seek() resumes exactly where position() was taken, with and without augmentation', () => {
    for (const augment of [false, true]) {
      const set = syntheticSet(45, augment ? CIFAR_SHAPE : MNIST_SHAPE, 8);
      const opts = {
        batchSize: 10,
        seed: 21,
        normalization: 'standardize',
        dataset: augment ? 'cifar10' : 'mnist',
        augment,
      } as const;
      const a = new BatchSampler(set, opts);
      for (let i = 0; i < 7; i++) a.next();
      const pos = a.position();
      assert.deepEqual(pos, a.positionAfter(7));
      const expected: Float32Array[] = [];
      for (let i = 0; i < 6; i++) {
        a.next();
        expected.push(a.x.slice());
      }
      const b = new BatchSampler(set, opts);
      b.seek(pos);
      for (let i = 0; i < 6; i++) {
        b.next();
        assert.deepEqual(b.x, expected[i], `augment=${augment} step ${i}`);
      }
    }
  });

  test('a position taken where a batch ended exactly at the end of an epoch can be resumed', () => {
    // MNIST's 55,000 training examples in batches of 60 end an epoch exactly at iteration 11,000,
    // where a checkpoint falls with --checkpoint-every 1000
    for (const augment of [false, true]) {
      const set = syntheticSet(40, augment ? CIFAR_SHAPE : MNIST_SHAPE, 8);
      const opts = {
        batchSize: 10,
        seed: 4,
        normalization: 'standardize',
        dataset: augment ? 'cifar10' : 'mnist',
        augment,
      } as const;
      const a = new BatchSampler(set, opts);
      for (let i = 0; i < 8; i++) a.next();
      const pos = a.position();
      assert.deepEqual(pos, { epoch: 2, index: 0 });
      assert.deepEqual(pos, a.positionAfter(8));
      a.next();
      const b = new BatchSampler(set, opts);
      b.seek(pos);
      b.next();
      assert.deepEqual(b.x, a.x, `augment=${augment}`);
    }
  });

  test('bad options are rejected', () => {
    const set = syntheticSet(5, MNIST_SHAPE, 1);
    assert.throws(
      () => new BatchSampler(set, { batchSize: 0, seed: 1, normalization: 'unit', dataset: 'mnist' }),
      UserError,
    );
    const s = new BatchSampler(set, { batchSize: 2, seed: 1, normalization: 'unit', dataset: 'mnist' });
    assert.throws(() => s.seek({ epoch: 0, index: 5 }), RangeError);
  });

  test('filling a batch of 60 flat MNIST images costs under 5% of a LeNet-300-100 training step', async (t) => {
    const set = syntheticSet(55000, MNIST_SHAPE, 1);
    const s = new BatchSampler(set, {
      batchSize: 60,
      seed: 1,
      normalization: 'standardize',
      dataset: 'mnist',
    });
    for (let i = 0; i < 2000; i++) s.next();
    // the step it feeds, timed in the same process so that machine load affects both alike
    const engine = await TrainingEngine.create(MODELS.lenet300.create(), {
      batchSize: 60,
      optimizer: { kind: 'adam' },
    });
    engine.initialize(0);
    const fill: number[] = [];
    const step: number[] = [];
    for (let r = 0; r < 15; r++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < 100; i++) s.next();
      fill.push(Number(process.hrtime.bigint() - t0) / 100 / 1000);
      const t1 = process.hrtime.bigint();
      for (let i = 0; i < 10; i++) {
        engine.inputBuffer.set(s.x);
        await engine.step(1e-3);
      }
      step.push(Number(process.hrtime.bigint() - t1) / 10 / 1000);
    }
    await engine.release();
    fill.sort((p, q) => p - q);
    step.sort((p, q) => p - q);
    t.diagnostic(
      `batch fill (60 × 784, standardized): median ${fill[7].toFixed(1)} µs; LeNet-300-100 Adam step: median ${step[7].toFixed(0)} µs`,
    );
    assert.ok(
      fill[7] < 0.05 * step[7],
      `batch fill ${fill[7].toFixed(1)} µs vs step ${step[7].toFixed(0)} µs`,
    );
  });
});

describe('augmentation (CIFAR-10)', () => {
  /** Reference: pad with 4 zero pixels, crop at (4+dy, 4+dx), flip; written the slow, obvious way. */
  function reference(img: Float32Array, dx: number, dy: number, flip: boolean): Float32Array {
    const P = 4;
    const H = 32;
    const W = 32;
    const out = new Float32Array(3 * H * W);
    for (let c = 0; c < 3; c++) {
      const padded: number[][] = Array.from({ length: H + 2 * P }, () => new Array(W + 2 * P).fill(0));
      for (let r = 0; r < H; r++)
        for (let x = 0; x < W; x++) padded[r + P][x + P] = img[c * H * W + r * W + x];
      for (let r = 0; r < H; r++) {
        for (let x = 0; x < W; x++) {
          const cropped = (col: number) => padded[r + P + dy][col + P + dx];
          out[c * H * W + r * W + x] = flip ? cropped(W - 1 - x) : cropped(x);
        }
      }
    }
    return out;
  }

  test('random crop with 4-pixel zero padding and horizontal flip matches the reference', () => {
    const set = syntheticSet(1, CIFAR_SHAPE, 13);
    const table = normalizationTable('cifar10', 'standardize', 3);
    const plain = toFloat(set, 'standardize', 'cifar10');
    const out = new Float32Array(3072);
    for (const dy of [-4, -1, 0, 3, 4]) {
      for (const dx of [-4, 0, 2, 4]) {
        for (const flip of [false, true]) {
          fillCropFlip(out, 0, set.images, 0, 3, 32, 32, table, dx, dy, flip);
          assert.deepEqual(out, reference(plain, dx, dy, flip), `dx=${dx} dy=${dy} flip=${flip}`);
        }
      }
    }
    fillCropFlip(out, 0, set.images, 0, 3, 32, 32, table, 0, 0, false);
    assert.deepEqual(out, plain, 'no shift, no flip: the image itself');
  });

  test('augmented batches are seeded and reproducible, and use every shift and both flips', () => {
    const set = syntheticSet(64, CIFAR_SHAPE, 14);
    const opts = {
      batchSize: 16,
      seed: 99,
      normalization: 'standardize',
      dataset: 'cifar10',
      augment: true,
    } as const;
    const a = new BatchSampler(set, opts);
    const b = new BatchSampler(set, opts);
    const c = new BatchSampler(set, { ...opts, seed: 100 });
    for (let i = 0; i < 3; i++) {
      a.next();
      b.next();
      c.next();
      assert.deepEqual(a.x, b.x);
    }
    assert.notDeepEqual(a.x, c.x);
    const rng = new Rng(1);
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const d = drawCropFlip(rng);
      seen.add(`${d.dx},${d.dy},${d.flip}`);
    }
    assert.equal(seen.size, 9 * 9 * 2);
  });
});
