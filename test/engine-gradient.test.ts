// The one-batch gradient graph (for snip and grad) equals what a plain SGD step applies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TrainingEngine } from '../src/engine/engine.js';
import { batchGradient } from '../src/engine/gradient.js';
import { blobs, mlp } from './helpers/blobs.js';

test('batchGradient is (θ − θ_after one SGD step) / lr, and leaves the engine alone', async () => {
  const batch = 8;
  const engine = await TrainingEngine.create(mlp, {
    batchSize: batch,
    optimizer: { kind: 'sgd' },
    threads: 1,
  });
  engine.initialize(5);
  const before = engine.getWeights();
  const { x, y } = blobs(batch, 9);
  const grads = await batchGradient(
    mlp,
    before,
    engine.getBuffers(),
    { x, labels: y, batch },
    { threads: 1 },
  );
  assert.deepEqual(engine.getWeights(), before);
  engine.inputBuffer.set(x);
  engine.labelBuffer.set(y);
  const lr = 0.5;
  await engine.step(lr);
  const after = engine.getWeights();
  let compared = 0;
  for (const [name, g] of grads) {
    const w0 = before.get(name)!;
    const w1 = after.get(name)!;
    assert.equal(g.length, w0.length);
    for (let i = 0; i < g.length; i++) {
      const implied = (w0[i] - w1[i]) / lr;
      assert.ok(
        Math.abs(implied - g[i]) <= 1e-6 + 1e-3 * Math.abs(g[i]),
        `${name}[${i}]: ${implied} vs ${g[i]}`,
      );
      compared++;
    }
  }
  assert.ok(compared > 600);
  assert.ok(
    [...grads.values()].some((g) => g.some((v) => Math.abs(v) > 1e-3)),
    'a non-trivial gradient',
  );
  await engine.release();
});
