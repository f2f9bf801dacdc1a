// The engine's options beyond the defaults: a custom loss, and pruned weights frozen at non-zero values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type LossFunction, TrainingEngine } from '../src/engine/engine.js';
import type { OptimizerSpec } from '../src/engine/optimizers.js';
import * as op from '../src/graph/ops.js';
import { dense } from '../src/models/layers.js';
import type { Model } from '../src/models/types.js';
import { blobs, halfMasks, mlp } from './helpers/blobs.js';

/** Mean squared error between the logits and the one-hot labels, mean over all batch × class entries. */
const oneHotMse: LossFunction = (logits, labels) => {
  const [n, k] = logits.shape;
  const g = logits.graph;
  const classes = g.constant(
    Int32Array.from({ length: k }, (_, i) => i),
    [1, k],
    'int32',
    'classes',
  );
  const oneHot = op.cast(op.equal(op.reshape(labels, [n, 1]), classes), 'float32');
  return {
    loss: op.meanSquaredError(logits, oneHot),
    correct: op.softmaxCrossEntropy(logits, labels).correct,
  };
};

const regression: Model = {
  name: 'linear',
  inputShape: [3],
  classes: 2,
  forward: (ctx, x) => dense(ctx, 'fc', x, 2, { layerKind: 'output' }),
};

test('a custom loss (MSE on one-hot labels) trains and evaluates as a hand computation says', async () => {
  const engine = await TrainingEngine.create(regression, {
    batchSize: 2,
    optimizer: { kind: 'sgd' },
    threads: 1,
    loss: oneHotMse,
  });
  engine.initialize(1);
  const w = Float64Array.from(engine.getParam('fc.weight'));
  const b = Float64Array.from(engine.getParam('fc.bias'));
  const x = [0.5, -1, 2, 1.5, 0.25, -0.5];
  const y = [1, 0];
  // reference in float64: z = W·x + b, L = Σ (z − onehot)² / (N·K), dL/dz = 2 (z − onehot) / (N·K)
  const gw = new Float64Array(6);
  const gb = new Float64Array(2);
  let loss = 0;
  let correct = 0;
  for (let n = 0; n < 2; n++) {
    const z = [0, 1].map((k) => b[k] + [0, 1, 2].reduce((s, d) => s + w[k * 3 + d] * x[n * 3 + d], 0));
    if ((z[1] > z[0] ? 1 : 0) === y[n]) correct++;
    for (let k = 0; k < 2; k++) {
      const r = z[k] - (y[n] === k ? 1 : 0);
      loss += (r * r) / 4;
      gb[k] += (2 * r) / 4;
      for (let d = 0; d < 3; d++) gw[k * 3 + d] += ((2 * r) / 4) * x[n * 3 + d];
    }
  }
  const evaluated = await engine.evaluate(Float32Array.from(x), Int32Array.from(y), 2);
  assert.ok(Math.abs(evaluated.loss - loss) < 1e-6, `evaluated loss ${evaluated.loss} vs ${loss}`);
  assert.equal(evaluated.correct, correct);
  engine.inputBuffer.set(x);
  engine.labelBuffer.set(y);
  const lr = 0.5;
  const result = await engine.step(lr);
  assert.ok(Math.abs(result.loss - loss) < 1e-6, `step loss ${result.loss} vs ${loss}`);
  assert.equal(result.correct, correct);
  const w1 = engine.getParam('fc.weight');
  const b1 = engine.getParam('fc.bias');
  w.forEach((p, i) => assert.ok(Math.abs(w1[i] - (p - lr * gw[i])) < 1e-6, `w[${i}]`));
  b.forEach((p, i) => assert.ok(Math.abs(b1[i] - (p - lr * gb[i])) < 1e-6, `b[${i}]`));
  await engine.release();
});

async function train(engine: TrainingEngine, from: number, to: number, lr: number, onStep?: () => void) {
  const data = blobs(400, 7);
  const batch = engine.options.batchSize;
  for (let s = from; s < to; s++) {
    const start = (s * batch) % 400;
    engine.inputBuffer.set(data.x.subarray(start * 16, (start + batch) * 16));
    engine.labelBuffer.set(data.y.subarray(start, start + batch));
    await engine.step(lr);
    onStep?.();
  }
}

/** Every pruned entry of every masked parameter holds exactly (bit for bit) its frozen value. */
function assertFrozen(
  engine: TrainingEngine,
  masks: Map<string, Uint8Array>,
  frozen: Map<string, Float32Array>,
) {
  for (const [name, mask] of masks) {
    const w = engine.getParam(name);
    const f = frozen.get(name)!;
    for (let i = 0; i < mask.length; i++)
      if (!mask[i]) assert.ok(Object.is(w[i], f[i]), `${name}[${i}] = ${w[i]}, frozen at ${f[i]}`);
  }
}

