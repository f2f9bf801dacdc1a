import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  applyMask,
  applyMasks,
  countKept,
  countOnes,
  formatSparsityReport,
  fullMasks,
  globalPool,
  keptAfterRounds,
  pruneMasks,
  pruneRandomly,
  pruneSmallest,
  prunedCount,
  randomMasksLike,
  rateForTarget,
  remainingAfter,
  sparsityReport,
  type Masks,
  type PrunableLayer,
  type PruneSpec,
  type Weights,
} from '../src/prune/index.js';
import type { LayerKind } from '../src/prune/index.js';
import { Rng } from '../src/util/rng.js';
import { UserError } from '../src/util/errors.js';

const LENET: PrunableLayer[] = [
  { name: 'fc1', kind: 'fc', shape: [784, 300] },
  { name: 'fc2', kind: 'fc', shape: [300, 100] },
  { name: 'out', kind: 'output', shape: [100, 10] },
];
const LENET_SPEC: PruneSpec = { strategy: 'magnitude', scope: 'layerwise', rates: { fc: 0.2, output: 0.1 } };

/** Pseudo-random weights in (-scale, scale), cheap to make (a hash of seed and index; not Rng). */
function normalWeights(layers: PrunableLayer[], seed: number, scale: Record<string, number> = {}): Weights {
  const w: Weights = new Map();
  let h = Math.imul(seed + 1, 0x9e3779b1) >>> 0;
  for (const l of layers) {
    const n = l.shape.reduce((a, b) => a * b, 1);
    const a = new Float32Array(n);
    const s = (scale[l.name] ?? 1) / 2147483648;
    for (let i = 0; i < n; i++) {
      h ^= h << 13;
      h ^= h >>> 17;
      h ^= h << 5;
      a[i] = s * (h | 0);
    }
    w.set(l.name, a);
  }
  return w;
}

function kept(masks: Masks): Record<string, number> {
  return Object.fromEntries([...masks].map(([k, m]) => [k, countKept(m)]));
}

/** Reference: the k smallest |w| among remaining, ties by (segment, index), via a stable sort. */
function referencePrune(segs: { w: ArrayLike<number>; mask: Uint8Array }[], k: number): Uint8Array[] {
  const entries: { s: number; i: number; a: number }[] = [];
  segs.forEach(({ w, mask }, s) => {
    for (let i = 0; i < w.length; i++) if (mask[i] !== 0) entries.push({ s, i, a: Math.abs(w[i]) });
  });
  entries.sort((x, y) => (x.a < y.a ? -1 : x.a > y.a ? 1 : 0));
  const out = segs.map(({ mask }) => mask.slice());
  for (const e of entries.slice(0, k)) out[e.s][e.i] = 0;
  return out;
}

describe('rounding rule and schedules', () => {
  test('prunedCount rounds half up, exactly as documented', () => {
    assert.equal(prunedCount(0.2, 235200), 47040);
    assert.equal(prunedCount(0.2, 30000), 6000);
    assert.equal(prunedCount(0.1, 1000), 100);
    assert.equal(prunedCount(0.1, 5), 1); // 0.5 → 1
    assert.equal(prunedCount(0.1, 4), 0); // 0.4 → 0
    assert.equal(prunedCount(0.5, 3), 2); // 1.5 → 2
    assert.equal(prunedCount(0.7, 5), 4); // double product is 3.4999999999999996, still a half
    assert.equal(prunedCount(0.2, 7), 1); // 1.4 → 1
    assert.equal(prunedCount(0.2, 8), 2); // 1.6 → 2
    assert.equal(prunedCount(0, 100), 0);
    assert.equal(prunedCount(1, 100), 100);
    assert.equal(prunedCount(0.5, 0), 0);
    assert.throws(() => prunedCount(1.5, 10), UserError);
    assert.throws(() => prunedCount(-0.1, 10), UserError);
    assert.throws(() => prunedCount(Number.NaN, 10), UserError);
  });

  test('keptAfterRounds iterates the rule', () => {
    // 235200 → 188160 → 150528 → 120422 (120422.4) → 96338 (96337.6 rounds to 96338 kept)
    assert.equal(keptAfterRounds(235200, 0.2, 0), 235200);
    assert.equal(keptAfterRounds(235200, 0.2, 1), 188160);
    assert.equal(keptAfterRounds(235200, 0.2, 2), 150528);
    assert.equal(keptAfterRounds(235200, 0.2, 3), 120422);
    assert.equal(keptAfterRounds(235200, 0.2, 4), 96338);
    assert.equal(keptAfterRounds(1000, 0.1, 3), 729);
    assert.equal(keptAfterRounds(1000, 0.1, 4), 656); // 729 - round(72.9 = 73)
  });

  test('rateForTarget and remainingAfter are inverse', () => {
    const p = rateForTarget(0.9, 10);
    assert.ok(Math.abs(p - 0.2056717652757185) < 1e-12);
    assert.ok(Math.abs(remainingAfter(p, 10) - 0.1) < 1e-12);
    assert.ok(Math.abs(rateForTarget(1 - 0.8 ** 5, 5) - 0.2) < 1e-12);
    assert.equal(rateForTarget(0.5, 1), 0.5);
    assert.equal(remainingAfter(0.2, 0), 1);
    assert.ok(Math.abs(remainingAfter(0.2, 3) - 0.512) < 1e-12);
    assert.throws(() => rateForTarget(0.5, 0), UserError);
    assert.throws(() => rateForTarget(0.5, 2.5), UserError);
  });
});

