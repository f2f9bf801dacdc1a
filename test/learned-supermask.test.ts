/**
 * Learned supermasks (Zhou et al. 2019, §5): the Bernoulli straight-through op against hand values
 * and the hand formula of its gradient (float64), the supermask layer's score gradient with dynamic
 * rescaling against the hand formula (float32, as training runs it), and on a small synthetic task:
 * a learned mask beats a random mask of the same per-layer sizes on the same frozen weights, results
 * are identical run to run, and the evaluation graph's mask agrees with the masks applied by hand.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph } from '../src/graph/graph.js';
import { gradients } from '../src/graph/autodiff.js';
import { bernoulliStraightThrough, mul, reduceSum, sigmoid } from '../src/graph/ops.js';
import { BuildContext } from '../src/engine/step-graph.js';
import { dense } from '../src/models/layers.js';
import type { Model } from '../src/models/types.js';
import { scoreName, supermaskModel } from '../src/models/supermask.js';
import {
  SUPERMASK_DEFAULTS,
  type SupermaskCheckpointing,
  type SupermaskResult,
  maskedWeights,
  trainLearnedSupermask,
} from '../src/experiments/learned-supermask.js';
import { Rng } from '../src/util/rng.js';
import type { ImageSet, LoadedDataset } from '../src/data/index.js';
import { TrainingEngine } from '../src/engine/engine.js';
import { isPrunable } from '../src/lottery/config.js';
import { resolveConfig } from '../src/lottery/resolve.js';
import { MODELS } from '../src/models/zoo.js';
import { prepareData } from '../src/train/data.js';
import { runGraph as run } from './helpers/run-graph.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTrainCheckpoint, saveTrainCheckpoint } from '../src/train/checkpoint.js';

const sig = (s: number) => 1 / (1 + Math.exp(-s));

describe('bernoulliStraightThrough', () => {
  test('samples [u < p] and passes the gradient of the sample to p: ∂L/∂s = c·w·σ(s)(1 − σ(s))', async () => {
    const s = [-2, -0.5, 0, 0.3, 1.5, 4];
    const u = [0.05, 0.5, 0.4, 0.6, 0.9, 0.5];
    const w = [0.7, -1.2, 2, 0.4, -0.3, 1.1];
    const c = [1.5, -0.25, 0.75, -2, 1, 0.5];
    const g = new Graph('ste');
    const sIn = g.input('s', [6], 'float64');
    const uIn = g.input('u', [6], 'float64');
    const m = bernoulliStraightThrough(sigmoid(sIn), uIn);
    const weights = g.constant(Float64Array.from(w), [6], 'float64');
    const coeffs = g.constant(Float64Array.from(c), [6], 'float64');
    const loss = reduceSum(mul(mul(weights, m), coeffs));
    const [grad] = gradients(loss, [sIn]);
    const [mask, ds] = (await run(g, [sIn, uIn], [m, grad], {
      s: Float64Array.from(s),
      u: Float64Array.from(u),
    })) as Float64Array[];
    assert.deepEqual([...mask], [1, 0, 1, 0, 0, 1]); // σ(s) = .12 .38 .5 .57 .82 .98 against u
    s.forEach((v, i) => {
      const expected = c[i] * w[i] * sig(v) * (1 - sig(v));
      assert.ok(Math.abs(ds[i] - expected) < 1e-15, `entry ${i}: ${ds[i]} vs ${expected}`);
    });
  });

  test('the sample is 1 exactly where u < p, for many draws', async () => {
    const n = 1000;
    const rng = new Rng(3);
    const p = Float64Array.from({ length: n }, () => rng.float());
    const u = Float64Array.from({ length: n }, () => rng.float());
    const g = new Graph('sample');
    const pIn = g.input('p', [n], 'float64');
    const uIn = g.input('u', [n], 'float64');
    const [mask] = (await run(g, [pIn, uIn], [bernoulliStraightThrough(pIn, uIn)], {
      p,
      u,
    })) as Float64Array[];
    for (let i = 0; i < n; i++) assert.equal(mask[i], u[i] < p[i] ? 1 : 0);
  });

  test('refuses noise of another shape', () => {
    const g = new Graph('bad');
    assert.throws(
      () => bernoulliStraightThrough(g.input('p', [3], 'float64'), g.input('u', [4], 'float64')),
      /noise \[4\] does not match probabilities \[3\]/,
    );
  });
});

/** y = x·Wᵀ, W [2, 3], no bias. */
const linear: Model = {
  name: 'linear',
  inputShape: [3],
  classes: 2,
  forward: (ctx, x) => dense(ctx, 'fc', x, 2, { bias: false, layerKind: 'output' }),
};

