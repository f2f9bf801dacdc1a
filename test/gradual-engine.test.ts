/**
 * Masks that change during training, in the three update modes (fused loop, update in the graph,
 * sparse gather/scatter): a schedule of shrinking masks compiles at most one step program per mode
 * it passes through, not one per mask; the sparse update that reuses a larger program (padded index
 * lists) gives exactly the weights of a program compiled for the exact counts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TrainingEngine } from '../src/engine/engine.js';
import { Rng } from '../src/util/rng.js';
import { blobs, mlp } from './helpers/blobs.js';

const OPT = { kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } as const;

async function engineFor(update: 'fused' | 'graph' | 'sparse' | 'default') {
  const engine = await TrainingEngine.create(mlp, {
    batchSize: 20,
    optimizer: OPT,
    threads: 1,
    ...(update === 'graph' ? { update: 'graph' as const } : {}),
    // sparse: the gather/scatter update whenever anything is pruned
    // sparse: the gather/scatter update whenever anything is pruned; fused and graph: never;
    // default: masked fused loop down to half the weights, sparse below
    ...(update === 'sparse' ? { sparseBelow: 1 } : update === 'default' ? {} : { sparseBelow: 0 }),
  });
  engine.initialize(3);
  return engine;
}

/** Masks keeping the first ⌈(1 − s)·n⌉ entries of a fixed random order: each sparser one inside the last. */
function nestedMasks(engine: TrainingEngine, sparsity: number): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const [name, m] of engine.getMasks()) {
    const rng = new Rng(name.length);
    const order = Array.from(m, (_, i) => i).sort(() => rng.float() - 0.5);
    const keep = Math.ceil((1 - sparsity) * m.length);
    const mask = new Uint8Array(m.length);
    for (const i of order.slice(0, keep)) mask[i] = 1;
    out.set(name, mask);
  }
  return out;
}

async function steps(engine: TrainingEngine, n: number, seed: number) {
  const { x, y } = blobs(20 * n, seed);
  for (let i = 0; i < n; i++) {
    engine.inputBuffer.set(x.subarray(i * 20 * 16, (i + 1) * 20 * 16));
    engine.labelBuffer.set(y.subarray(i * 20, (i + 1) * 20));
    await engine.step(1e-2);
  }
}

for (const update of ['fused', 'graph', 'sparse'] as const) {
  test(`${update}: ten mask changes during training compile no program per change`, async () => {
    const engine = await engineFor(update);
    await steps(engine, 2, 1);
    const before = engine.stepCompiles;
    for (let k = 1; k <= 10; k++) {
      await engine.setMasks(nestedMasks(engine, 0.08 * k), { reusePrograms: true });
      await steps(engine, 2, 1 + k);
    }
    // dense → masked is one program (fused, graph); the sparse one is compiled for the first, largest
    // kept counts and reused, padded, by the nine sparser masks
    assert.equal(engine.stepCompiles - before, 1, `${update}: programs compiled by 10 mask changes`);
    for (const [name, m] of engine.getMasks()) {
      const w = engine.getParam(name);
      m.forEach((keep, i) => keep === 0 && assert.equal(w[i], 0, `${name}[${i}] pruned but ${w[i]}`));
    }
    await engine.release();
  });
}

test('default engine: fused masked, then sparse below half — one program each for ten masks', async () => {
  const engine = await engineFor('default');
  const before = engine.stepCompiles;
  for (let k = 1; k <= 10; k++) {
    await engine.setMasks(nestedMasks(engine, 0.08 * k), { reusePrograms: true });
    await steps(engine, 1, k);
  }
  assert.equal(engine.stepCompiles - before, 2);
  assert.equal(engine.sparseUpdate, true);
  await engine.release();
});

test('sparse: without reusePrograms each new kept count compiles a program (what reuse avoids)', async () => {
  const engine = await engineFor('sparse');
  const before = engine.stepCompiles;
  for (let k = 1; k <= 3; k++) await engine.setMasks(nestedMasks(engine, 0.1 * k));
  assert.equal(engine.stepCompiles - before, 3);
  await engine.release();
});

test('sparse: a reused, padded program gives exactly the weights of the exact program', async () => {
  const padded = await engineFor('sparse');
  const exact = await engineFor('sparse');
  await padded.setMasks(nestedMasks(padded, 0.2), { reusePrograms: true });
  await steps(padded, 2, 7);
  await exact.setMasks(nestedMasks(exact, 0.2));
  await steps(exact, 2, 7);
  await padded.setMasks(nestedMasks(padded, 0.6), { reusePrograms: true });
  await exact.setMasks(nestedMasks(exact, 0.6));
  assert.ok(padded.stepCompiles < exact.stepCompiles, 'the padded engine reused its program');
  await steps(padded, 3, 8);
  await steps(exact, 3, 8);
  assert.deepEqual(padded.getWeights(), exact.getWeights());
  assert.deepEqual(padded.getState().tensors, exact.getState().tensors);
  await padded.release();
  await exact.release();
});