describe('magnitude pruning, layer-wise', () => {
  test('LeNet-300-100 over 12 rounds: exact counts, fc at 0.8^n, output at 0.9^n', () => {
    let masks = fullMasks(LENET);
    assert.deepEqual(kept(masks), { fc1: 235200, fc2: 30000, out: 1000 });
    for (let round = 1; round <= 12; round++) {
      // fresh "trained" weights every round, as in iterative pruning
      const weights = normalWeights(LENET, 100 + round);
      const next = pruneMasks(LENET, weights, masks, LENET_SPEC);
      const k = kept(next);
      assert.equal(k.fc1, keptAfterRounds(235200, 0.2, round));
      assert.equal(k.fc2, keptAfterRounds(30000, 0.2, round));
      assert.equal(k.out, keptAfterRounds(1000, 0.1, round));
      assert.ok(Math.abs(k.fc1 / 235200 - 0.8 ** round) < 1e-4);
      assert.ok(Math.abs(k.fc2 / 30000 - 0.8 ** round) < 1e-3);
      assert.ok(Math.abs(k.out / 1000 - 0.9 ** round) < 5e-3);
      masks = next;
    }
    // spot values written out: after 1 round and 5 rounds
    assert.equal(keptAfterRounds(30000, 0.2, 1), 24000);
    assert.deepEqual(kept(masks), {
      fc1: keptAfterRounds(235200, 0.2, 12),
      fc2: keptAfterRounds(30000, 0.2, 12),
      out: keptAfterRounds(1000, 0.1, 12),
    });
  });

  test('the output layer is pruned at its own (half) rate', () => {
    const weights = normalWeights(LENET, 7);
    const m = pruneMasks(LENET, weights, fullMasks(LENET), LENET_SPEC);
    assert.deepEqual(kept(m), { fc1: 188160, fc2: 24000, out: 900 });
    // a kind without a rate is not pruned
    const noOut = pruneMasks(LENET, weights, fullMasks(LENET), { ...LENET_SPEC, rates: { fc: 0.2 } });
    assert.equal(countKept(noOut.get('out')!), 1000);
  });

  test('pruned weights are the smallest-magnitude remaining ones, and stay pruned', () => {
    let masks = fullMasks(LENET);
    for (let round = 1; round <= 4; round++) {
      const weights = normalWeights(LENET, 200 + round);
      const next = pruneMasks(LENET, weights, masks, LENET_SPEC);
      for (const layer of LENET) {
        const w = weights.get(layer.name)!;
        const before = masks.get(layer.name)!;
        const after = next.get(layer.name)!;
        let maxPruned = -Infinity;
        let minKept = Infinity;
        for (let i = 0; i < w.length; i++) {
          assert.ok(after[i] <= before[i], 'masks only shrink');
          if (before[i] === 0) continue;
          if (after[i] === 0) maxPruned = Math.max(maxPruned, Math.abs(w[i]));
          else minKept = Math.min(minKept, Math.abs(w[i]));
        }
        assert.ok(maxPruned <= minKept, `${layer.name}: pruned ${maxPruned} > kept ${minKept}`);
      }
      masks = next;
    }
  });

  test('ties are broken by index (lowest index pruned first), +0 and -0 are equal', () => {
    const layers: PrunableLayer[] = [{ name: 'a', kind: 'fc', shape: [10] }];
    const w = new Float32Array([1, 0.5, -0.5, 0.5, 2, -0, 0, 0.5, 3, -1]);
    const m = pruneMasks(layers, new Map([['a', w]]), fullMasks(layers), {
      strategy: 'magnitude',
      scope: 'layerwise',
      rates: { fc: 0.4 },
    });
    // four pruned: the two zeros (5, 6), then the first two 0.5s (1, 2)
    assert.deepEqual([...m.get('a')!], [1, 0, 0, 1, 1, 0, 0, 1, 1, 1]);
  });

  test('float64 weights give the same masks as the same values in float32', () => {
    const weights = normalWeights(LENET, 9);
    const w64: Weights = new Map([...weights].map(([k, v]) => [k, Float64Array.from(v)]));
    let a = fullMasks(LENET);
    let b = fullMasks(LENET);
    for (let r = 0; r < 3; r++) {
      a = pruneMasks(LENET, weights, a, LENET_SPEC);
      b = pruneMasks(LENET, w64, b, LENET_SPEC);
    }
    for (const l of LENET) assert.deepEqual(a.get(l.name), b.get(l.name));
  });

  test('weights given as views into a larger buffer', () => {
    const buf = new Float32Array(20).map((_, i) => (i * 7919) % 13);
    const layers: PrunableLayer[] = [{ name: 'v', kind: 'fc', shape: [9] }];
    const view = buf.subarray(5, 14);
    const m = pruneMasks(layers, new Map([['v', view]]), fullMasks(layers), {
      strategy: 'magnitude',
      scope: 'layerwise',
      rates: { fc: 0.5 },
    });
    const [expected] = referencePrune([{ w: view, mask: new Uint8Array(9).fill(1) }], prunedCount(0.5, 9));
    assert.deepEqual(m.get('v'), expected);
    const w64 = Float64Array.from(buf).subarray(3, 12);
    const m64 = pruneMasks(layers, new Map([['v', w64]]), fullMasks(layers), {
      strategy: 'magnitude',
      scope: 'layerwise',
      rates: { fc: 0.5 },
    });
    const [expected64] = referencePrune([{ w: w64, mask: new Uint8Array(9).fill(1) }], 5);
    assert.deepEqual(m64.get('v'), expected64);
  });

  test('inputs are not modified; unknown layers in masks are carried over', () => {
    const weights = normalWeights(LENET, 3);
    const masks = fullMasks(LENET);
    masks.set('bias-ignored', new Uint8Array([1, 0, 1]));
    const copy = new Map([...masks].map(([k, v]) => [k, v.slice()]));
    const out = pruneMasks(LENET, weights, masks, LENET_SPEC);
    for (const [k, v] of masks) assert.deepEqual(v, copy.get(k));
    assert.deepEqual(out.get('bias-ignored'), new Uint8Array([1, 0, 1]));
  });

  test('errors: missing or mis-sized masks and weights, NaN weights, bad rates', () => {
    const weights = normalWeights(LENET, 1);
    const masks = fullMasks(LENET);
    assert.throws(() => pruneMasks(LENET, weights, new Map(), LENET_SPEC), /no mask for layer fc1/);
    const short = new Map(masks);
    short.set('fc2', new Uint8Array(5));
    assert.throws(() => pruneMasks(LENET, weights, short, LENET_SPEC), /mask of fc2 has 5 entries/);
    const noW = new Map(weights);
    noW.delete('out');
    assert.throws(() => pruneMasks(LENET, noW, masks, LENET_SPEC), /no weights for layer out/);
    const nan = new Map(weights);
    const bad = weights.get('fc2')!.slice();
    bad[17] = Number.NaN;
    nan.set('fc2', bad);
    assert.throws(() => pruneMasks(LENET, nan, masks, LENET_SPEC), /fc2\[17\] is NaN/);
    const bad64 = Float64Array.from(bad);
    assert.throws(() => pruneMasks(LENET, new Map([...nan, ['fc2', bad64]]), masks, LENET_SPEC), /NaN/);
    // NaN in an already-pruned position does not matter
    const m2 = new Map(masks);
    const fc2mask = masks.get('fc2')!.slice();
    fc2mask[17] = 0;
    m2.set('fc2', fc2mask);
    assert.doesNotThrow(() => pruneMasks(LENET, nan, m2, LENET_SPEC));
    assert.throws(() => pruneMasks(LENET, weights, masks, { ...LENET_SPEC, rates: { fc: 2 } }), UserError);
    assert.throws(
      () => pruneMasks(LENET, weights, masks, { ...LENET_SPEC, strategy: 'random' }),
      /needs an Rng or spec.seed/,
    );
    assert.throws(
      () => pruneMasks(LENET, weights, masks, { ...LENET_SPEC, scope: 'global', globalLayers: ['nope'] }),
      UserError,
    );
  });
});

