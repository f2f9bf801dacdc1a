/**
 * The sparse MLP step (compaction + CSR WebAssembly kernels) against the dense engine: same loss,
 * gradients, weights after several steps and evaluation, to float32 rounding, on random masks at
 * several densities with empty rows and columns; the mapping back into full-size arrays is exact.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compactMlp,
  expandWeight,
  compactWeight,
  foldedInference,
  mlpLayers,
} from '../src/engine/compact.js';
import { TrainingEngine } from '../src/engine/engine.js';
import * as op from '../src/graph/ops.js';
import { dense } from '../src/models/layers.js';
import { MODELS } from '../src/models/zoo.js';
import type { Model } from '../src/models/types.js';
import type { OptimizerSpec } from '../src/spec/optimizer.js';
import { Rng } from '../src/util/rng.js';
import { blobs, mlp } from './helpers/blobs.js';

/** 16-24-12-4 with ReLU: two hidden layers, so units die on both sides. */
const deep: Model = {
  name: 'deep',
  inputShape: [16],
  classes: 4,
  forward(ctx, x) {
    let h = op.relu(dense(ctx, 'fc1', x, 24));
    h = op.relu(dense(ctx, 'fc2', h, 12));
    return dense(ctx, 'fc3', h, 4, { layerKind: 'output' });
  },
};