test('supermask layer with rescaling: the score gradient is the hand formula through m·n/Σm', async () => {
  const W = Float32Array.from([0.5, -1, 2, 1.5, -0.25, 0.75]);
  const s = Float32Array.from([0.2, -0.4, 1, -1.5, 0.1, 0.6]);
  const u = Float32Array.from([0.3, 0.2, 0.9, 0.1, 0.7, 0.4]);
  const x = Float32Array.from([1, -2, 0.5, 0.25, 1, -1]); // batch 2
  const c = Float32Array.from([1, -0.5, 2, 0.25]); // loss = Σ c ⊙ y
  const model = supermaskModel(linear, {
    frozen: new Map([['fc.weight', W]]),
    masked: () => true,
    scoreInit: 0,
    rescale: true,
  });
  const g = new Graph('supermask-layer');
  const ctx = new BuildContext(g, true);
  const xIn = g.input('x', [2, 3]);
  const y = model.forward(ctx, xIn);
  const loss = reduceSum(mul(y, g.constant(c, [2, 2], 'float32')));
  const score = ctx.params[0].tensor;
  assert.equal(ctx.params[0].decl.name, scoreName('fc.weight'));
  const noise = ctx.dropouts[0].tensor;
  const [grad] = gradients(loss, [score]);
  const [ds] = (await run(g, [xIn, score, noise], [grad], {
    x,
    [score.name]: s,
    [noise.name]: u,
  })) as Float32Array[];
  // by hand: m = [u < σ(s)], n = 6, k = Σm; y_bi = Σ_j x_bj W_ij m_ij n/k
  const m: number[] = [...s].map((v, i) => (u[i] < sig(v) ? 1 : 0));
  const k = m.reduce((a, b) => a + b, 0);
  const a = [0, 1, 2, 3, 4, 5].map((idx) => {
    const [i, j] = [Math.floor(idx / 3), idx % 3];
    return c[i] * x[j] + c[2 + i] * x[3 + j]; // Σ_b c_bi x_bj
  });
  const dot = a.reduce((acc, ai, idx) => acc + ai * W[idx] * m[idx], 0);
  for (let idx = 0; idx < 6; idx++) {
    const dm = (a[idx] * W[idx] * 6) / k - (6 / (k * k)) * dot;
    const expected = dm * sig(s[idx]) * (1 - sig(s[idx]));
    assert.ok(Math.abs(ds[idx] - expected) < 1e-5, `entry ${idx}: ${ds[idx]} vs ${expected}`);
  }
});

/**
 * A learnable MNIST-shaped task: each class a random template of bright pixels (a fifth of them),
 * each image its class's template with a tenth of its pixels flipped.
 */
function templateSet(count: number, seed: number): ImageSet {
  const templateRng = new Rng(77);
  const templates = Array.from({ length: 10 }, () =>
    Uint8Array.from({ length: 784 }, () => (templateRng.float() < 0.2 ? 255 : 0)),
  );
  const rng = new Rng(seed);
  const images = new Uint8Array(count * 784);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 10;
    for (let p = 0; p < 784; p++) {
      const v = templates[labels[i]][p];
      images[i * 784 + p] = rng.float() < 0.1 ? 255 - v : v;
    }
  }
  return { images, labels, count, channels: 1, height: 28, width: 28 };
}