describe('global pruning', () => {
  const CONV: PrunableLayer[] = [
    { name: 'conv1', kind: 'conv', shape: [8, 1, 5, 5] }, // 200
    { name: 'conv2', kind: 'conv', shape: [8, 8, 5, 5] }, // 1600
    { name: 'fc', kind: 'fc', shape: [40, 10] }, // 400
    { name: 'out', kind: 'output', shape: [10, 10] }, // 100
  ];

  test('one threshold across the pool: the layer with smaller magnitudes loses more', () => {
    // conv1 weights in [0, 1), conv2 weights in [0.5, 2.5): overlapping ranges
    const rng = new Rng(11);
    const weights: Weights = new Map([
      ['conv1', Float32Array.from({ length: 200 }, () => rng.float())],
      ['conv2', Float32Array.from({ length: 1600 }, () => 0.5 + 2 * rng.float())],
      ['fc', Float32Array.from({ length: 400 }, () => rng.float() * 0.001)],
      ['out', Float32Array.from({ length: 100 }, () => rng.float())],
    ]);
    const spec: PruneSpec = {
      strategy: 'magnitude',
      scope: 'global',
      rates: { conv: 0.2, fc: 0.5, output: 0.1 },
    };
    const g = pruneMasks(CONV, weights, fullMasks(CONV), spec);
    const l = pruneMasks(CONV, weights, fullMasks(CONV), { ...spec, scope: 'layerwise' });
    const gk = kept(g);
    const lk = kept(l);
    // the pool loses exactly round(0.2 × 1800) = 360 in total
    assert.equal(200 - gk.conv1 + (1600 - gk.conv2), 360);
    // layer-wise: 40 and 320; global takes far more of conv1 (all of its weights below the threshold)
    assert.equal(lk.conv1, 160);
    assert.equal(lk.conv2, 1280);
    assert.ok(200 - gk.conv1 > 100, `global pruned only ${200 - gk.conv1} of conv1`);
    assert.ok(1600 - gk.conv2 < 320);
    // the one threshold: every pruned |w| ≤ every kept |w| across the pool
    let maxPruned = 0;
    let minKept = Infinity;
    for (const name of ['conv1', 'conv2']) {
      const w = weights.get(name)!;
      const m = g.get(name)!;
      for (let i = 0; i < w.length; i++) {
        if (m[i] === 0) maxPruned = Math.max(maxPruned, Math.abs(w[i]));
        else minKept = Math.min(minKept, Math.abs(w[i]));
      }
    }
    assert.ok(maxPruned <= minKept);
    // layers outside the pool are pruned layer-wise at their own rates
    assert.equal(gk.fc, 200);
    assert.equal(gk.out, 90);
    assert.deepEqual(g.get('fc'), l.get('fc'));
  });

  test('pool and rate defaults: conv layers at the conv rate; fc layers at the fc rate', () => {
    const spec: PruneSpec = { strategy: 'magnitude', scope: 'global', rates: { conv: 0.3, fc: 0.5 } };
    const p = globalPool(CONV, spec);
    assert.deepEqual(
      p.pool.map((l) => l.name),
      ['conv1', 'conv2'],
    );
    assert.equal(p.rate, 0.3);
    const p2 = globalPool(LENET, { ...spec, rates: { fc: 0.2, output: 0.1 } });
    assert.deepEqual(
      p2.pool.map((l) => l.name),
      ['fc1', 'fc2'],
    );
    assert.equal(p2.rate, 0.2);
    // an fc-only pool uses the fc rate even when a conv rate is given
    assert.equal(globalPool(LENET, spec).rate, 0.5);
    // a conv pool without a conv rate falls back to the fc rate
    assert.equal(globalPool(CONV, { ...spec, rates: { fc: 0.4 } }).rate, 0.4);
    const p3 = globalPool(CONV, { ...spec, globalLayers: ['out', 'conv2', 'fc'] });
    assert.deepEqual(
      p3.pool.map((l) => l.name),
      ['conv2', 'fc', 'out'],
      'model order',
    );
  });

  test('global over LeNet fc layers prunes round(rate × pooled remaining) each round', () => {
    let masks = fullMasks(LENET);
    const spec: PruneSpec = { strategy: 'magnitude', scope: 'global', rates: { fc: 0.2, output: 0.1 } };
    // fc2 weights ten times smaller: global pruning takes them first
    const weights = normalWeights(LENET, 5, { fc2: 0.1 });
    let pooled = 265200;
    for (let r = 0; r < 3; r++) {
      masks = pruneMasks(LENET, weights, masks, spec);
      pooled -= prunedCount(0.2, pooled);
      const k = kept(masks);
      assert.equal(k.fc1 + k.fc2, pooled);
      assert.equal(k.out, keptAfterRounds(1000, 0.1, r + 1));
    }
    const k = kept(masks);
    assert.ok(k.fc2 / 30000 < k.fc1 / 235200);
  });
});

