import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  countKept,
  criterionNamed,
  criterionNames,
  fullMasks,
  pruneLowest,
  pruneMasks,
  pruneRandomly,
  prunedCount,
  registerCriterion,
  registerScope,
  scopeNamed,
  scopeNames,
  type Criterion,
  type Masks,
  type PrunableLayer,
  type PruneSpec,
  type Weights,
} from '../src/prune/index.js';
import { Rng } from '../src/util/rng.js';
import { UserError } from '../src/util/errors.js';

// A new criterion, defined and registered in this file alone (Zhou et al.'s magnitude_increase).
const magnitudeIncrease: Criterion = {
  name: 'test_magnitude_increase',
  description: 'keep the weights whose magnitude grew most in training: |w_final| - |w_initial|',
  needs: ['initial'],
  score: ({ trained, initial }) => Float64Array.from(trained, (w, i) => Math.abs(w) - Math.abs(initial![i])),
};
registerCriterion(magnitudeIncrease);

// The magnitude criterion without its fast path: its scores go through signed selection.
registerCriterion({
  name: 'magnitude_by_score',
  description: 'test: magnitude scores as a plain array',
  score: (ctx) => criterionNamed('magnitude').score(ctx),
});

const CONV: PrunableLayer[] = [
  { name: 'conv1', kind: 'conv', shape: [4, 1, 3, 3] }, // 36
  { name: 'conv2', kind: 'conv', shape: [8, 4, 3, 3] }, // 288
  { name: 'fc1', kind: 'fc', shape: [50, 20] }, // 1000
  { name: 'fc2', kind: 'fc', shape: [20, 20] }, // 400
  { name: 'out', kind: 'output', shape: [20, 10] }, // 200
];

function randomWeights(layers: PrunableLayer[], rng: Rng, scale: Record<string, number> = {}): Weights {
  return new Map(
    layers.map((l) => {
      const n = l.shape.reduce((a, b) => a * b, 1);
      return [l.name, Float32Array.from({ length: n }, () => rng.normal() * (scale[l.name] ?? 1))];
    }),
  );
}

function kept(masks: Masks): Record<string, number> {
  return Object.fromEntries([...masks].map(([k, m]) => [k, countKept(m)]));
}

/** Reference: the k lowest scores among remaining, ties by (segment, index), via a stable sort. */
function referenceLowest(segs: { s: ArrayLike<number>; mask: Uint8Array }[], k: number): Uint8Array[] {
  const entries: { seg: number; i: number; v: number }[] = [];
  segs.forEach(({ s, mask }, seg) => {
    for (let i = 0; i < s.length; i++) if (mask[i] !== 0) entries.push({ seg, i, v: s[i] });
  });
  // -0 < 0 is false and -0 > 0 is false: the comparator treats them as equal, as it must
  entries.sort((x, y) => (x.v < y.v ? -1 : x.v > y.v ? 1 : 0));
  const out = segs.map(({ mask }) => mask.slice());
  for (const e of entries.slice(0, k)) out[e.seg][e.i] = 0;
  return out;
}

