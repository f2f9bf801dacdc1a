/** Zhou et al.'s criteria on small hand-made tensors: scores, selected counts, ties, signed scores. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  countKept,
  criterionNamed,
  criterionNames,
  fullMasks,
  pruneMasks,
  type PrunableLayer,
  type PruneSpec,
  type Weights,
} from '../src/prune/index.js';
import { Rng } from '../src/util/rng.js';

const layer: PrunableLayer = { name: 'a', kind: 'fc', shape: [6] };
const wf = Float32Array.from([0.5, -0.1, 0.3, -0.4, 0.2, 0.05]);
const wi = Float32Array.from([0.1, 0.2, -0.3, -0.1, 0.2, 0.05]);
const g = Float32Array.from([1, -2, 0.5, 0, -1, 4]);
const all = Uint8Array.from([1, 1, 1, 1, 1, 1]);

function scores(name: string, mask = all, sources: { rewind?: Float32Array } = {}): number[] {
  return Array.from(
    criterionNamed(name).score({ layer, trained: wf, initial: wi, gradient: g, mask, ...sources }),
  );
}

const f32 = (x: number) => Math.fround(x);
const near = (a: number[], b: number[]) =>
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]) < 1e-7, `${a} vs ${b}`));

function prune(name: string, rate: number, mask = all, extra: Partial<PruneSpec> = {}): Uint8Array {
  const masks = new Map([['a', mask.slice()]]);
  const spec: PruneSpec = {
    strategy: name,
    scope: 'layerwise',
    rates: { fc: rate },
    sources: {
      initial: new Map([['a', wi]]),
      gradient: new Map([['a', g]]),
    },
    ...extra,
  };
  return pruneMasks([layer], new Map([['a', wf]]) as Weights, masks, spec).get('a')!;
}

describe("Zhou et al.'s criteria", () => {
  test('all are registered after magnitude and random', () => {
    const names = criterionNames();
    for (const n of [
      'large_final',
      'small_final',
      'large_init',
      'small_init',
      'large_init_large_final',
      'small_init_small_final',
      'magnitude_increase',
      'movement',
      'movmag',
      'large_final_same_sign',
      'large_final_diff_sign',
      'magnitude_increase_same_sign',
      'magnitude_increase_diff_sign',
      'snip',
      'grad',
    ])
      assert.ok(names.includes(n), n);
    assert.deepEqual(names.slice(0, 2), ['magnitude', 'random']);
  });

  test('scores of the one-array criteria', () => {
    near(scores('large_final'), [0.5, 0.1, 0.3, 0.4, 0.2, 0.05].map(f32));
    near(scores('small_final'), [-0.5, -0.1, -0.3, -0.4, -0.2, -0.05].map(f32));
    near(scores('large_init'), [0.1, 0.2, 0.3, 0.1, 0.2, 0.05].map(f32));
    near(scores('small_init'), [-0.1, -0.2, -0.3, -0.1, -0.2, -0.05].map(f32));
    near(scores('grad'), [1, 2, 0.5, 0, 1, 4]);
    near(
      scores('snip'),
      [0.1, 0.4, 0.15, 0, 0.2, 0.2].map((x, i) => Math.abs(g[i] * wi[i]) + 0 * x),
    );
  });

  test('scores from w_f and w_i, signed, with −∞ for the sign-filtered', () => {
    const d = (i: number) => wf[i] - wi[i];
    near(
      scores('magnitude_increase'),
      [0.4, -0.1, 0, 0.3, 0, 0].map((_, i) => Math.abs(wf[i]) - Math.abs(wi[i])),
    );
    near(
      scores('movement'),
      [0, 1, 2, 3, 4, 5].map((i) => Math.abs(d(i))),
    );
    near(
      scores('movmag'),
      [0, 1, 2, 3, 4, 5].map((i) => Math.abs(wf[i] * d(i))),
    );
    // signs: same at 0 (+,+), 3 (−,−), 4 (+,+), 5 (+,+); differ at 1 (−,+), 2 (+,−)
    assert.deepEqual(scores('large_final_same_sign'), [
      f32(0.5),
      -Infinity,
      -Infinity,
      f32(0.4),
      f32(0.2),
      f32(0.05),
    ]);
    const lfd = scores('large_final_diff_sign');
    assert.deepEqual(lfd, [-Infinity, f32(0.1), f32(0.3), -Infinity, -Infinity, -Infinity]);
    const mis = scores('magnitude_increase_same_sign');
    assert.equal(mis[1], -Infinity);
    assert.equal(mis[2], -Infinity);
    assert.equal(mis[0], Math.abs(wf[0]) - Math.abs(wi[0]));
    const mid = scores('magnitude_increase_diff_sign');
    assert.deepEqual(
      mid.map((x) => x === -Infinity),
      [true, false, false, true, true, true],
    );
    assert.equal(mid[1], Math.abs(wf[1]) - Math.abs(wi[1]));
  });

  test('a zero has no sign: it agrees and disagrees with nothing', () => {
    const l: PrunableLayer = { name: 'z', kind: 'fc', shape: [3] };
    const c = {
      layer: l,
      trained: Float32Array.from([0, 1, -1]),
      initial: Float32Array.from([1, 0, -1]),
      mask: Uint8Array.from([1, 1, 1]),
    };
    assert.deepEqual(Array.from(criterionNamed('large_final_same_sign').score(c)), [-Infinity, -Infinity, 1]);
    assert.deepEqual(Array.from(criterionNamed('large_final_diff_sign').score(c)), [
      -Infinity,
      -Infinity,
      -Infinity,
    ]);
  });

  test('w_i is θ_k when the caller gives a rewind point', () => {
    const rewind = Float32Array.from([1, 1, 1, 1, 1, 1]);
    assert.deepEqual(scores('large_init', all, { rewind }), [1, 1, 1, 1, 1, 1]);
  });

  test('selected counts and which weights: rate 0.5 of 6 prunes 3, signed scores lowest first', () => {
    // small_final keeps the smallest |w_f|: 0.05, 0.1, 0.2 (positions 5, 1, 4)
    assert.deepEqual(Array.from(prune('small_final', 0.5)), [0, 1, 0, 0, 1, 1]);
    // magnitude_increase: [0.4, -0.1, 0, 0.3, 0, 0]: -0.1 first, then the three zeros by position (2, 4)
    assert.deepEqual(Array.from(prune('magnitude_increase', 0.5)), [1, 0, 0, 1, 0, 1]);
    // large_final_same_sign: the two sign-changers go first (−∞), then the smallest same-sign |w_f| (pos 5)
    assert.deepEqual(Array.from(prune('large_final_same_sign', 0.5)), [1, 0, 0, 1, 1, 0]);
    // snip: |g·w_i| = [0.1, 0.4, 0.15, 0, 0.2, 0.2]: prune 3, 0, 2
    assert.deepEqual(Array.from(prune('snip', 0.5)), [0, 1, 0, 0, 1, 1]);
    // grad: |g| = [1, 2, 0.5, 0, 1, 4]: prune 3, 2, then the tie 1 = 1 by position: 0
    assert.deepEqual(Array.from(prune('grad', 0.5)), [0, 1, 0, 0, 1, 1]);
  });

  test('ties: equal scores are pruned lower index first', () => {
    // large_init: |w_i| = [0.1, 0.2, 0.3, 0.1, 0.2, 0.05]; prune 2: pos 5, then 0 before 3 (tie 0.1)
    assert.deepEqual(Array.from(prune('large_init', 2 / 6)), [0, 1, 1, 1, 1, 0]);
    // prune 4: 5, 0, 3, then the 0.2-tie: 1 before 4
    assert.deepEqual(Array.from(prune('large_init', 4 / 6)), [0, 0, 1, 0, 1, 0]);
  });

  test('only remaining weights compete; pruned ones stay pruned', () => {
    const mask = Uint8Array.from([0, 1, 1, 1, 1, 1]);
    const out = prune('large_final', 0.4, mask); // 5 remaining → round(2) pruned: 0.05 (5) and 0.1 (1)
    assert.deepEqual(Array.from(out), [0, 0, 1, 1, 1, 0]);
  });

  test('large_init_large_final: the smallest common percentile that keeps the target count', () => {
    // ranks by |w_f| desc: 0(.5) 3(.4) 2(.3) 4(.2) 1(.1) 5(.05)
    // ranks by |w_i| desc (ties by position): 2(.3) 1(.2) 4(.2) 0(.1) 3(.1) 5(.05)
    // max rank: 0→3, 1→4, 2→2, 3→4, 4→3, 5→5. Depth 3 keeps {2}; 4 keeps {0,2,4}; 5 keeps {0,1,2,3,4}
    const s = scores('large_init_large_final');
    assert.deepEqual(s, [-4 / 6, -5 / 6, -3 / 6, -5 / 6, -4 / 6, -6 / 6]);
    assert.deepEqual(Array.from(prune('large_init_large_final', 0.5)), [1, 0, 1, 0, 1, 0]);
    // keeping 4: depth 5 adds 1 and 3 together; the lower index (1) goes first
    assert.deepEqual(Array.from(prune('large_init_large_final', 2 / 6)), [1, 0, 1, 1, 1, 0]);
    // by brute force: the kept set is the AND of the top-q sets for the smallest q with ≥ 3 kept
    const byRank = (v: Float32Array) =>
      [...v.keys()].sort((a, b) => Math.abs(v[b]) - Math.abs(v[a]) || a - b);
    const fi = byRank(wf);
    const ii = byRank(wi);
    for (let q = 1; q <= 6; q++) {
      const both = fi.slice(0, q).filter((i) => ii.slice(0, q).includes(i));
      if (both.length >= 3) {
        assert.deepEqual(both.sort(), [0, 2, 4]);
        break;
      }
    }
  });

  test('small_init_small_final ranks by smallest magnitudes', () => {
    // |w_f| asc: 5 1 4 2 3 0; |w_i| asc (ties by position): 5 0 3 1 4 2
    // max rank: 0→5, 1→3, 2→5, 3→4, 4→4, 5→0
    assert.deepEqual(scores('small_init_small_final'), [-6 / 6, -4 / 6, -6 / 6, -5 / 6, -5 / 6, -1 / 6]);
    assert.deepEqual(
      Array.from(prune('small_init_small_final', 0.5)),
      [0, 1, 0, 1, 0, 1].map((x, i) => (i === 3 ? 0 : i === 4 ? 1 : x)),
    );
  });

  test('large_final gives bit-identical masks to magnitude (layer-wise and global, over rounds)', () => {
    const rng = new Rng(3);
    const layers: PrunableLayer[] = [
      { name: 'c', kind: 'conv', shape: [4, 2, 3, 3] },
      { name: 'f', kind: 'fc', shape: [30, 20] },
      { name: 'o', kind: 'output', shape: [10, 30] },
    ];
    const weights: Weights = new Map(
      layers.map((l) => [
        l.name,
        Float32Array.from({ length: l.shape.reduce((a, b) => a * b) }, () => rng.normal()),
      ]),
    );
    for (const scope of ['layerwise', 'global', 'per-kind']) {
      let a = fullMasks(layers);
      let b = fullMasks(layers);
      for (let round = 0; round < 3; round++) {
        const spec = { scope, rates: { fc: 0.2, conv: 0.15, output: 0.1 } };
        a = pruneMasks(layers, weights, a, { strategy: 'magnitude', ...spec });
        b = pruneMasks(layers, weights, b, { strategy: 'large_final', ...spec });
        assert.deepEqual(a, b);
      }
      assert.ok(countKept(a.get('f')!) < 600);
    }
  });

  test('snip and grad without a gradient fail naming it', () => {
    assert.throws(
      () => prune('grad', 0.5, all, { sources: { initial: new Map([['a', wi]]) } }),
      /needs the gradient of one batch at θ₀/,
    );
  });
});
