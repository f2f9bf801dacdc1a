/**
 * The gradual-pruning callback on a small LeNet-300-100 run: the per-layer sparsity follows the
 * schedule (rounded half up) and is cumulative; lth and rewind put exactly the saved values back into
 * the survivors; reset_end leaves the final mask on θ₀; a run resumed from a checkpoint ends identical.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TrainingEngine } from '../src/engine/engine.js';
import { prunedCount } from '../src/prune/schedule.js';
import type { PrunableLayer } from '../src/prune/types.js';
import { type GradualOptions, type PruneEvent, gradualPruning, gradualTarget } from '../src/train/gradual.js';
import { type TrainCallback, type TrainCheckpoint, train } from '../src/train/trainer.js';
import { OPTIONS, hashTensors, setup } from './helpers/train-fixture.js';

const OPTS = { ...OPTIONS, iterations: 40, evalEvery: 20, rewindIteration: undefined, checkpointEvery: 0 };

function layersOf(engine: TrainingEngine): PrunableLayer[] {
  return engine.params
    .filter((p) => engine.maskedParams.includes(p.name))
    .map((p) => ({ name: p.name, kind: p.layerKind ?? 'fc', shape: p.shape }));
}

const base = (engine: TrainingEngine): GradualOptions => ({
  schedule: 'iterative',
  sparsity: 0.5,
  start: 0.25,
  end: 1,
  steps: 3,
  layers: layersOf(engine),
  strategy: 'large_final',
  scope: 'layerwise',
  seed: 0,
});

test('sparsity follows the schedule per layer and is cumulative (pruned weights stay pruned)', async () => {
  const { engine, data, sampler } = await setup();
  const masksSeen: Map<string, Uint8Array>[] = [];
  const o: GradualOptions = {
    ...base(engine),
    schedule: 'agp',
    sparsity: 0.8,
    start: 0.1,
    end: 0.9,
    every: 4,
  };
  const gradual = gradualPruning({ ...o, onPrune: () => masksSeen.push(engine.getMasks()) });
  const result = await train(engine, data, sampler, OPTS, { callbacks: [gradual] });
  assert.ok(gradual.events.length >= 5, `${gradual.events.length} pruning steps`);
  for (const e of gradual.events) {
    assert.equal(e.iteration % 4, 0);
    assert.equal(e.target, gradualTarget(o, e.iteration, OPTS.iterations));
    for (const l of e.layers)
      assert.equal(l.total - l.kept, prunedCount(e.target, l.total), `${l.layer} @${e.iteration}`);
  }
  // each mask inside the one before it
  for (let k = 1; k < masksSeen.length; k++)
    for (const [name, m] of masksSeen[k]) {
      const prev = masksSeen[k - 1].get(name)!;
      m.forEach((v, i) => assert.ok(v <= prev[i], `${name}[${i}] revived at step ${k}`));
    }
  // the end: 80% of every layer, and the records hold each layer's sparsity over time
  const last = gradual.events.at(-1)!;
  assert.equal(last.target, 0.8);
  const fc1 = result.records!.filter((r) => r.name === 'sparsity:fc1.weight');
  assert.equal(fc1.length, gradual.events.length + 1);
  assert.equal(fc1[0].value, 0);
  assert.ok(Math.abs(fc1.at(-1)!.value - 0.8) < 1e-6);
  await engine.release();
});

/** Checks at each pruning step that every survivor holds `expected()`'s value exactly. */
function survivorsEqual(
  engine: TrainingEngine,
  expected: () => Map<string, Float32Array>,
  events: PruneEvent[],
) {
  return (e: PruneEvent) => {
    events.push(e);
    const want = expected();
    for (const [name, m] of engine.getMasks()) {
      const w = engine.getParam(name);
      const ref = want.get(name)!;
      for (let i = 0; i < m.length; i++)
        assert.equal(w[i], m[i] ? ref[i] : 0, `${name}[${i}] @${e.iteration}`);
    }
    // and the unmasked parameters (biases) too
    for (const p of engine.params.filter((q) => !engine.maskedParams.includes(q.name)))
      assert.deepEqual(engine.getParam(p.name), want.get(p.name));
  };
}