describe('built-in criteria', () => {
  const layer: PrunableLayer = { name: 'a', kind: 'fc', shape: [6] };
  const mask = Uint8Array.from([1, 1, 0, 1, 1, 1]);

  test('magnitude scores |w| of the trained weights, in their precision', () => {
    const magnitude = criterionNamed('magnitude');
    const trained = Float32Array.from([-2, 0.5, -0, 3, -0.25, 0]);
    const s = magnitude.score({ layer, trained, mask });
    assert.ok(s instanceof Float32Array);
    assert.deepEqual([...s], [2, 0.5, 0, 3, 0.25, 0]);
    assert.ok(Object.is(s[2], 0), '|-0| is +0');
    const s64 = magnitude.score({ layer, trained: Float64Array.from([-1e-300, 2, -3, 4, 5, -6]), mask });
    assert.ok(s64 instanceof Float64Array);
    assert.deepEqual([...s64], [1e-300, 2, 3, 4, 5, 6]);
    // the fast path hands over the weights themselves; selection reads |w| in place
    assert.equal(magnitude.magnitudeOf!({ layer, trained, mask }), trained);
    assert.equal(magnitude.needs, undefined);
  });

  test('random: magnitude scores for splitting a pool, and the draws of pruneRandomly', () => {
    const random = criterionNamed('random');
    const trained = Float32Array.from([-2, 0.5, -0, 3, -0.25, 0]);
    assert.deepEqual([...random.score({ layer, trained, mask })], [2, 0.5, 0, 3, 0.25, 0]);
    const a = mask.slice();
    const b = mask.slice();
    random.choose!({ layer, mask: a, count: 2, rng: new Rng(7) });
    pruneRandomly(b, 2, new Rng(7));
    assert.deepEqual(a, b);
    assert.equal(countKept(a), 3);
    for (let i = 0; i < 6; i++) assert.ok(a[i] <= mask[i]);
  });

  test('the registry lists built-ins first and refuses duplicates and unknown names', () => {
    assert.deepEqual(criterionNames().slice(0, 2), ['magnitude', 'random']);
    assert.ok(criterionNames().includes('test_magnitude_increase'));
    assert.throws(
      () => registerCriterion(magnitudeIncrease),
      /"test_magnitude_increase" is already registered/,
    );
    assert.throws(
      () => criterionNamed('no_such_criterion'),
      (e: unknown) => {
        assert.ok(e instanceof UserError);
        assert.match(e.message, /unknown pruning criterion "no_such_criterion" \(known: magnitude, random, /);
        return true;
      },
    );
    assert.throws(
      () => pruneMasks(CONV, new Map(), fullMasks(CONV), { strategy: 'nope', scope: 'layerwise', rates: {} }),
      UserError,
    );
    assert.throws(() => registerCriterion({ ...magnitudeIncrease, name: ' ' }), UserError); // a plugin's mistake: one message, no stack trace
    assert.throws(
      () => registerCriterion({ ...magnitudeIncrease, name: 'bad_source', needs: ['final' as 'initial'] }),
      /unknown weight source "final"/,
    );
  });
});

describe('selection of the lowest signed scores', () => {
  test('negatives below positives, -0 equal to +0, ties by position, -Infinity lowest', () => {
    const scores = Float32Array.from([0.5, -1, 0, -0, 2, -1, -Infinity, 0, Infinity, -0.5]);
    const mask = new Uint8Array(10).fill(1);
    mask[4] = 0; // already pruned: never counted, never revived
    // lowest five: -Infinity (6), -1 (1), -1 (5), -0.5 (9), then the first of the zeros (2)
    const m = mask.slice();
    assert.deepEqual(pruneLowest([{ name: 'x', scores, mask: m }], 5), [5]);
    assert.deepEqual([...m], [1, 0, 0, 1, 0, 0, 0, 1, 1, 0]);
    // the zeros are one tie: -0 at 3 does not go before +0 at 2
    const m2 = mask.slice();
    pruneLowest([{ name: 'x', scores, mask: m2 }], 6);
    assert.deepEqual([...m2], [1, 0, 0, 0, 0, 0, 0, 1, 1, 0]);
    // float64: the same, and precision beyond float32 counts
    const m3 = mask.slice();
    pruneLowest([{ name: 'x', scores: Float64Array.from(scores), mask: m3 }], 6);
    assert.deepEqual(m3, m2);
    const fine = new Float64Array([-(1 + 2 ** -40), -1, -(1 + 2 ** -45), 1 + 2 ** -50, 1]);
    const m4 = new Uint8Array(5).fill(1);
    pruneLowest([{ name: 'f', scores: fine, mask: m4 }], 2);
    assert.deepEqual([...m4], [0, 1, 0, 1, 1]);
  });

  test('absolute selects by |score| in place', () => {
    const scores = Float32Array.from([-3, 1, -0.5, 2, 0.25]);
    const m = new Uint8Array(5).fill(1);
    pruneLowest([{ name: 'x', scores, mask: m }], 2, { absolute: true });
    assert.deepEqual([...m], [1, 1, 0, 1, 0]);
  });

  test('NaN at a remaining position is an error naming layer and index; pruned NaNs are ignored', () => {
    const scores = Float32Array.from([1, Number.NaN, 2]);
    assert.throws(
      () =>
        pruneLowest([{ name: 'L', scores, mask: new Uint8Array(3).fill(1) }], 1, { label: 'the "x" score' }),
      /the "x" score of L\[1\] is NaN/,
    );
    assert.throws(
      () =>
        pruneLowest([{ name: 'L', scores: Float64Array.from(scores), mask: new Uint8Array(3).fill(1) }], 1),
      /score of L\[1\] is NaN/,
    );
    const m = Uint8Array.from([1, 0, 1]);
    pruneLowest([{ name: 'L', scores, mask: m }], 1);
    assert.deepEqual([...m], [0, 0, 1]);
  });

  test('equals a sort-based reference (signed, ties, float32, float64, mixed pools)', () => {
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
      -3.4e38,
      Infinity,
      -Infinity,
      1.4e-45,
      -1.4e-45,
    ];
    const value = fc.oneof(
      // mostly a few values, so that ties (and ±0 ties) fall at the threshold
      { arbitrary: fc.constantFrom(0, -0, 1, -1), weight: 4 },
      { arbitrary: fc.constantFrom(...special), weight: 2 },
      { arbitrary: fc.float({ noNaN: true }), weight: 1 },
      { arbitrary: fc.double({ noNaN: true }), weight: 1 },
      { arbitrary: fc.integer({ min: -3, max: 3 }), weight: 1 },
    );
    const segmentArb = fc
      .array(fc.tuple(value, fc.boolean()), { minLength: 0, maxLength: 60 })
      .map((xs) => ({ s: xs.map((x) => x[0]), mask: Uint8Array.from(xs.map((x) => (x[1] ? 1 : 0))) }));
    fc.assert(
      fc.property(
        fc.array(segmentArb, { minLength: 1, maxLength: 4 }),
        // k drawn uniformly (fc.double's bias to its bounds would make k mostly 0 or everything)
        fc.nat({ max: 1 << 20 }),
        fc.constantFrom('f32', 'f64', 'mixed'),
        fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
        fc.boolean(),
        (segs, draw, precision, use64, absolute) => {
          const typed = segs.map((s, i) => ({
            name: `s${i}`,
            scores:
              precision === 'f64' || (precision === 'mixed' && use64[i])
                ? Float64Array.from(s.s)
                : Float32Array.from(s.s),
            mask: s.mask.slice(),
          }));
          const remaining = typed.reduce((a, t) => a + countKept(t.mask), 0);
          const k = draw % (remaining + 1);
          const expected = referenceLowest(
            typed.map((t) => ({
              s: Array.from(t.scores, (x) => (absolute ? Math.abs(x) : x)),
              mask: t.mask,
            })),
            k,
          );
          const counts = pruneLowest(typed, k, { absolute });
          typed.forEach((t, i) => assert.deepEqual(t.mask, expected[i]));
          assert.equal(
            counts.reduce((a, b) => a + b, 0),
            k,
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('a criterion registered from this file: magnitude_increase', () => {
  test('prunes the lowest |w_f| - |w_i| (negative scores first), per layer', () => {
    const layers: PrunableLayer[] = [{ name: 'a', kind: 'fc', shape: [6] }];
    const initial: Weights = new Map([['a', Float32Array.from([1, -1, 0.5, 2, -0.1, 0])]]);
    const trained: Weights = new Map([['a', Float32Array.from([0.5, -3, 0.5, -1, 0.1, 0.2])]]);
    // scores: -0.5, 2, 0, -1, 0, 0.2 → prune 3: index 3 (-1), index 0 (-0.5), index 2 (first 0)
    const spec: PruneSpec = {
      strategy: 'test_magnitude_increase',
      scope: 'layerwise',
      rates: { fc: 0.5 },
      sources: { initial },
    };
    const m = pruneMasks(layers, trained, fullMasks(layers), spec);
    assert.deepEqual([...m.get('a')!], [0, 1, 0, 0, 1, 1]);
    // magnitude alone prunes |w| 0.1 (4), 0.2 (5) and the first 0.5 (0), keeping 3 (|w| = 1)
    const mag = pruneMasks(layers, trained, fullMasks(layers), { ...spec, strategy: 'magnitude' });
    assert.deepEqual([...mag.get('a')!], [0, 1, 1, 1, 0, 0]);
  });

  test('matches the sort reference, layer-wise and global, over several rounds', () => {
    const rng = new Rng(3);
    const initial = randomWeights(CONV, rng);
    let masks = fullMasks(CONV);
    let globalMasks = fullMasks(CONV);
    for (let round = 0; round < 3; round++) {
      const trained = randomWeights(CONV, rng);
      const spec: PruneSpec = {
        strategy: 'test_magnitude_increase',
        scope: 'layerwise',
        rates: { conv: 0.2, fc: 0.3, output: 0.1 },
        sources: { initial },
      };
      const scores = (name: string) =>
        Array.from(trained.get(name)!, (w, i) => Math.abs(w) - Math.abs(initial.get(name)![i]));
      const next = pruneMasks(CONV, trained, masks, spec);
      for (const l of CONV) {
        const m = masks.get(l.name)!;
        const [expected] = referenceLowest(
          [{ s: scores(l.name), mask: m }],
          prunedCount(spec.rates[l.kind]!, countKept(m)),
        );
        assert.deepEqual(next.get(l.name), expected, `${l.name}, round ${round}`);
      }
      masks = next;
      const g = pruneMasks(CONV, trained, globalMasks, { ...spec, scope: 'global' });
      const pool = ['conv1', 'conv2'];
      const before = pool.map((n) => ({ s: scores(n), mask: globalMasks.get(n)! }));
      const remaining = before.reduce((a, b) => a + countKept(b.mask), 0);
      const expected = referenceLowest(before, prunedCount(0.2, remaining));
      pool.forEach((n, i) => assert.deepEqual(g.get(n), expected[i]));
      globalMasks = g;
    }
  });

  test('without θ₀ it fails naming the missing source; sources are checked per layer', () => {
    const trained = randomWeights(CONV, new Rng(1));
    const spec: PruneSpec = { strategy: 'test_magnitude_increase', scope: 'layerwise', rates: { fc: 0.2 } };
    assert.throws(
      () => pruneMasks(CONV, trained, fullMasks(CONV), spec),
      (e: unknown) => {
        assert.ok(e instanceof UserError);
        assert.match(e.message, /criterion "test_magnitude_increase" needs the initial weights \(θ₀\)/);
        assert.match(e.fix ?? '', /spec\.sources\.initial/);
        return true;
      },
    );
    // a rewind point does not stand in for θ₀
    assert.throws(
      () => pruneMasks(CONV, trained, fullMasks(CONV), { ...spec, sources: { rewind: trained } }),
      /θ₀/,
    );
    const partial = new Map(trained);
    partial.delete('fc2');
    assert.throws(
      () => pruneMasks(CONV, trained, fullMasks(CONV), { ...spec, sources: { initial: partial } }),
      /spec\.sources\.initial has no weights for layer fc2/,
    );
    const short = new Map(trained);
    short.set('out', new Float32Array(3));
    assert.throws(
      () => pruneMasks(CONV, trained, fullMasks(CONV), { ...spec, sources: { initial: short } }),
      /initial weights of out have 3 entries, expected 200/,
    );
  });

  test('criteria that do not need θ₀ ignore given sources; scores of the wrong length are refused', () => {
    const rng = new Rng(2);
    const trained = randomWeights(CONV, rng);
    const spec: PruneSpec = { strategy: 'magnitude', scope: 'layerwise', rates: { conv: 0.2, fc: 0.2 } };
    const a = pruneMasks(CONV, trained, fullMasks(CONV), spec);
    const b = pruneMasks(CONV, trained, fullMasks(CONV), {
      ...spec,
      sources: { initial: randomWeights(CONV, rng) },
    });
    for (const l of CONV) assert.deepEqual(a.get(l.name), b.get(l.name));
    registerCriterion({ name: 'short_scores', description: 'test', score: () => new Float32Array(2) });
    assert.throws(
      () => pruneMasks(CONV, trained, fullMasks(CONV), { ...spec, strategy: 'short_scores' }),
      /"short_scores" gave 2 scores for layer conv1 of 36 weights/,
    );
  });
});

describe('magnitude through signed selection equals the fast path', () => {
  test('same masks with and without magnitudeOf (float32, float64, layer-wise, global, per-kind)', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.constantFrom('layerwise', 'global', 'per-kind'),
        fc.boolean(),
        (seed, scope, f64) => {
          const rng = new Rng(seed);
          let fast = fullMasks(CONV);
          let slow = fullMasks(CONV);
          for (let r = 0; r < 3; r++) {
            // few distinct values: many ties, and both zeros
            const weights: Weights = new Map(
              CONV.map((l) => {
                const n = l.shape.reduce((a, b) => a * b, 1);
                const vals = Array.from({ length: n }, () => (rng.int(11) - 5) / 4);
                return [l.name, f64 ? Float64Array.from(vals) : Float32Array.from(vals)];
              }),
            );
            const spec: PruneSpec = {
              strategy: 'magnitude',
              scope,
              rates: { conv: 0.3, fc: 0.2, output: 0.1 },
            };
            fast = pruneMasks(CONV, weights, fast, spec);
            slow = pruneMasks(CONV, weights, slow, { ...spec, strategy: 'magnitude_by_score' });
            for (const l of CONV) assert.deepEqual(slow.get(l.name), fast.get(l.name));
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('scopes', () => {
  test('the registry: layerwise, global, per-kind', () => {
    assert.deepEqual(scopeNames().slice(0, 3), ['layerwise', 'global', 'per-kind']);
    assert.throws(
      () => scopeNamed('everywhere'),
      /unknown pruning scope "everywhere" \(known: layerwise, global, per-kind/,
    );
    assert.throws(() => registerScope(scopeNamed('global')), /already registered/);
  });

  test('pools of each scope', () => {
    const spec: PruneSpec = { strategy: 'magnitude', scope: '', rates: { conv: 0.3, fc: 0.2, output: 0.1 } };
    const pools = (name: string, s: PruneSpec = spec) =>
      scopeNamed(name)
        .pools(CONV, s)
        .map((p) => [p.layers.map((l) => l.name).join('+'), p.rate]);
    assert.deepEqual(pools('layerwise'), [
      ['conv1', 0.3],
      ['conv2', 0.3],
      ['fc1', 0.2],
      ['fc2', 0.2],
      ['out', 0.1],
    ]);
    assert.deepEqual(pools('global'), [
      ['conv1+conv2', 0.3],
      ['fc1', 0.2],
      ['fc2', 0.2],
      ['out', 0.1],
    ]);
    assert.deepEqual(pools('per-kind'), [
      ['conv1+conv2', 0.3],
      ['fc1+fc2', 0.2],
      ['out', 0.1],
    ]);
    // a kind without a rate is one pool at rate 0
    assert.deepEqual(pools('per-kind', { ...spec, rates: { fc: 0.5 } }), [
      ['conv1+conv2', 0],
      ['fc1+fc2', 0.5],
      ['out', 0],
    ]);
  });

  test('per-kind: one threshold per kind, each kind losing round(rate × its remaining)', () => {
    const rng = new Rng(5);
    // fc2 ten times smaller than fc1, conv1 ten times smaller than conv2: per-kind takes them first
    const weights = randomWeights(CONV, rng, { fc2: 0.1, conv1: 0.1 });
    const spec: PruneSpec = {
      strategy: 'magnitude',
      scope: 'per-kind',
      rates: { conv: 0.3, fc: 0.2, output: 0.1 },
    };
    let masks = fullMasks(CONV);
    let conv = 36 + 288;
    let fcs = 1400;
    let out = 200;
    for (let r = 0; r < 3; r++) {
      const before = masks;
      masks = pruneMasks(CONV, weights, masks, spec);
      conv -= prunedCount(0.3, conv);
      fcs -= prunedCount(0.2, fcs);
      out -= prunedCount(0.1, out);
      const k = kept(masks);
      assert.deepEqual([k.conv1 + k.conv2, k.fc1 + k.fc2, k.out], [conv, fcs, out]);
      // one threshold within each kind: every newly pruned |w| ≤ every kept |w| of that kind
      for (const kind of [
        ['conv1', 'conv2'],
        ['fc1', 'fc2'],
      ]) {
        let maxPruned = 0;
        let minKept = Infinity;
        for (const name of kind) {
          const w = weights.get(name)!;
          const [b, a] = [before.get(name)!, masks.get(name)!];
          for (let i = 0; i < w.length; i++) {
            if (b[i] && !a[i]) maxPruned = Math.max(maxPruned, Math.abs(w[i]));
            if (a[i]) minKept = Math.min(minKept, Math.abs(w[i]));
          }
        }
        assert.ok(maxPruned <= minKept, kind.join('+'));
      }
    }
    const k = kept(masks);
    assert.ok(k.fc2 / 400 < k.fc1 / 1000 && k.conv1 / 36 < k.conv2 / 288);
    // the conv pool is global pruning's default pool: same conv masks
    const g = pruneMasks(CONV, weights, fullMasks(CONV), { ...spec, scope: 'global' });
    const p = pruneMasks(CONV, weights, fullMasks(CONV), spec);
    for (const name of ['conv1', 'conv2', 'out']) assert.deepEqual(p.get(name), g.get(name));
  });

  test('random with per-kind scope: the per-layer counts of magnitude, drawn at random', () => {
    const weights = randomWeights(CONV, new Rng(8), { fc2: 0.2 });
    const spec: PruneSpec = {
      strategy: 'magnitude',
      scope: 'per-kind',
      rates: { conv: 0.3, fc: 0.5, output: 0.1 },
    };
    const mag = pruneMasks(CONV, weights, fullMasks(CONV), spec);
    const rnd = pruneMasks(CONV, weights, fullMasks(CONV), { ...spec, strategy: 'random', seed: 4 });
    assert.deepEqual(kept(rnd), kept(mag));
    assert.notDeepEqual(rnd.get('fc1'), mag.get('fc1'));
  });

  test('a scope registered from a test: pools every layer together', () => {
    registerScope({
      name: 'everything',
      description: 'test: one pool of all layers at the fc rate',
      pools: (layers, spec) => [{ layers: [...layers], rate: spec.rates.fc ?? 0 }],
    });
    const weights = randomWeights(CONV, new Rng(9));
    const m = pruneMasks(CONV, weights, fullMasks(CONV), {
      strategy: 'magnitude',
      scope: 'everything',
      rates: { fc: 0.25 },
    });
    const total = CONV.reduce((a, l) => a + l.shape.reduce((x, y) => x * y, 1), 0);
    assert.equal(
      Object.values(kept(m)).reduce((a, b) => a + b, 0),
      total - prunedCount(0.25, total),
    );
    registerScope({
      name: 'overlapping',
      description: 'test: a broken scope',
      pools: (layers) => [
        { layers: [layers[0]], rate: 0.1 },
        { layers: [layers[0]], rate: 0.1 },
      ],
    });
    assert.throws(
      () =>
        pruneMasks(CONV, weights, fullMasks(CONV), {
          strategy: 'magnitude',
          scope: 'overlapping',
          rates: {},
        }),
      /put layer conv1 in two pools/,
    );
  });
});
