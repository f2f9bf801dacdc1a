/**
 * Exported tickets shrink with their masks: LeNet-300-100 at 3.6% remaining is at most a tenth of the
 * dense export and computes the engine's logits (max |Δ| ≤ 1e-5) in onnxruntime-node and -web; a conv
 * net (not compactable) uses sparse initializers and computes exactly the dense export's logits.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import ort from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { TrainingEngine } from '../src/engine/engine.js';
import { exportWeights } from '../src/engine/export.js';
import { exportTicket } from '../src/engine/export-ticket.js';
import type { Model } from '../src/models/types.js';
import { MODELS } from '../src/models/zoo.js';
import { pruneMasks } from '../src/prune/index.js';
import { Rng } from '../src/util/rng.js';

async function prunedEngine(model: Model, rates: Record<string, number>) {
  const engine = await TrainingEngine.create(model, {
    batchSize: 1,
    optimizer: { kind: 'adam' },
    threads: 1,
  });
  engine.initialize(0);
  const layers = engine.params
    .filter((p) => engine.maskedParams.includes(p.name))
    .map((p) => ({ name: p.name, kind: p.layerKind!, shape: p.shape }));
  await engine.setMasks(
    pruneMasks(layers, engine.getWeights(), engine.getMasks(), {
      strategy: 'magnitude',
      scope: 'layerwise',
      rates,
    }),
  );
  // biases away from 0, so constant (input-less) units fold a non-zero relu(b) into the next layer
  const weights = engine.getWeights();
  const rng = new Rng(2);
  for (const [name, w] of weights)
    if (name.endsWith('.bias')) w.forEach((_, i) => (w[i] = 0.1 * rng.normal()));
  engine.setWeights(weights);
  return engine;
}

async function logits(
  bytes: Uint8Array,
  x: Float32Array,
  shape: number[],
  web = false,
): Promise<Float32Array> {
  if (web) {
    ortWeb.env.wasm.numThreads = 1;
    const s = await ortWeb.InferenceSession.create(bytes);
    const out = await s.run({ input: new ortWeb.Tensor('float32', x, shape) });
    return out.logits.data as Float32Array;
  }
  const s = await ort.InferenceSession.create(bytes);
  const out = await s.run({ input: new ort.Tensor('float32', x, shape) });
  await s.release();
  return out.logits.data as Float32Array;
}

const maxDiff = (a: Float32Array, b: Float32Array) =>
  a.reduce((d, v, i) => Math.max(d, Math.abs(v - b[i])), 0);

test('LeNet-300-100 at 3.6% remaining exports at most 1/10 of the dense size, same logits', async () => {
  const model = MODELS.lenet300.create({ inputShape: [784] });
  const engine = await prunedEngine(model, { fc: 1 - 0.8 ** 15, output: 1 - 0.9 ** 15 });
  const t = exportTicket(model, engine.getWeights(), engine.getBuffers(), engine.getMasks());
  assert.ok(
    t.bytes.length <= t.denseBytes / 10,
    `${t.bytes.length} bytes vs dense ${t.denseBytes} (${t.format})`,
  );
  const rng = new Rng(4);
  const x = Float32Array.from({ length: 16 * 784 }, () => rng.normal());
  const expected = await engine.predict(x, 16);
  assert.ok(maxDiff(await logits(t.bytes, x, [16, 784]), expected) <= 1e-5);
  assert.ok(maxDiff(await logits(t.bytes, x, [16, 784], true), expected) <= 1e-5, 'onnxruntime-web');
  await engine.release();
});

test('random masks with dead units: the compacted candidates compute the same logits', async () => {
  const model = MODELS.lenet300.create({ inputShape: [784] });
  for (const keep of [0.01, 0.05]) {
    const engine = await prunedEngine(model, { fc: 0, output: 0 });
    const rng = new Rng(Math.round(keep * 1000));
    const masks = new Map(
      [...engine.getMasks()].map(([n, m]) => [n, m.map(() => (rng.float() < keep ? 1 : 0))]),
    );
    await engine.setMasks(masks);
    const t = exportTicket(model, engine.getWeights(), engine.getBuffers(), engine.getMasks());
    assert.match(t.format, /^compacted/);
    assert.ok(t.sizes.compacted! < t.denseBytes, 'dead units and inputs were removed');
    const x = Float32Array.from({ length: 8 * 784 }, () => rng.normal());
    assert.ok(maxDiff(await logits(t.bytes, x, [8, 784]), await engine.predict(x, 8)) <= 1e-5);
    await engine.release();
  }
});

test('a pruned conv net exports with sparse initializers and computes exactly the dense logits', async () => {
  const model = MODELS.lenet5.create();
  const engine = await prunedEngine(model, { conv: 0.9, fc: 0.95, output: 0.5 });
  const w = engine.getWeights();
  const t = exportTicket(model, w, engine.getBuffers(), engine.getMasks());
  assert.equal(t.format, 'sparse-initializers');
  assert.ok(t.bytes.length < t.denseBytes / 3);
  const rng = new Rng(6);
  const x = Float32Array.from({ length: 4 * 784 }, () => rng.normal());
  const dense = exportWeights(model, w, engine.getBuffers());
  assert.deepEqual(await logits(t.bytes, x, [4, 1, 28, 28]), await logits(dense, x, [4, 1, 28, 28]));
  await engine.release();
});