describe('learned supermask on a small synthetic task (LeNet-300-100)', () => {
  const config = resolveConfig({
    model: 'lenet300',
    dataset: 'mnist',
    optimizer: 'sgd',
    momentum: 0.9,
    learningRate: 50,
    batchSize: 50,
    iterations: 40,
    evalEvery: 20,
    validationSize: 200,
  });
  const loaded = {
    name: 'mnist',
    train: templateSet(1000, 1),
    test: templateSet(300, 2),
    classes: 10,
    source: 'synthetic (made by the test)',
  } as LoadedDataset;
  const learn = async (checkpointing?: SupermaskCheckpointing): Promise<SupermaskResult> => {
    const data = await prepareData('mnist', { ...config, trainEvalSize: 0 }, loaded);
    const engine = await TrainingEngine.create(MODELS.lenet300.create({ inputShape: config.inputShape }), {
      batchSize: config.batchSize,
      optimizer: config.optimizer,
      threads: 1,
      masked: (decl) => isPrunable(config, decl),
    });
    try {
      return await trainLearnedSupermask(config, { ...SUPERMASK_DEFAULTS, samples: 3 }, data, engine, {
        threads: 1,
        ...(checkpointing ? { checkpointing } : {}),
      });
    } finally {
      await engine.release();
    }
  };
  let first: SupermaskResult;

  test('beats a random mask of the same per-layer sizes on the same frozen weights', async () => {
    first = await learn();
    const r = first;
    if (process.env.TICKETLAB_SUPERMASK_REPORT) console.log(JSON.stringify({ ...r, curve: undefined }));
    assert.ok(
      r.testAccuracySampledMean > r.testAccuracyRandomMask + 0.3,
      `sampled ${r.testAccuracySampledMean} vs random ${r.testAccuracyRandomMask}`,
    );
    assert.ok(
      r.testAccuracyThresholded > r.testAccuracyRandomMask + 0.3,
      `thresholded ${r.testAccuracyThresholded} vs random ${r.testAccuracyRandomMask}`,
    );
    assert.equal(r.testAccuracySampled.length, 3);
    assert.ok(r.fractionKept > 0.05 && r.fractionKept < 0.95, `kept ${r.fractionKept}`);
    assert.equal(r.layers.length, 3);
    const kept = r.layers.reduce((a, l) => a + l.kept, 0) / r.layers.reduce((a, l) => a + l.total, 0);
    assert.equal(r.fractionKept, kept);
    // the evaluation graph's mask (s > 0) and the mask applied to the base network by hand agree
    assert.equal(r.curve.at(-1)!.iteration, 40);
    assert.equal(r.curve.at(-1)!.testAccuracy, r.testAccuracyThresholded);
  });

  test('is identical run to run (the noise is seeded)', async () => {
    const again = await learn();
    const strip = ({ wallSeconds: _w, ...rest }: SupermaskResult) => rest;
    assert.deepEqual(strip(again), strip(first));
  });

  test('resumed from a checkpoint on disk (scores, momentum, mask-noise step), ends identical', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ticketlab-supermask-ckpt-'));
    try {
      const saved: number[] = [];
      await learn({
        every: 15,
        save: (c) => {
          saved.push(c.iteration);
          if (c.iteration === 15) saveTrainCheckpoint(dir, c);
        },
      });
      assert.deepEqual(saved, [15, 30]);
      const checkpoint = loadTrainCheckpoint(dir)!;
      assert.equal(checkpoint.engine.step, 15);
      const resumed = await learn({ every: 0, save: () => {}, resume: checkpoint });
      const strip = ({ wallSeconds: _w, ...rest }: SupermaskResult) => rest;
      assert.deepEqual(strip(resumed), strip(first));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('maskedWeights: W⊙m, rescaled by size/Σm on request, unmasked parameters as they are', () => {
  const frozen = new Map([
    ['w', Float32Array.from([1, -2, 3, 4])],
    ['b', Float32Array.from([0.5])],
  ]);
  const masks = new Map([['w', Uint8Array.from([1, 0, 1, 0])]]);
  assert.deepEqual([...maskedWeights(frozen, masks, false).get('w')!], [1, 0, 3, 0]);
  assert.deepEqual([...maskedWeights(frozen, masks, true).get('w')!], [2, 0, 6, 0]);
  assert.deepEqual([...maskedWeights(frozen, masks, true).get('b')!], [0.5]);
});