test('lth: after every pruning step the survivors hold exactly θ₀', async () => {
  const { engine, data, sampler } = await setup();
  const theta0 = engine.getWeights();
  const events: PruneEvent[] = [];
  const gradual = gradualPruning({
    ...base(engine),
    reset: 'lth',
    onPrune: survivorsEqual(engine, () => theta0, events),
  });
  await train(engine, data, sampler, OPTS, { callbacks: [gradual] });
  assert.deepEqual(
    events.map((e) => [e.iteration, e.reset]),
    [
      [11, 'theta0'],
      [21, 'theta0'],
      [31, 'theta0'],
    ],
  );
  await engine.release();
});

test('rewind: after every pruning step the survivors hold exactly θ_k (k = 5)', async () => {
  const { engine, data, sampler } = await setup();
  let thetaK: Map<string, Float32Array> | undefined;
  const capture: TrainCallback = {
    name: 'capture',
    onIteration: (it) => void (it === 5 && (thetaK = engine.getWeights())),
  };
  const events: PruneEvent[] = [];
  const gradual = gradualPruning({
    ...base(engine),
    reset: 'rewind',
    rewindIteration: 5,
    onPrune: survivorsEqual(engine, () => thetaK!, events),
  });
  await train(engine, data, sampler, OPTS, { callbacks: [capture, gradual] });
  assert.equal(events.length, 3);
  assert.ok(events.every((e) => e.reset === 'rewind'));
  await engine.release();
});

test('rewind to an iteration after the first pruning step is refused', async () => {
  const { engine, data, sampler } = await setup();
  const gradual = gradualPruning({ ...base(engine), reset: 'rewind', rewindIteration: 15 });
  await assert.rejects(
    train(engine, data, sampler, OPTS, { callbacks: [gradual] }),
    /after the first pruning step \(iteration 11\)/,
  );
  await engine.release();
});

test('reset_end: the final mask on θ₀, evaluated untrained', async () => {
  const { engine, data, sampler } = await setup();
  const theta0 = engine.getWeights();
  const gradual = gradualPruning({ ...base(engine), resetEnd: true });
  const result = await train(engine, data, sampler, OPTS, { callbacks: [gradual] });
  const masks = engine.getMasks();
  for (const [name, w] of engine.getWeights()) {
    const m = masks.get(name);
    const ref = theta0.get(name)!;
    w.forEach((v, i) => assert.equal(v, m && !m[i] ? 0 : ref[i], `${name}[${i}]`));
  }
  const kept = [...masks.values()].reduce((s, m) => s + m.reduce((a, b) => a + b, 0), 0);
  const total = [...masks.values()].reduce((s, m) => s + m.length, 0);
  assert.ok(Math.abs(kept / total - 0.5) < 1e-3);
  assert.ok(gradual.resetEndAccuracy);
  assert.equal(
    result.records!.find((r) => r.name === 'reset_end:test_accuracy')?.value,
    gradual.resetEndAccuracy.test,
  );
  await engine.release();
});

test('a run resumed from a mid-run checkpoint ends with the same weights, masks and events', async () => {
  const run = async (resumeFrom?: TrainCheckpoint) => {
    const { engine, data, sampler } = await setup();
    const checkpoints: TrainCheckpoint[] = [];
    const gradual = gradualPruning({ ...base(engine), reset: 'rewind', rewindIteration: 5 });
    await train(
      engine,
      data,
      sampler,
      { ...OPTS, checkpointEvery: 15 },
      { callbacks: [gradual], saveCheckpoint: (c) => checkpoints.push(structuredClone(c)) },
      resumeFrom,
    );
    const out = {
      weights: hashTensors(engine.getWeights()),
      masks: engine.getMasks(),
      events: gradual.events,
    };
    await engine.release();
    return { out, checkpoints };
  };
  const whole = await run();
  const at15 = whole.checkpoints.find((c) => c.iteration === 15)!;
  const resumed = await run(at15);
  assert.deepEqual(resumed.out, whole.out);
});