/** Random masks keeping about `density`, with some whole rows and columns emptied. */
function randomMasks(engine: TrainingEngine, density: number, seed: number): Map<string, Uint8Array> {
  const rng = new Rng(seed);
  const out = new Map<string, Uint8Array>();
  for (const p of engine.params.filter((q) => engine.maskedParams.includes(q.name))) {
    const [rows, cols] = p.shape;
    const m = Uint8Array.from({ length: rows * cols }, () => (rng.float() < density ? 1 : 0));
    const deadRow = rng.int(rows);
    const deadCol = rng.int(cols);
    for (let i = 0; i < cols; i++) m[deadRow * cols + i] = 0;
    for (let j = 0; j < rows; j++) m[j * cols + deadCol] = 0;
    out.set(p.name, m);
  }
  return out;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

async function pair(model: Model, optimizer: OptimizerSpec, density: number, seed: number) {
  const make = (sparse: boolean) =>
    TrainingEngine.create(model, {
      batchSize: 20,
      optimizer,
      threads: 1,
      sparseKernelsBelow: sparse ? 1.01 : 0,
    });
  const [a, b] = [await make(false), await make(true)];
  for (const e of [a, b]) {
    e.initialize(seed);
    await e.setMasks(randomMasks(e, density, seed + 1));
  }
  return { dense: a, sparse: b };
}

test('mlpLayers recognises MLPs only', () => {
  assert.deepEqual(
    mlpLayers(MODELS.lenet300.create())?.map((l) => [l.weight, l.inFeatures, l.outFeatures, l.relu]),
    [
      ['fc1.weight', 784, 300, true],
      ['fc2.weight', 300, 100, true],
      ['fc3.weight', 100, 10, false],
    ],
  );
  assert.equal(mlpLayers(MODELS.lenet5.create()), null);
  assert.equal(mlpLayers(MODELS.conv2.create({ inputShape: [3, 32, 32] })), null);
});

test('compaction keeps exactly the units with a kept path to the output; mapping back is exact', () => {
  const layers = mlpLayers(deep)!;
  const rng = new Rng(5);
  for (let trial = 0; trial < 30; trial++) {
    const density = [0.02, 0.1, 0.3][trial % 3];
    const masks = new Map(
      layers.map((l) => [
        l.weight,
        Uint8Array.from({ length: l.inFeatures * l.outFeatures }, () => (rng.float() < density ? 1 : 0)),
      ]),
    );
    const c = compactMlp(layers, masks);
    // a kept hidden unit of layer l has a kept weight to a kept unit of layer l+1, and vice versa
    for (let l = 0; l < layers.length - 1; l++) {
      const next = layers[l + 1];
      const m = masks.get(next.weight)!;
      for (let j = 0; j < layers[l].outFeatures; j++) {
        const used = [...c.units[l + 1]].some((k) => m[k * next.inFeatures + j] === 1);
        assert.equal(c.units[l].includes(j), used, `trial ${trial} layer ${l} unit ${j}`);
      }
    }
    // compact → expand into a copy reproduces the full weight bit for bit
    for (let l = 0; l < layers.length; l++) {
      const full = Float32Array.from({ length: layers[l].inFeatures * layers[l].outFeatures }, () =>
        rng.normal(),
      );
      const copy = Float32Array.from(full);
      expandWeight(
        c,
        l,
        compactWeight(c, l, full).map((v) => v),
        copy,
      );
      assert.deepEqual(copy, full);
    }
  }
});

test('folded inference network computes the full network exactly (to rounding)', () => {
  const layers = mlpLayers(deep)!;
  const rng = new Rng(9);
  const masks = new Map(
    layers.map((l) => [
      l.weight,
      Uint8Array.from({ length: l.inFeatures * l.outFeatures }, () => (rng.float() < 0.15 ? 1 : 0)),
    ]),
  );
  const weights = new Map<string, Float32Array>();
  for (const l of layers) {
    const m = masks.get(l.weight)!;
    weights.set(
      l.weight,
      Float32Array.from(m, (k) => (k ? rng.normal() : 0)),
    );
    weights.set(
      l.bias!,
      Float32Array.from({ length: l.outFeatures }, () => rng.normal()),
    );
  }
  const folded = foldedInference(compactMlp(layers, masks), weights, masks);
  for (let trial = 0; trial < 5; trial++) {
    const x = Float64Array.from({ length: 16 }, () => rng.normal());
    let full: number[] = [...x];
    let small: number[] = [...folded.inputs].map((i) => x[i]);
    layers.forEach((l, k) => {
      const W = weights.get(l.weight)!;
      const b = weights.get(l.bias!)!;
      full = Array.from({ length: l.outFeatures }, (_, j) => {
        let s = b[j];
        for (let i = 0; i < l.inFeatures; i++) s += W[j * l.inFeatures + i] * full[i];
        return l.relu ? Math.max(0, s) : s;
      });
      const f = folded.layers[k];
      const n = small.length;
      small = Array.from(f.rows, (_, r) => {
        let s = f.bias[r];
        for (let i = 0; i < n; i++) s += f.weight[r * n + i] * small[i];
        return l.relu ? Math.max(0, s) : s;
      });
    });
    full.forEach((v, i) => assert.ok(Math.abs(v - small[i]) < 1e-5, `logit ${i}: ${v} vs ${small[i]}`));
  }
});

test('sparse step = dense step: loss, gradients (SGD, lr 1) and weights, at several densities', async () => {
  const { x, y } = blobs(20, 3);
  for (const density of [0.05, 0.25, 0.6]) {
    const { dense: a, sparse: b } = await pair(deep, { kind: 'sgd' }, density, 11);
    assert.ok(b.sparseKernels, 'sparse kernels active');
    const before = a.getWeights();
    assert.deepEqual(b.getWeights(), before, 'same start');
    for (const e of [a, b]) {
      e.inputBuffer.set(x);
      e.labelBuffer.set(y);
    }
    const [ra, rb] = [await a.step(1), await b.step(1)];
    assert.ok(Math.abs(ra.loss - rb.loss) < 1e-5, `loss ${ra.loss} vs ${rb.loss}`);
    assert.equal(ra.correct, rb.correct);
    const [wa, wb] = [a.getWeights(), b.getWeights()];
    for (const [name, w0] of before) {
      const ga = w0.map((v, i) => v - wa.get(name)![i]);
      const gb = w0.map((v, i) => v - wb.get(name)![i]);
      assert.ok(maxDiff(ga, gb) < 2e-6, `${name} gradient at density ${density}: ${maxDiff(ga, gb)}`);
    }
    assert.deepEqual(b.getMasks(), a.getMasks());
    await a.release();
    await b.release();
  }
});

test('sparse Adam training follows the dense engine for 30 steps; evaluation agrees; state maps back', async () => {
  const data = blobs(200, 4);
  for (const density of [0.1, 0.4]) {
    const { dense: a, sparse: b } = await pair(mlp, { kind: 'adam' }, density, 21);
    for (let s = 0; s < 30; s++) {
      for (const e of [a, b]) {
        e.inputBuffer.set(data.x.subarray((s % 10) * 20 * 16, ((s % 10) + 1) * 20 * 16));
        e.labelBuffer.set(data.y.subarray((s % 10) * 20, ((s % 10) + 1) * 20));
        await e.step(1e-2);
      }
    }
    for (const [name, w] of a.getWeights()) assert.ok(maxDiff(w, b.getWeights().get(name)!) < 1e-4, name);
    const [ea, eb] = [await a.evaluate(data.x, data.y, 200), await b.evaluate(data.x, data.y, 200)];
    assert.ok(Math.abs(ea.loss - eb.loss) < 1e-5);
    assert.equal(ea.correct, eb.correct);
    // pruned weights never moved; the optimizer state of pruned entries stays 0
    const state = b.getState();
    const mask = state.tensors.get('mask')!;
    const m = state.tensors.get('adam_m')!;
    mask.forEach((k, i) => k === 0 && assert.equal(m[i], 0));
    // a checkpoint of the sparse engine continues exactly like the engine itself
    const c = await TrainingEngine.create(mlp, {
      batchSize: 20,
      optimizer: { kind: 'adam' },
      threads: 1,
      sparseKernelsBelow: 1.01,
    });
    await c.setState(state);
    assert.deepEqual(c.getWeights(), b.getWeights());
    for (const e of [b, c]) {
      e.inputBuffer.set(data.x.subarray(0, 320));
      e.labelBuffer.set(data.y.subarray(0, 20));
      await e.step(1e-2);
    }
    assert.deepEqual(c.getWeights(), b.getWeights());
    for (const e of [a, b, c]) await e.release();
  }
});

test('the sparse step counts work in proportion to the kept weights', async () => {
  const engine = await TrainingEngine.create(MODELS.lenet300.create(), {
    batchSize: 60,
    optimizer: { kind: 'adam' },
    threads: 1,
    sparseKernelsBelow: 0.5,
  });
  engine.initialize(0);
  assert.equal(engine.sparseKernels, null, 'dense: the onnxruntime step');
  const work: number[] = [];
  for (const density of [0.2, 0.05]) {
    await engine.setMasks(randomMasks(engine, density, 3));
    work.push(engine.sparseKernels!.macsPerStep);
  }
  const ratio = work[1] / work[0];
  // at most a quarter: 4x fewer kept weights, and fewer surviving units (compaction) on top
  assert.ok(ratio > 0 && ratio <= 0.25, `work ratio ${ratio}`);
  await engine.release();
});