describe('property tests', () => {
  const special = [
    0,
    -0,
    1,
    -1,
    0.5,
    -0.5,
    2,
    1e-30,
    -1e-30,
    3.4e38,
    Infinity,
    -Infinity,
    1.401298464324817e-45,
  ];
  const value = fc.oneof(
    fc.constantFrom(...special),
    fc.float({ noNaN: true }),
    fc.integer({ min: -3, max: 3 }),
  );
  const segmentArb = fc
    .array(fc.tuple(value, fc.boolean()), { minLength: 0, maxLength: 60 })
    .map((xs) => ({ w: xs.map((x) => x[0]), mask: Uint8Array.from(xs.map((x) => (x[1] ? 1 : 0))) }));

  test('pruneSmallest equals a sort-based reference (float32, float64, mixed pools, ties)', () => {
    fc.assert(
      fc.property(
        fc.array(segmentArb, { minLength: 1, maxLength: 4 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
        (segs, frac, use64) => {
          const typed = segs.map((s, i) => ({
            name: `s${i}`,
            weights: use64[i] ? Float64Array.from(Float32Array.from(s.w)) : Float32Array.from(s.w),
            mask: s.mask.slice(),
          }));
          const remaining = segs.reduce((a, s) => a + countOnes(s.mask), 0);
          const k = Math.floor(frac * remaining);
          const expected = referencePrune(
            typed.map((t) => ({ w: t.weights, mask: t.mask })),
            k,
          );
          const counts = pruneSmallest(typed, k);
          typed.forEach((t, i) => assert.deepEqual(t.mask, expected[i]));
          assert.equal(
            counts.reduce((a, b) => a + b, 0),
            k,
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  test('float64 precision is kept (values equal in float32 but not in float64)', () => {
    const w = new Float64Array([1 + 2 ** -40, 1, 1 + 2 ** -45, 1 + 2 ** -40, 1 + 2 ** -50]);
    const mask = new Uint8Array(5).fill(1);
    pruneSmallest([{ name: 'x', weights: w, mask }], 3);
    assert.deepEqual([...mask], [1, 0, 0, 1, 0]);
  });

  test('masks only shrink, counts follow the rule, random matches magnitude counts', () => {
    const layersArb = fc.array(
      fc.record({
        kind: fc.constantFrom('fc' as const, 'conv' as const, 'output' as const),
        n: fc.integer({ min: 0, max: 300 }),
      }),
      { minLength: 1, maxLength: 4 },
    );
    const rate = fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined });
    fc.assert(
      fc.property(
        layersArb,
        fc.record({ fc: rate, conv: rate, output: rate }),
        fc.constantFrom('layerwise' as const, 'global' as const),
        fc.integer({ min: 1, max: 4 }),
        fc.integer(),
        (ls, rates, scope, rounds, seed) => {
          const layers: PrunableLayer[] = ls.map((l, i) => ({ name: `l${i}`, kind: l.kind, shape: [l.n] }));
          let masks = fullMasks(layers);
          const rng = new Rng(seed);
          for (let r = 0; r < rounds; r++) {
            const weights: Weights = new Map(
              layers.map((l) => [l.name, Float32Array.from({ length: l.shape[0] }, () => rng.int(20) - 10)]),
            );
            const spec: PruneSpec = { strategy: 'magnitude', scope, rates };
            const mag = pruneMasks(layers, weights, masks, spec);
            const rnd = pruneMasks(layers, weights, masks, { ...spec, strategy: 'random' }, rng);
            const pool = scope === 'global' ? globalPool(layers, spec) : { pool: [], rate: 0 };
            const pooled = new Set(pool.pool.map((l) => l.name));
            let poolBefore = 0;
            let poolAfter = 0;
            for (const l of layers) {
              const before = masks.get(l.name)!;
              for (const next of [mag, rnd]) {
                const after = next.get(l.name)!;
                for (let i = 0; i < after.length; i++) assert.ok(after[i] <= before[i]);
              }
              assert.equal(countKept(rnd.get(l.name)!), countKept(mag.get(l.name)!));
              if (pooled.has(l.name)) {
                poolBefore += countKept(before);
                poolAfter += countKept(mag.get(l.name)!);
              } else {
                const b = countKept(before);
                assert.equal(
                  countKept(mag.get(l.name)!),
                  b - prunedCount((rates as Partial<Record<LayerKind, number>>)[l.kind] ?? 0, b),
                );
              }
            }
            assert.equal(poolAfter, poolBefore - prunedCount(pool.rate, poolBefore));
            masks = mag;
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('random pruning and the random-pruning control', () => {
  test('random pruning: same per-layer counts as magnitude, within the remaining, seeded', () => {
    let masks = fullMasks(LENET);
    const weights = normalWeights(LENET, 4);
    masks = pruneMasks(LENET, weights, masks, LENET_SPEC);
    const spec: PruneSpec = { ...LENET_SPEC, strategy: 'random', seed: 42 };
    const a = pruneMasks(LENET, weights, masks, spec);
    const b = pruneMasks(LENET, new Map(), masks, spec); // layer-wise random needs no weights
    const c = pruneMasks(LENET, weights, masks, { ...spec, seed: 43 });
    const mag = pruneMasks(LENET, weights, masks, LENET_SPEC);
    assert.deepEqual(kept(a), kept(mag));
    assert.deepEqual(kept(c), kept(mag));
    for (const l of LENET) {
      assert.deepEqual(a.get(l.name), b.get(l.name), 'same seed, same mask');
      assert.notDeepEqual(a.get(l.name), c.get(l.name), 'different seed, different mask');
      assert.notDeepEqual(a.get(l.name), mag.get(l.name));
    }
    // an explicit Rng gives the same as that seed
    const viaRng = pruneMasks(LENET, weights, masks, { ...LENET_SPEC, strategy: 'random' }, new Rng(42));
    for (const l of LENET) assert.deepEqual(viaRng.get(l.name), a.get(l.name));
  });

  test('random global pruning takes the per-layer counts global magnitude pruning would', () => {
    const weights = normalWeights(LENET, 8, { fc2: 0.2 });
    const spec: PruneSpec = { strategy: 'magnitude', scope: 'global', rates: { fc: 0.5, output: 0.1 } };
    const mag = pruneMasks(LENET, weights, fullMasks(LENET), spec);
    const rnd = pruneMasks(LENET, weights, fullMasks(LENET), { ...spec, strategy: 'random', seed: 1 });
    assert.deepEqual(kept(rnd), kept(mag));
  });

  test('random pruning is uniform over the remaining positions', () => {
    const mask = Uint8Array.from([1, 0, 1, 1, 0, 1, 1, 1, 0, 1]); // 7 remaining
    const freq = new Array<number>(10).fill(0);
    const rng = new Rng(5);
    const trials = 14000;
    for (let t = 0; t < trials; t++) {
      const m = mask.slice();
      pruneRandomly(m, 3, rng);
      assert.equal(countKept(m), 4);
      for (let i = 0; i < 10; i++) if (m[i] === 0 && mask[i] === 1) freq[i]++;
    }
    for (let i = 0; i < 10; i++) {
      if (mask[i] === 0) assert.equal(freq[i], 0);
      else assert.ok(Math.abs(freq[i] / trials - 3 / 7) < 0.02, `position ${i}: ${freq[i] / trials}`);
    }
  });

  test('randomMasksLike: exact per-layer counts, drawn from all positions, seeded', () => {
    let masks = fullMasks(LENET);
    const weights = normalWeights(LENET, 12);
    for (let r = 0; r < 8; r++) masks = pruneMasks(LENET, weights, masks, LENET_SPEC);
    const a = randomMasksLike(masks, new Rng(3));
    const b = randomMasksLike(masks, new Rng(3));
    const c = randomMasksLike(masks, new Rng(4));
    assert.deepEqual(kept(a), kept(masks));
    assert.deepEqual(kept(c), kept(masks));
    for (const l of LENET) {
      assert.deepEqual(a.get(l.name), b.get(l.name));
      assert.notDeepEqual(a.get(l.name), c.get(l.name));
    }
    // not nested: at ~17% remaining, a fresh random mask overlaps the original only by chance (~17%)
    const orig = masks.get('fc1')!;
    const rnd = a.get('fc1')!;
    let overlap = 0;
    for (let i = 0; i < orig.length; i++) if (orig[i] && rnd[i]) overlap++;
    const frac = countKept(orig) / orig.length;
    assert.ok(Math.abs(overlap / countKept(orig) - frac) < 0.02, `overlap ${overlap / countKept(orig)}`);
    // dense and empty layers stay dense and empty; works for both sides of one half
    const edge: Masks = new Map([
      ['full', new Uint8Array(50).fill(1)],
      ['empty', new Uint8Array(50)],
      ['most', Uint8Array.from({ length: 50 }, (_, i) => (i < 45 ? 1 : 0))],
    ]);
    assert.deepEqual(kept(randomMasksLike(edge, new Rng(1))), { full: 50, empty: 0, most: 45 });
  });

  test('randomMasksLike is uniform over positions', () => {
    const masks: Masks = new Map([
      ['few', Uint8Array.from([1, 1, 0, 0, 0, 0, 0, 0])],
      ['many', Uint8Array.from([1, 1, 1, 1, 1, 1, 0, 0])],
    ]);
    const rng = new Rng(9);
    const freq = { few: new Array<number>(8).fill(0), many: new Array<number>(8).fill(0) };
    const trials = 8000;
    for (let t = 0; t < trials; t++) {
      const r = randomMasksLike(masks, rng);
      for (const k of ['few', 'many'] as const) for (let i = 0; i < 8; i++) freq[k][i] += r.get(k)![i];
    }
    for (let i = 0; i < 8; i++) {
      assert.ok(Math.abs(freq.few[i] / trials - 0.25) < 0.02);
      assert.ok(Math.abs(freq.many[i] / trials - 0.75) < 0.02);
    }
  });
});

describe('helpers and reports', () => {
  test('applyMask zeroes pruned weights in place', () => {
    const w = new Float32Array([1, -2, 3, -4]);
    assert.equal(applyMask(w, Uint8Array.from([1, 0, 1, 0])), w);
    assert.deepEqual([...w], [1, 0, 3, 0]);
    const weights: Weights = new Map([['a', new Float64Array([5, 6])]]);
    applyMasks(weights, new Map([['a', Uint8Array.from([0, 1])]]));
    assert.deepEqual([...weights.get('a')!], [0, 6]);
    assert.throws(() => applyMask(w, new Uint8Array(3)), RangeError);
  });

  test('countOnes on unaligned views and non-0/1 values', () => {
    const buf = Uint8Array.from({ length: 103 }, (_, i) => (i % 3 === 0 ? 0 : i % 7 === 0 ? 255 : 1));
    for (const [s, e] of [
      [0, 103],
      [1, 102],
      [3, 10],
      [2, 3],
      [5, 5],
    ]) {
      const v = buf.subarray(s, e);
      assert.equal(countOnes(v), [...v].filter((x) => x !== 0).length);
    }
  });

  test('sparsityReport rows, totals, desired fractions, and formatting', () => {
    let masks = fullMasks(LENET);
    const weights = normalWeights(LENET, 2);
    for (let r = 0; r < 3; r++) masks = pruneMasks(LENET, weights, masks, LENET_SPEC);
    const report = sparsityReport(LENET, masks, { rates: LENET_SPEC.rates, rounds: 3 });
    assert.deepEqual(
      report.rows.map((r) => [r.layer, r.kind, r.total, r.kept]),
      [
        ['fc1', 'fc', 235200, 120422],
        ['fc2', 'fc', 30000, 15360],
        ['out', 'output', 1000, 729],
      ],
    );
    for (const r of report.rows) assert.equal(r.fractionRemaining, r.desiredFractionRemaining);
    assert.equal(report.totals.total, 266200);
    assert.equal(report.totals.kept, 120422 + 15360 + 729);
    assert.ok(Math.abs(report.totals.desiredFractionRemaining! - report.totals.fractionRemaining) < 1e-12);

    const md = formatSparsityReport(report);
    const lines = md.split('\n');
    assert.equal(lines.length, 6);
    assert.match(lines[0], /^\| layer +\| kind +\| +weights \| +kept \| remaining \| +desired \|$/);
    assert.match(lines[1], /^\|-+\|-+\|-+:\|-+:\|-+:\|-+:\|$/);
    assert.match(lines[2], /^\| fc1 +\| fc +\| +235200 \| +120422 \| +51\.20% \| +51\.20% \|$/);
    assert.match(lines[5], /\*\*total\*\*/);
    assert.ok(lines.every((l) => l.length === lines[0].length));

    const ascii = formatSparsityReport(sparsityReport(LENET, masks), { format: 'ascii', digits: 1 });
    const al = ascii.split('\n');
    assert.match(al[0], /^\+-+\+-+\+-+\+-+\+-+\+$/);
    assert.ok(!ascii.includes('desired'));
    assert.ok(ascii.includes('51.2%'));
    assert.ok(al.every((l) => l.length === al[0].length));

    // desired given per layer; a missing entry leaves the total's desired fraction unknown
    const partial = sparsityReport(LENET, masks, new Map([['fc1', 0.5]]));
    assert.equal(partial.rows[0].desiredFractionRemaining, 0.5);
    assert.equal(partial.rows[1].desiredFractionRemaining, null);
    assert.equal(partial.totals.desiredFractionRemaining, null);
    // a layer without a mask counts as dense
    assert.equal(sparsityReport(LENET, new Map()).totals.fractionRemaining, 1);
  });
});

describe('speed', () => {
  test('LeNet-300-100 magnitude pruning takes milliseconds', () => {
    const weights = normalWeights(LENET, 1);
    let masks = fullMasks(LENET);
    masks = pruneMasks(LENET, weights, masks, LENET_SPEC); // warm up
    const t0 = performance.now();
    for (let r = 0; r < 10; r++) masks = pruneMasks(LENET, weights, masks, LENET_SPEC);
    const ms = (performance.now() - t0) / 10;
    // generous bound for a loaded CI machine; typically a few ms
    assert.ok(ms < 100, `${ms.toFixed(1)} ms per round`);
  });
});
