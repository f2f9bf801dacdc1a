/**
 * Network slimming's L1 penalty on BatchNorm scales (--bn-l1 s): one SGD step moves every γ by the
 * extra −lr·s·sign(γ), bit for bit as computed by hand in float32, and nothing else; the fused loop
 * and the graph update agree bit for bit; the setting is refused on a model without BatchNorm and
 * stays out of a run's identity at its default.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TrainingEngine } from '../src/engine/engine.js';
import { batchGradient } from '../src/engine/gradient.js';
import * as op from '../src/graph/ops.js';
import { batchNorm, conv, dense } from '../src/models/layers.js';
import type { Model } from '../src/models/types.js';
import { type LotteryRequest, resolveConfig, runIdentity } from '../src/lottery/resolve.js';
import { UserError } from '../src/util/errors.js';
import { Rng } from '../src/util/rng.js';

// [1, 5, 5] → conv 3×3 (4 filters) → BN → ReLU → flatten → 3 classes
const model: Model = {
  name: 'slim-probe',
  inputShape: [1, 5, 5],
  classes: 3,
  forward(ctx, x) {
    const h = op.relu(batchNorm(ctx, 'bn', conv(ctx, 'conv', x, 4, 3, { layerKind: 'conv' })));
    return dense(ctx, 'fc', op.flatten(h), 3, { layerKind: 'output' });
  },
};

const batch = 6;
const lr = 0.1;
const s = 1e-4;
// γ with both signs and an exact 0 (sign(0) = 0: no penalty)
const gamma0 = Float32Array.of(0.75, -0.5, 0, 1.25);

async function oneStep(
  update: 'fused' | 'graph',
  bnL1: number | undefined,
  optimizer = { kind: 'sgd' as const },
) {
  const engine = await TrainingEngine.create(model, {
    batchSize: batch,
    optimizer,
    threads: 1,
    update,
    ...(bnL1 === undefined ? {} : { bnL1 }),
  });
  try {
    engine.initialize(5);
    const weights = engine.getWeights();
    weights.set('bn.weight', gamma0);
    engine.setWeights(weights);
    const rng = new Rng(11);
    for (let i = 0; i < engine.inputBuffer.length; i++) engine.inputBuffer[i] = rng.normal();
    engine.labelBuffer.set([0, 1, 2, 0, 1, 2]);
    const before = { weights: engine.getWeights(), buffers: engine.getBuffers() };
    const x = Float32Array.from(engine.inputBuffer);
    const labels = Int32Array.from(engine.labelBuffer);
    await engine.step(lr);
    return { before, after: engine.getWeights(), x, labels };
  } finally {
    await engine.release();
  }
}

const f = Math.fround;
const sign = (v: number) => (v > 0 ? 1 : v < 0 ? -1 : 0);

test('--bn-l1: one SGD step moves γ by exactly the extra −lr·s·sign(γ); β and the conv weights as without', async () => {
  for (const update of ['fused', 'graph'] as const) {
    const plain = await oneStep(update, undefined);
    const slim = await oneStep(update, s);
    // the loss gradient at the starting weights, from a graph of its own
    const g = (
      await batchGradient(
        model,
        plain.before.weights,
        plain.before.buffers,
        {
          x: plain.x,
          labels: plain.labels,
          batch,
        },
        { threads: 1 },
      )
    ).get('bn.weight')!;
    const plainGamma = plain.after.get('bn.weight')!;
    const slimGamma = slim.after.get('bn.weight')!;
    for (let c = 0; c < gamma0.length; c++) {
      // float32 exact: the step without the penalty is γ − lr·g, with it γ − lr·(g + s·sign(γ))
      assert.equal(plainGamma[c], f(gamma0[c] - f(f(lr) * g[c])), `${update}: plain γ[${c}]`);
      const expected = f(gamma0[c] - f(f(lr) * f(g[c] + f(s) * sign(gamma0[c]))));
      assert.equal(slimGamma[c], expected, `${update}: penalized γ[${c}]`);
      // against the run without it, the extra is −lr·s·sign(γ) up to the rounding of γ (≤ 1 ulp)
      const ulp = 2 ** (Math.floor(Math.log2(Math.abs(plainGamma[c]))) - 23);
      const extra = slimGamma[c] - plainGamma[c];
      assert.ok(Math.abs(extra + lr * s * sign(gamma0[c])) <= ulp, `${update}: extra ${extra} on γ[${c}]`);
    }
    assert.equal(slimGamma[2], plainGamma[2], 'sign(0) = 0: a zero γ gets no penalty');
    assert.notEqual(slimGamma[0], plainGamma[0]);
    for (const name of ['bn.bias', 'conv.weight', 'conv.bias', 'fc.weight', 'fc.bias'])
      if (plain.after.has(name))
        assert.deepEqual(slim.after.get(name), plain.after.get(name), `${update}: ${name}`);
  }
});

test('--bn-l1: the fused loop and the graph update agree bit for bit (momentum, Nesterov, weight decay)', async () => {
  const sgd = { kind: 'sgd' as const, momentum: 0.9, nesterov: true, weightDecay: 1e-4 };
  const fused = await oneStep('fused', s, sgd);
  const graph = await oneStep('graph', s, sgd);
  for (const [name, w] of fused.after) assert.deepEqual(graph.after.get(name), w, name);
  const adam = await oneStep('fused', s, { kind: 'adam' } as never);
  const adamGraph = await oneStep('graph', s, { kind: 'adam' } as never);
  for (const [name, w] of adam.after) assert.deepEqual(adamGraph.after.get(name), w, `adam ${name}`);
});

test('--bn-l1 is refused on a model without BatchNorm, accepted on one with it, and 0 renames no run', () => {
  assert.throws(
    () => resolveConfig({ model: 'lenet300', bnL1: 1e-4 } as LotteryRequest),
    (e: unknown) =>
      e instanceof UserError &&
      /--bn-l1 0\.0001 is refused: .*lenet300 has no BatchNorm layers/.test(e.message) &&
      /leave --bn-l1 out/.test(e.fix ?? ''),
  );
  const slim = resolveConfig({ model: 'vgg11', bnL1: 1e-4 } as LotteryRequest);
  assert.equal(slim.bnL1, 1e-4);
  const plain = resolveConfig({ model: 'vgg11' } as LotteryRequest);
  assert.equal(plain.bnL1, 0);
  assert.deepEqual(
    runIdentity(resolveConfig({ model: 'vgg11', bnL1: 0 } as LotteryRequest)),
    runIdentity(plain),
  );
  assert.notDeepEqual(runIdentity(slim), runIdentity(plain));
  assert.equal(runIdentity(slim).bnL1, 1e-4);
});
