import { test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { TrainingEngine } from '../src/engine/engine.js';
import { exportInferenceModel } from '../src/engine/export.js';
import type { OptimizerSpec } from '../src/engine/optimizers.js';
import * as op from '../src/graph/ops.js';
import { batchNorm, conv, dense, dropout } from '../src/models/layers.js';
import type { Model } from '../src/models/types.js';
import { Rng } from '../src/util/rng.js';
import { blobs, halfMasks, mlp } from './helpers/blobs.js';

async function trainBlobs(engine: TrainingEngine, steps: number, lr: number, onStep?: () => void) {
  const data = blobs(400, 7);
  const batch = engine.options.batchSize;
  for (let s = 0; s < steps; s++) {
    const start = (s * batch) % 400;
    engine.inputBuffer.set(data.x.subarray(start * 16, (start + batch) * 16));
    engine.labelBuffer.set(data.y.subarray(start, start + batch));
    await engine.step(lr);
    onStep?.();
  }
  const test = blobs(400, 8);
  return engine.evaluate(test.x, test.y, 400);
}

const optimizers: [string, OptimizerSpec, number][] = [
  ['sgd', { kind: 'sgd' }, 0.1],
  ['sgd+momentum', { kind: 'sgd', momentum: 0.9 }, 0.02],
  ['sgd+nesterov+wd', { kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 1e-4 }, 0.02],
  ['adam', { kind: 'adam' }, 0.01],
  ['adam+wd', { kind: 'adam', weightDecay: 1e-4 }, 0.01],
];

const updateModes = [
  { label: 'dense fused update', sparseBelow: 0, update: 'fused' },
  { label: 'dense update in the graph', sparseBelow: 0, update: 'graph' },
  { label: 'sparse update', sparseBelow: 1, update: 'fused' },
] as const;

for (const [name, optimizer, lr] of optimizers) {
  for (const { label: mode, sparseBelow, update } of updateModes) {
    test(`${name} (${mode}) learns the synthetic task with masked weights exactly 0 at every step`, async () => {
      const engine = await TrainingEngine.create(mlp, {
        batchSize: 20,
        optimizer,
        threads: 1,
        sparseBelow,
        update,
      });
      engine.initialize(3);
      const masks = halfMasks(engine, 11);
      await engine.setMasks(masks);
      assert.equal(engine.sparseUpdate, sparseBelow === 1);
      const checkMasked = () => {
        for (const [pname, mask] of masks) {
          const w = engine.getParam(pname);
          for (let i = 0; i < mask.length; i++)
            if (!mask[i]) assert.equal(w[i], 0, `${pname}[${i}] is masked but nonzero`);
        }
      };
      checkMasked();
      const result = await trainBlobs(engine, 150, lr, checkMasked);
      assert.ok(result.accuracy > 0.95, `test accuracy ${result.accuracy}`);
      // masked optimizer state is exactly zero too
      const state = engine.getState();
      const offsets = new Map<string, number>();
      let offset = 0;
      for (const p of engine.params) {
        offsets.set(p.name, offset);
        offset += p.shape.reduce((a, b) => a * b, 1);
      }
      for (const [key, data] of state.tensors) {
        if (!['adam_m', 'adam_v', 'momentum_buffer'].includes(key)) continue;
        for (const [pname, mask] of masks) {
          const base = offsets.get(pname)!;
          for (let i = 0; i < mask.length; i++)
            if (!mask[i]) assert.equal(data[base + i], 0, `${key} of ${pname}[${i}]`);
        }
      }
      await engine.release();
    });
  }
}

for (const [name, optimizer, lr] of optimizers) {
  test(`${name}: the fused update gives bit-identical weights and state to the update in the graph`, async () => {
    const runs: Map<string, Float32Array>[] = [];
    for (const update of ['fused', 'graph'] as const) {
      const engine = await TrainingEngine.create(mlp, { batchSize: 20, optimizer, threads: 1, update });
      engine.initialize(5);
      await trainBlobs(engine, 15, lr); // all weights kept
      await engine.setMasks(halfMasks(engine, 2));
      await trainBlobs(engine, 15, lr);
      runs.push(engine.getState().tensors);
      await engine.release();
    }
    for (const [key, data] of runs[1]) assert.deepEqual(runs[0].get(key), data, key);
    assert.ok(runs[0].get('theta')!.some((v) => v !== 0));
  });
}

test('the sparse update gives bit-identical weights to the dense masked update', async () => {
  const results: Float32Array[][] = [];
  for (const sparseBelow of [0, 1]) {
    const engine = await TrainingEngine.create(mlp, {
      batchSize: 20,
      optimizer: { kind: 'adam' },
      threads: 1,
      sparseBelow,
    });
    engine.initialize(5);
    await engine.setMasks(halfMasks(engine, 2));
    await trainBlobs(engine, 30, 0.01);
    results.push([...engine.getWeights().values()]);
    await engine.release();
  }
  results[0].forEach((w, i) => assert.deepEqual(w, results[1][i]));
});

test('how parameters are grouped into graph inputs and updates changes no result (dense and sparse updates)', async () => {
  // segmentFrom: undefined keeps this small net's parameters in one θ input, 1 gives each its own, and
  // 200 gives fc1.weight (512 entries) its own input while the three small ones share one;
  // updateChunk 100 updates fc1.weight in 5 chunks (and the shared segment of 164 in one)
  // (the update in the graph is where segments and chunks matter most)
  const layouts = [
    {},
    { segmentFrom: 1 },
    { segmentFrom: 1, update: 'graph' },
    { segmentFrom: 200, update: 'graph' },
    { segmentFrom: 200, updateChunk: 100, update: 'graph' },
  ] as const;
  const runs: { label: string; weights: Float32Array[]; state: Map<string, Float32Array> }[] = [];
  for (const layout of layouts) {
    for (const sparseBelow of [0, 1]) {
      const engine = await TrainingEngine.create(mlp, {
        batchSize: 20,
        optimizer: { kind: 'adam' },
        threads: 1,
        sparseBelow,
        ...layout,
      });
      engine.initialize(5);
      const masks = halfMasks(engine, 2);
      await engine.setMasks(masks);
      await trainBlobs(engine, 30, 0.01);
      for (const [pname, mask] of masks) {
        const w = engine.getParam(pname);
        mask.forEach((m, i) => assert.ok(m || w[i] === 0, `${pname}[${i}] is masked but nonzero`));
      }
      runs.push({
        label: `${JSON.stringify(layout)}, sparseBelow ${sparseBelow}`,
        weights: [...engine.getWeights().values()],
        state: engine.getState().tensors,
      });
      await engine.release();
    }
  }
  for (const run of runs.slice(1)) {
    run.weights.forEach((w, i) => assert.deepEqual(w, runs[0].weights[i], run.label));
    for (const [name, data] of runs[0].state)
      assert.deepEqual(run.state.get(name), data, `${run.label}: ${name}`);
  }
});

test('a fully pruned layer in its own segment: sparse and dense updates agree, the layer stays 0', async () => {
  const results: Float32Array[][] = [];
  for (const sparseBelow of [0, 1]) {
    const engine = await TrainingEngine.create(mlp, {
      batchSize: 20,
      optimizer: { kind: 'adam' },
      threads: 1,
      sparseBelow,
      segmentFrom: 1,
    });
    engine.initialize(6);
    const masks = halfMasks(engine, 3);
    masks.set('fc2.weight', new Uint8Array(masks.get('fc2.weight')!.length));
    await engine.setMasks(masks);
    assert.equal(engine.sparseUpdate, sparseBelow === 1);
    await trainBlobs(engine, 10, 0.01);
    assert.ok(engine.getParam('fc2.weight').every((v) => v === 0));
    results.push([...engine.getWeights().values()]);
    await engine.release();
  }
  results[0].forEach((w, i) => assert.deepEqual(w, results[1][i]));
});

test('Adam with learning rate 0 leaves the weights exactly unchanged', async () => {
  const engine = await TrainingEngine.create(mlp, { batchSize: 20, optimizer: { kind: 'adam' }, threads: 1 });
  engine.initialize(8);
  await engine.setMasks(halfMasks(engine, 4));
  const before = [...engine.getWeights().values()];
  await trainBlobs(engine, 3, 0);
  [...engine.getWeights().values()].forEach((w, i) => assert.deepEqual(w, before[i]));
  await engine.release();
});

test('one Adam step matches a hand-computed reference (softmax regression)', async () => {
  const model: Model = {
    name: 'softmax_regression',
    inputShape: [3],
    classes: 2,
    forward: (ctx, x) => dense(ctx, 'fc', x, 2, { layerKind: 'output' }),
  };
  const engine = await TrainingEngine.create(model, {
    batchSize: 2,
    optimizer: { kind: 'adam' },
    threads: 1,
  });
  engine.initialize(1);
  const w = Float64Array.from(engine.getParam('fc.weight'));
  const b = Float64Array.from(engine.getParam('fc.bias'));
  const x = [0.5, -1, 2, 1.5, 0.25, -0.5];
  const y = [1, 0];
  engine.inputBuffer.set(x);
  engine.labelBuffer.set(y);
  const lr = 0.1;
  const result = await engine.step(lr);
  // reference: logits, softmax, gradient (p - onehot)/N, then Adam's first step
  const gw = new Float64Array(6);
  const gb = new Float64Array(2);
  let loss = 0;
  for (let n = 0; n < 2; n++) {
    const logits = [0, 1].map((k) => b[k] + [0, 1, 2].reduce((s, d) => s + w[k * 3 + d] * x[n * 3 + d], 0));
    const m = Math.max(...logits);
    const z = logits.reduce((s, l) => s + Math.exp(l - m), 0);
    const p = logits.map((l) => Math.exp(l - m) / z);
    loss -= Math.log(p[y[n]]) / 2;
    for (let k = 0; k < 2; k++) {
      const d = (p[k] - (y[n] === k ? 1 : 0)) / 2;
      gb[k] += d;
      for (let j = 0; j < 3; j++) gw[k * 3 + j] += d * x[n * 3 + j];
    }
  }
  assert.ok(Math.abs(result.loss - loss) < 1e-6, `loss ${result.loss} vs ${loss}`);
  const adam = (p: number, g: number) => {
    const m = 0.1 * g;
    const v = 0.001 * g * g;
    return p - (lr / 0.1) * (m / (Math.sqrt(v) / Math.sqrt(0.001) + 1e-8));
  };
  const w1 = engine.getParam('fc.weight');
  const b1 = engine.getParam('fc.bias');
  w.forEach((p, i) => assert.ok(Math.abs(w1[i] - adam(p, gw[i])) < 1e-6, `w[${i}]`));
  b.forEach((p, i) => assert.ok(Math.abs(b1[i] - adam(p, gb[i])) < 1e-6, `b[${i}]`));
  await engine.release();
});

test('same seed and inputs give bit-identical weights; a different seed differs', async () => {
  const run = async (seed: number) => {
    const engine = await TrainingEngine.create(mlp, { batchSize: 20, optimizer: { kind: 'adam' } });
    engine.initialize(seed);
    await trainBlobs(engine, 25, 0.01);
    const weights = [...engine.getWeights().values()];
    await engine.release();
    return weights;
  };
  const a = await run(42);
  const b = await run(42);
  const c = await run(43);
  a.forEach((w, i) => assert.deepEqual(w, b[i]));
  assert.notDeepEqual(a[0], c[0]);
});

const convNet: Model = {
  name: 'small_conv',
  inputShape: [1, 8, 8],
  classes: 4,
  forward(ctx, x) {
    let h = op.relu(batchNorm(ctx, 'bn1', conv(ctx, 'conv1', x, 4, 3, { padding: 'same' })));
    h = op.maxPool2d(h, { kernel: 2 });
    h = dropout(ctx, 'drop', op.flatten(h), 0.25);
    return dense(ctx, 'fc', h, 4, { layerKind: 'output' });
  },
};

for (const layout of [{}, { segmentFrom: 1, updateChunk: 10, update: 'graph' as const }]) {
  test(`a checkpointed state resumes bit-identically (conv net with BatchNorm and dropout, ${JSON.stringify(layout)})`, async () => {
    const rng = new Rng(9);
    const batches = Array.from({ length: 12 }, () => ({
      x: Float32Array.from({ length: 10 * 64 }, () => rng.normal()),
      y: Int32Array.from({ length: 10 }, () => rng.int(4)),
    }));
    const make = async () => {
      const e = await TrainingEngine.create(convNet, {
        batchSize: 10,
        optimizer: { kind: 'sgd', momentum: 0.9 },
        ...layout,
      });
      e.initialize(4);
      await e.setMasks(halfMasks(e, 3));
      return e;
    };
    const feed = async (e: TrainingEngine, from: number, to: number) => {
      for (let i = from; i < to; i++) {
        e.inputBuffer.set(batches[i].x);
        e.labelBuffer.set(batches[i].y);
        await e.step(0.05);
      }
    };
    const straight = await make();
    await feed(straight, 0, 12);
    const first = await make();
    await feed(first, 0, 5);
    const saved = first.getState();
    const resumed = await make();
    resumed.initialize(99); // different weights, to prove the checkpoint replaces them
    await resumed.setState(saved, 4);
    await feed(resumed, 5, 12);
    const a = straight.getState();
    const b = resumed.getState();
    assert.equal(a.step, b.step);
    for (const [name, data] of a.tensors) assert.deepEqual(b.tensors.get(name), data, name);
    for (const e of [straight, first, resumed]) await e.release();
  });
}

test('exported ONNX model reproduces the engine forward pass, at any batch size', async () => {
  const engine = await TrainingEngine.create(convNet, { batchSize: 10, optimizer: { kind: 'adam' } });
  engine.initialize(6);
  await engine.setMasks(halfMasks(engine, 1));
  const rng = new Rng(2);
  for (let i = 0; i < 5; i++) {
    engine.inputBuffer.set(Float32Array.from({ length: 640 }, () => rng.normal()));
    engine.labelBuffer.set(Int32Array.from({ length: 10 }, () => rng.int(4)));
    await engine.step(0.01);
  }
  const bytes = exportInferenceModel(engine, { sparsity: 0.5 });
  const session = await ort.InferenceSession.create(bytes);
  assert.deepEqual(session.inputNames, ['input']);
  assert.deepEqual(session.outputNames, ['logits']);
  for (const batch of [1, 7]) {
    const x = Float32Array.from({ length: batch * 64 }, () => rng.normal());
    const expected = await engine.predict(x, batch);
    const out = await session.run({ input: new ort.Tensor('float32', x, [batch, 1, 8, 8]) });
    const got = out.logits.data as Float32Array;
    assert.equal(got.length, expected.length);
    got.forEach((v, i) =>
      assert.ok(Math.abs(v - expected[i]) <= 1e-5 * (1 + Math.abs(expected[i])), `logit ${i}`),
    );
  }
  await session.release();
  await engine.release();
});
