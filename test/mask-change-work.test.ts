/**
 * The work a mask change during training does, counted (no timing): the step's arrays and their
 * onnxruntime tensors are allocated once per program, not per change, in every update mode; each
 * change still does exactly what the mask policy says (pruned θ frozen at 0, pruned optimizer state
 * 0, everything else untouched, bit for bit). The branch-free selection scans read nothing at pruned
 * positions, and masksAtSparsity never hands out or writes the masks it was given.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TrainingEngine } from '../src/engine/engine.js';
import { pruneLowest } from '../src/prune/select.js';
import { masksAtSparsity } from '../src/train/gradual.js';
import { Rng } from '../src/util/rng.js';
import { blobs, mlp } from './helpers/blobs.js';

const OPT = { kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } as const;

async function engineFor(update: 'fused' | 'graph' | 'sparse') {
  const engine = await TrainingEngine.create(mlp, {
    batchSize: 20,
    optimizer: OPT,
    threads: 1,
    ...(update === 'graph' ? { update: 'graph' as const } : {}),
    sparseBelow: update === 'sparse' ? 1 : 0,
  });
  engine.initialize(5);
  return engine;
}

async function steps(engine: TrainingEngine, n: number, seed: number) {
  const { x, y } = blobs(20 * n, seed);
  for (let i = 0; i < n; i++) {
    engine.inputBuffer.set(x.subarray(i * 320, (i + 1) * 320));
    engine.labelBuffer.set(y.subarray(i * 20, (i + 1) * 20));
    await engine.step(1e-2);
  }
}

/** Masks keeping the first ⌈(1 − s)·n⌉ of a fixed random order: sparser ones nest, denser ones regrow. */
function nestedMasks(engine: TrainingEngine, sparsity: number): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const [name, m] of engine.getMasks()) {
    const rng = new Rng(name.length + 1);
    const order = Array.from(m, (_, i) => i).sort(() => rng.float() - 0.5);
    const mask = new Uint8Array(m.length);
    for (const i of order.slice(0, Math.ceil((1 - sparsity) * m.length))) mask[i] = 1;
    out.set(name, mask);
  }
  return out;
}

const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

for (const update of ['fused', 'graph', 'sparse'] as const) {
  test(`${update}: mask changes allocate no step arrays and change exactly what the policy says`, async () => {
    const engine = await engineFor(update);
    await engine.setMasks(nestedMasks(engine, 0.05), { reusePrograms: true });
    await steps(engine, 2, 1);
    const allocations = engine.stepArrayAllocations;
    // sparser and sparser, then a denser mask (weights grow back, as dsd does)
    const schedule = [0.15, 0.3, 0.45, 0.6, 0.75, 0.9, 0.5, 0.8];
    for (const [k, sparsity] of schedule.entries()) {
      const before = engine.getState().tensors;
      await engine.setMasks(nestedMasks(engine, sparsity), { reusePrograms: true });
      const after = engine.getState().tensors;
      const mask = after.get('mask')!;
      for (const [name, was] of before) {
        if (name === 'mask') continue;
        const now = bits(after.get(name)!);
        const expected = bits(was.map((v, i) => (mask[i] === 1 ? v : 0)));
        assert.deepEqual(now, expected, `${update}, change ${k + 1}: ${name}`);
      }
      await steps(engine, 2, 2 + k);
    }
    assert.equal(engine.stepArrayAllocations - allocations, 0, `${update}: step arrays allocated again`);
    await engine.release();
  });
}

test('a new program allocates the step arrays once (what the count above would see)', async () => {
  const engine = await engineFor('sparse');
  const start = engine.stepArrayAllocations;
  await engine.setMasks(nestedMasks(engine, 0.5)); // exact counts: a new program
  await engine.setMasks(nestedMasks(engine, 0.7)); // and another
  assert.equal(engine.stepArrayAllocations - start, 2);
  await engine.release();
});

test('selection reads nothing at pruned positions and keeps remaining mask values as they are', () => {
  const entry = fc.record({
    score: fc.float({ noNaN: true, min: -4, max: 4 }),
    // pruned: 0; remaining: any non-zero byte
    mask: fc.oneof(
      { arbitrary: fc.constant(0), weight: 2 },
      { arbitrary: fc.integer({ min: 1, max: 255 }), weight: 3 },
    ),
    junk: fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 1e30, -3),
  });
  fc.assert(
    fc.property(fc.array(entry, { maxLength: 80 }), fc.nat(), fc.boolean(), (xs, draw, absolute) => {
      const clean = Float32Array.from(xs, (x) => (x.mask ? x.score : 0));
      const dirty = Float32Array.from(xs, (x) => (x.mask ? x.score : x.junk));
      const mask = Uint8Array.from(xs, (x) => x.mask);
      const remaining = mask.filter((m) => m !== 0).length;
      const k = draw % (remaining + 1);
      const a = mask.slice();
      const b = mask.slice();
      pruneLowest([{ name: 'a', scores: clean, mask: a }], k, { absolute });
      pruneLowest([{ name: 'b', scores: dirty, mask: b }], k, { absolute });
      assert.deepEqual(b, a);
      // a position is either pruned now or keeps its value
      b.forEach((m, i) => assert.ok(m === 0 || m === mask[i]));
      assert.equal(b.filter((m) => m !== 0).length, remaining - k);
    }),
  );
});

test('masksAtSparsity returns new arrays for every layer and leaves its input alone', () => {
  const layers = [
    { name: 'a', kind: 'fc' as const, shape: [40] },
    { name: 'b', kind: 'fc' as const, shape: [30] },
  ];
  const rng = new Rng(3);
  const weights = new Map(
    layers.map((l) => [l.name, Float32Array.from({ length: l.shape[0] }, () => rng.normal())]),
  );
  // 'b' is already at the target, so its pool does not change
  const masks = new Map([
    ['a', new Uint8Array(40).fill(1)],
    ['b', Uint8Array.from({ length: 30 }, (_, i) => (i < 15 ? 1 : 0))],
  ]);
  const copy = new Map([...masks].map(([k, v]) => [k, v.slice()]));
  const o = { strategy: 'large_final', scope: 'layerwise', layers };
  const next = masksAtSparsity(o, 0.5, weights, masks, {}, new Rng(1))!;
  assert.deepEqual(masks, copy);
  for (const [name, m] of next) assert.notEqual(m, masks.get(name), `${name} is the input's array`);
  assert.equal(next.get('a')!.filter((x) => x === 1).length, 20);
  assert.deepEqual(next.get('b'), copy.get('b'));
  // growing back copies too
  const grown = masksAtSparsity(o, 0.2, weights, next, {}, new Rng(1))!;
  assert.equal(next.get('b')!.filter((x) => x === 1).length, 15);
  assert.equal(grown.get('b')!.filter((x) => x === 1).length, 24);
});
