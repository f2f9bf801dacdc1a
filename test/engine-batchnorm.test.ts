/**
 * BatchNorm through the engine: training steps normalize with the batch's statistics and update the
 * running averages (PyTorch's rule: new = 0.9·old + 0.1·batch, unbiased variance), evaluation and
 * inference normalize with those running averages.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TrainingEngine } from '../src/engine/engine.js';
import * as op from '../src/graph/ops.js';
import { batchNorm, dense } from '../src/models/layers.js';
import type { Model } from '../src/models/types.js';
import { Rng } from '../src/util/rng.js';

// [2 channels, 2×2] → BN → flatten → 3 classes
const model: Model = {
  name: 'bn-probe',
  inputShape: [2, 2, 2],
  classes: 3,
  forward(ctx, x) {
    const h = batchNorm(ctx, 'bn', x);
    return dense(ctx, 'fc', op.flatten(h), 3, { layerKind: 'output' });
  },
};

test('BatchNorm: running statistics updated in training steps, used in evaluation and inference', async () => {
  const batch = 4;
  const engine = await TrainingEngine.create(model, {
    batchSize: batch,
    optimizer: { kind: 'sgd', momentum: 0.9 },
    threads: 1,
  });
  try {
    engine.initialize(3);
    const rng = new Rng(7);
    // channel 0 around 3 (std 2), channel 1 around -1 (std 0.5)
    const x = engine.inputBuffer;
    for (let n = 0; n < batch; n++)
      for (let c = 0; c < 2; c++)
        for (let k = 0; k < 4; k++)
          x[n * 8 + c * 4 + k] = c === 0 ? 3 + 2 * rng.normal() : -1 + 0.5 * rng.normal();
    engine.labelBuffer.set([0, 1, 2, 0]);
    const batchMean = [0, 0];
    const batchVar = [0, 0];
    for (let c = 0; c < 2; c++) {
      const v: number[] = [];
      for (let n = 0; n < batch; n++) for (let k = 0; k < 4; k++) v.push(x[n * 8 + c * 4 + k]);
      batchMean[c] = v.reduce((a, b) => a + b, 0) / v.length;
      batchVar[c] = v.reduce((a, b) => a + (b - batchMean[c]) ** 2, 0) / (v.length - 1);
    }
    const steps = 3;
    for (let s = 0; s < steps; s++) await engine.step(0.05);
    const buffers = engine.getBuffers();
    const decay = 0.9 ** steps;
    for (let c = 0; c < 2; c++) {
      assert.ok(Math.abs(buffers.get('bn.running_mean')![c] - (1 - decay) * batchMean[c]) < 1e-5);
      assert.ok(Math.abs(buffers.get('bn.running_var')![c] - (decay + (1 - decay) * batchVar[c])) < 1e-5);
    }

    // inference on one example: with batch statistics it would normalize to β exactly; with the
    // running averages it is (x − mean)/√(var + ε)·γ + β, which is what the engine computes
    const example = x.slice(0, 8);
    const logits = await engine.predict(example, 1);
    const w = engine.getWeights();
    const [gamma, beta, fw, fb] = ['bn.weight', 'bn.bias', 'fc.weight', 'fc.bias'].map((n) => w.get(n)!);
    const rm = buffers.get('bn.running_mean')!;
    const rv = buffers.get('bn.running_var')!;
    const normalized = Array.from(example, (v, i) => {
      const c = i >> 2;
      return ((v - rm[c]) / Math.sqrt(rv[c] + 1e-5)) * gamma[c] + beta[c];
    });
    for (let o = 0; o < 3; o++) {
      let expected = fb[o];
      for (let i = 0; i < 8; i++) expected += fw[o * 8 + i] * normalized[i];
      assert.ok(Math.abs(logits[o] - expected) < 1e-4, `logit ${o}: ${logits[o]} vs ${expected}`);
    }
    // evaluation (inference mode) gives the same prediction: its loss on that example matches
    const e = await engine.evaluate(example, Int32Array.from([0]), 1);
    const max = Math.max(...logits);
    const lse = max + Math.log(Array.from(logits).reduce((a, l) => a + Math.exp(l - max), 0));
    assert.ok(Math.abs(e.loss - (lse - logits[0])) < 1e-4);
  } finally {
    await engine.release();
  }
});