const decaying: [string, OptimizerSpec, number][] = [
  ['adam+wd', { kind: 'adam', weightDecay: 0.05 }, 0.01],
  ['sgd+momentum+nesterov+wd', { kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 0.05 }, 0.02],
];
const modes = [
  { label: 'fused', sparseBelow: 0, update: 'fused' },
  { label: 'graph', sparseBelow: 0, update: 'graph' },
  { label: 'sparse', sparseBelow: 1, update: 'fused' },
] as const;

for (const [name, optimizer, lr] of decaying) {
  test(`${name}: weights frozen at their initial values stay there bit for bit in every update mode; kept weights learn`, async () => {
    const results: Map<string, Float32Array>[] = [];
    for (const { label, sparseBelow, update } of modes) {
      const engine = await TrainingEngine.create(mlp, {
        batchSize: 20,
        optimizer,
        threads: 1,
        sparseBelow,
        update,
      });
      engine.initialize(3);
      const initial = engine.getWeights();
      const masks = halfMasks(engine, 11);
      const frozen = new Map(engine.maskedParams.map((p) => [p, initial.get(p)!]));
      await engine.setMasks(masks, { frozen });
      assert.equal(engine.sparseUpdate, label === 'sparse');
      assertFrozen(engine, masks, frozen);
      await train(engine, 0, 60, lr, () => assertFrozen(engine, masks, frozen));
      const weights = engine.getWeights();
      // the frozen values are not all 0, and the kept weights moved
      for (const [p, mask] of masks) {
        assert.ok(
          initial.get(p)!.some((v, i) => !mask[i] && v !== 0),
          `${p} has non-zero frozen values`,
        );
        const moved = weights.get(p)!.filter((v, i) => mask[i] && v !== initial.get(p)![i]).length;
        assert.ok(moved > 0.9 * mask.reduce((s, m) => s + m, 0), `${label}: only ${moved} kept ${p} moved`);
      }
      const test = blobs(400, 8);
      const result = await engine.evaluate(test.x, test.y, 400);
      assert.ok(result.accuracy > 0.95, `${label}: test accuracy ${result.accuracy}`);
      // pruned optimizer state is exactly 0
      const offsets = new Map<string, number>();
      let offset = 0;
      for (const p of engine.params) {
        offsets.set(p.name, offset);
        offset += p.shape.reduce((a, b) => a * b, 1);
      }
      for (const [key, data] of engine.getState().tensors) {
        if (!['adam_m', 'adam_v', 'momentum_buffer'].includes(key)) continue;
        for (const [p, mask] of masks)
          mask.forEach((m, i) => assert.ok(m || data[offsets.get(p)! + i] === 0, `${key} of ${p}[${i}]`));
      }
      results.push(weights);
      await engine.release();
    }
    // the three plans agree bit for bit with frozen values too
    for (const other of results.slice(1))
      for (const [p, w] of results[0]) assert.deepEqual(other.get(p), w, p);
  });
}

test('frozen values survive a checkpoint and setWeights; a new setMasks without them freezes at 0', async () => {
  const optimizer: OptimizerSpec = { kind: 'adam', weightDecay: 0.05 };
  const make = async () => {
    const e = await TrainingEngine.create(mlp, { batchSize: 20, optimizer, threads: 1 });
    e.initialize(5);
    return e;
  };
  const straight = await make();
  const masks = halfMasks(straight, 2);
  const frozen = new Map(straight.maskedParams.map((p) => [p, straight.getParam(p)]));
  await straight.setMasks(masks, { frozen });
  await train(straight, 0, 5, 0.01);
  const saved = straight.getState();
  await train(straight, 5, 10, 0.01);
  const resumed = await make();
  resumed.initialize(99);
  await resumed.setState(saved);
  assertFrozen(resumed, masks, frozen);
  await train(resumed, 5, 10, 0.01);
  for (const [p, w] of straight.getWeights()) assert.deepEqual(resumed.getParam(p), w, p);
  // the restored policy still holds: setWeights puts the frozen values back
  const zeros = new Map(
    resumed.params.map((p) => [p.name, new Float32Array(p.shape.reduce((a, b) => a * b, 1))]),
  );
  resumed.setWeights(zeros);
  assertFrozen(resumed, masks, frozen);
  // each setMasks replaces the policy: without `frozen`, pruned weights are 0
  await resumed.setMasks(masks);
  const zero = new Map([...frozen].map(([p, f]) => [p, new Float32Array(f.length)]));
  assertFrozen(resumed, masks, zero);
  await assert.rejects(resumed.setMasks(masks, { frozen: new Map([['fc1.bias', new Float32Array(32)]]) }));
  await assert.rejects(resumed.setMasks(masks, { frozen: new Map([['fc1.weight', new Float32Array(3)]]) }));
  await straight.release();
  await resumed.release();
});
