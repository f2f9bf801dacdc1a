/**
 * Pruning granularities (issue 14, item 3): masks of every granularity on hand-made tensors (expected
 * masks computed by hand, ties included), N:M masks keep exactly N of every M (property test), pruning
 * is cumulative (pruned groups stay pruned), local vs global context, and the refusals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  type Masks,
  type PrunableLayer,
  type PruneSpec,
  fullMasks,
  granularityNamed,
  granularityNames,
  pruneMasks,
} from '../src/prune/index.js';
import { masksAtSparsity } from '../src/train/gradual.js';
import { resolveConfig, runIdentity } from '../src/lottery/resolve.js';
import { pruneSpecFor } from '../src/lottery/tickets.js';
import { Rng } from '../src/util/rng.js';
import { UserError } from '../src/util/errors.js';

const bits = (m: Uint8Array) => Array.from(m).join('');
const spec = (granularity: string, rate: number, extra: Partial<PruneSpec> = {}): PruneSpec => ({
  strategy: 'magnitude',
  scope: 'layerwise',
  rates: { fc: rate, conv: rate, output: rate },
  granularity,
  ...extra,
});
const one = (layer: PrunableLayer, w: number[], s: PruneSpec, masks?: Masks) =>
  bits(
    pruneMasks([layer], new Map([[layer.name, Float32Array.from(w)]]), masks ?? fullMasks([layer]), s).get(
      layer.name,
    )!,
  );

// a linear weight [3, 4]: rows are output units, columns inputs
const linear: PrunableLayer = { name: 'fc', kind: 'fc', shape: [3, 4] };
// prettier-ignore
const W_LINEAR = [
  1,   -2,  3, 0.5, // row means of |w|: 1.625
  4,    4, -1, 1,   // 2.5
  0.1, 0.2, 5, -0.3, // 1.4
]; // column means: 1.7, 2.0667, 3, 0.6

test('linear: row prunes output units, column inputs, by the mean |w| of the group', () => {
  assert.equal(one(linear, W_LINEAR, spec('row', 1 / 3)), '111111110000');
  assert.equal(one(linear, W_LINEAR, spec('column', 0.5)), '011001100110');
  // weight: the unstructured default, the same with or without the setting
  assert.equal(
    one(linear, W_LINEAR, spec('weight', 0.5)),
    one(linear, W_LINEAR, { ...spec('', 0.5), granularity: undefined }),
  );
});

test('linear: tied groups go by position (the lower index first)', () => {
  // columns 1 and 3 both average 2, column 0 averages 3, column 2 averages 5
  const w = [3, 2, 5, -2, 3, -2, 5, 2];
  const layer: PrunableLayer = { name: 'fc', kind: 'fc', shape: [2, 4] };
  assert.equal(one(layer, w, spec('column', 0.25)), '10111011');
  assert.equal(one(layer, w, spec('column', 0.5)), '10101010');
});

// a conv weight [co 2, ci 2, kh 2, kw 2]
const conv: PrunableLayer = { name: 'conv', kind: 'conv', shape: [2, 2, 2, 2] };
// prettier-ignore
const W_CONV = [
  1, 2, 3, 4, /* co0 ci0 */ 0, 0, 9, 0, /* co0 ci1 */
  5, 0, 0, 0, /* co1 ci0 */ 1, 1, 1, 1, /* co1 ci1 */
];

test('conv: kernel, filter, row, column and channel as fasterai defines them', () => {
  // kernels (co, ci): 2.5, 2.25, 1.25, 1
  assert.equal(one(conv, W_CONV, spec('kernel', 0.25)), '1111111111110000');
  assert.equal(one(conv, W_CONV, spec('kernel', 0.5)), '1111111100000000');
  // filters: co0 2.375, co1 1.125
  assert.equal(one(conv, W_CONV, spec('filter', 0.5)), '1111111100000000');
  // row = averaged over kw, groups (co, ci, y): 1.5 3.5 | 0 4.5 | 2.5 0 | 1 1
  assert.equal(one(conv, W_CONV, spec('row', 0.5)), '1111001111000000');
  // column = averaged over kh, groups (co, ci, x): 2 3 | 4.5 0 | 2.5 0 | 1 1
  assert.equal(one(conv, W_CONV, spec('column', 0.5)), '1111101010100000');
  // channel = averaged over ci, groups (co, y, x): 0.5 1 6 2 | 3 0.5 0.5 0.5
  assert.equal(one(conv, W_CONV, spec('channel', 0.5)), '0111011110001000');
  // three of the four tied 0.5 go, the last one (co1, y1, x1) stays
  assert.equal(one(conv, W_CONV, spec('channel', 3 / 8)), '0111011110011001');
});

test('a group scores the mean over its kept weights only (a pruned weight is not a 0)', () => {
  const layer: PrunableLayer = { name: 'fc', kind: 'fc', shape: [2, 2] };
  // row 0 keeps only its 3 (mean 3); row 1 keeps both (mean 2.5). Counting the pruned weight as 0
  // would give row 0 1.5 and prune it instead.
  const masks: Masks = new Map([['fc', Uint8Array.from([1, 0, 1, 1])]]);
  assert.equal(one(layer, [3, 0, 2, 3], spec('row', 0.5), masks), '1000');
  // criteria with negative scores: small_final keeps the smallest |w| (score −|w|)
  assert.equal(one(layer, [3, 3, 1, 1], spec('row', 0.5, { strategy: 'small_final' })), '0011');
});

test('cumulative: a pruned group stays pruned, whatever its weights become', () => {
  const layer: PrunableLayer = { name: 'fc', kind: 'fc', shape: [4, 2] };
  const first = pruneMasks(
    [layer],
    new Map([['fc', Float32Array.from([1, 1, 2, 2, 3, 3, 4, 4])]]),
    fullMasks([layer]),
    spec('row', 0.5),
  );
  assert.equal(bits(first.get('fc')!), '00001111');
  // now the pruned rows hold the largest values: they still do not come back
  const second = pruneMasks(
    [layer],
    new Map([['fc', Float32Array.from([9, 9, 9, 9, 3, 3, 1, 1])]]),
    first,
    spec('row', 0.5),
  );
  assert.equal(bits(second.get('fc')!), '00001100');
  // during training too: to 25% of the rows, then 50%, then back to 25% (dsd): the first pruned row grows back
  const o = { strategy: 'magnitude', scope: 'layerwise', layers: [layer], granularity: 'row' };
  const rng = new Rng(0);
  const weights = (w: number[]) => new Map([['fc', Float32Array.from(w)]]);
  const s1 = masksAtSparsity(o, 0.25, weights([1, 1, 2, 2, 3, 3, 4, 4]), fullMasks([layer]), {}, rng)!;
  assert.equal(bits(s1.get('fc')!), '00111111');
  const s2 = masksAtSparsity(o, 0.5, weights([9, 9, 5, 5, 3, 3, 4, 4]), s1, {}, rng)!;
  assert.equal(bits(s2.get('fc')!), '00110011');
  assert.equal(masksAtSparsity(o, 0.5, weights([9, 9, 5, 5, 3, 3, 4, 4]), s2, {}, rng), null);
  const s3 = masksAtSparsity(o, 0.25, weights([0, 0, 5, 5, 0, 0, 4, 4]), s2, {}, rng)!;
  assert.equal(bits(s3.get('fc')!), '11110011');
});

test('local vs global context on two layers: one threshold over both layers’ groups, or one per layer', () => {
  const a: PrunableLayer = { name: 'a', kind: 'fc', shape: [2, 2] };
  const b: PrunableLayer = { name: 'b', kind: 'fc', shape: [2, 2] };
  const weights = new Map([
    ['a', Float32Array.from([1, 1, 2, 2])], // rows 1, 2
    ['b', Float32Array.from([3, 3, 4, 4])], // rows 3, 4
  ]);
  const run = (scope: string) => {
    const out = pruneMasks([a, b], weights, fullMasks([a, b]), { ...spec('row', 0.5), scope });
    return `${bits(out.get('a')!)} ${bits(out.get('b')!)}`;
  };
  assert.equal(run('layerwise'), '0011 0011');
  assert.equal(run('global'), '0000 1111');
  // during training: the global pool's target counts groups of both layers
  const o = { strategy: 'magnitude', scope: 'global', layers: [a, b], granularity: 'row' };
  const out = masksAtSparsity(o, 0.5, weights, fullMasks([a, b]), {}, new Rng(0))!;
  assert.equal(`${bits(out.get('a')!)} ${bits(out.get('b')!)}`, '0000 1111');
});

test('a global pool of groups of different sizes counts groups, not weights', () => {
  const small: PrunableLayer = { name: 'c1', kind: 'conv', shape: [2, 1, 1, 1] };
  const big: PrunableLayer = { name: 'c2', kind: 'conv', shape: [2, 4, 1, 1] };
  const weights = new Map([
    ['c1', Float32Array.from([5, 6])],
    ['c2', Float32Array.from([1, 1, 1, 1, 7, 7, 7, 7])],
  ]);
  const out = pruneMasks([small, big], weights, fullMasks([small, big]), {
    ...spec('filter', 0.25),
    scope: 'global',
  });
  // one filter of four goes (the lowest mean, 1), which is 4 of the 10 weights
  assert.equal(`${bits(out.get('c1')!)} ${bits(out.get('c2')!)}`, '11 00001111');
});

test('N:M on hand-made tensors: along the input axis, ties by position', () => {
  const layer: PrunableLayer = { name: 'fc', kind: 'fc', shape: [2, 8] };
  const w = [1, -4, 3, 2, 0, 0, 0, 0, 5, 5, 5, 5, 1, 2, 3, -4];
  assert.equal(one(layer, w, spec('2:4', 0.2)), '0110001100110011');
  assert.equal(one(layer, w, spec('1:4', 0.2)), '0100000100010001');
  // a rate of 0 leaves the kind unpruned; N:M does not depend on the rate otherwise
  assert.equal(one(layer, w, spec('2:4', 0)), '1111111111111111');
  assert.equal(one(layer, w, spec('2:4', 0.9)), one(layer, w, spec('2:4', 0.2)));
  // conv [co 1, ci 4, 1, 2]: blocks run over ci at each (y, x), i.e. with stride kh·kw = 2
  const c: PrunableLayer = { name: 'c', kind: 'conv', shape: [1, 4, 1, 2] };
  assert.equal(one(c, [1, 8, 2, 7, 3, 6, 4, 5], spec('2:4', 0.5)), '01011010');
});

/** Every block of `layer` (along the input axis) as lists of flat indices. */
function blocksOf(shape: number[], m: number): number[][] {
  const [outs, ins] = shape;
  const inner = shape.slice(2).reduce((p, d) => p * d, 1);
  const blocks: number[][] = [];
  for (let o = 0; o < outs; o++)
    for (let p = 0; p < inner; p++)
      for (let s = 0; s < ins; s += m) {
        const block: number[] = [];
        for (let i = s; i < Math.min(s + m, ins); i++) block.push((o * ins + i) * inner + p);
        blocks.push(block);
      }
  return blocks;
}

test('N:M property: every block keeps exactly min(N, its kept weights), the highest, pruned ones stay pruned', () => {
  const NM = [
    [1, 2],
    [2, 4],
    [1, 4],
    [3, 8],
  ];
  fc.assert(
    fc.property(
      fc.constantFrom(...NM),
      fc.boolean(),
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      fc.boolean(),
      ([n, m], isConv, outs, blocksPerRow, k, seed, partial) => {
        // sometimes an input size that is no multiple of M (a shorter last block)
        const ins = blocksPerRow * m + (partial ? 1 : 0);
        const shape = isConv ? [outs, ins, k, k] : [outs, ins];
        const layer: PrunableLayer = { name: 'l', kind: isConv ? 'conv' : 'fc', shape };
        const size = shape.reduce((p, d) => p * d, 1);
        const rng = new Rng(seed);
        // few distinct values, so ties are common
        const w = Float32Array.from({ length: size }, () => rng.int(5) - 2);
        const before = Uint8Array.from({ length: size }, () => (rng.int(4) === 0 ? 0 : 1));
        const out = pruneMasks(
          [layer],
          new Map([['l', w]]),
          new Map([['l', before]]),
          spec(`${n}:${m}`, 0.5),
        ).get('l')!;
        for (const block of blocksOf(shape, m)) {
          const keptBefore = block.filter((i) => before[i] === 1);
          const kept = block.filter((i) => out[i] === 1);
          assert.equal(kept.length, Math.min(n, keptBefore.length));
          for (const i of kept) assert.equal(before[i], 1, 'a pruned weight came back');
          const gone = keptBefore.filter((i) => out[i] === 0);
          // every kept weight scores at least as high as every one pruned here; at a tie the later stays
          for (const i of kept)
            for (const j of gone) {
              assert.ok(Math.abs(w[i]) >= Math.abs(w[j]));
              if (Math.abs(w[i]) === Math.abs(w[j])) assert.ok(i > j);
            }
        }
      },
    ),
    { numRuns: 200 },
  );
});

test('N:M with a choosing criterion (random) keeps N per block too, reproducibly from the seed', () => {
  const layer: PrunableLayer = { name: 'fc', kind: 'fc', shape: [6, 16] };
  const w = new Map([['fc', new Float32Array(96).fill(1)]]);
  const run = (seed: number) =>
    pruneMasks([layer], w, fullMasks([layer]), spec('2:4', 0.5, { strategy: 'random', seed })).get('fc')!;
  const a = run(1);
  for (const block of blocksOf(layer.shape, 4)) assert.equal(block.filter((i) => a[i] === 1).length, 2);
  assert.deepEqual(run(1), a);
  assert.notDeepEqual(run(2), a);
});

test('random groups: the count of magnitude, groups drawn at random, whole', () => {
  const layer: PrunableLayer = { name: 'c', kind: 'conv', shape: [8, 2, 3, 3] };
  const w = new Map([['c', Float32Array.from({ length: 144 }, (_, i) => i)]]);
  const out = pruneMasks(
    [layer],
    w,
    fullMasks([layer]),
    spec('filter', 0.5, { strategy: 'random', seed: 3 }),
  ).get('c')!;
  const filters = Array.from({ length: 8 }, (_, f) => out.subarray(f * 18, f * 18 + 18));
  assert.equal(filters.filter((f) => f.every((x) => x === 0)).length, 4);
  assert.equal(filters.filter((f) => f.every((x) => x === 1)).length, 4);
});

test('N:M during training: the schedule’s share of M per block (2:4 via 3:4), back up on a falling schedule', () => {
  const layer: PrunableLayer = { name: 'fc', kind: 'fc', shape: [1, 8] };
  const weights = new Map([['fc', Float32Array.from([1, 2, 3, 4, 8, 7, 6, 5])]]);
  const o = { strategy: 'magnitude', scope: 'global', layers: [layer], granularity: '2:4' };
  const rng = new Rng(0);
  // 1/6 → round(4/6) = 1 pruned per block; 1/3 → still 1 (no change); 1/2 → 2
  const s1 = masksAtSparsity(o, 1 / 6, weights, fullMasks([layer]), {}, rng)!;
  assert.equal(bits(s1.get('fc')!), '01111110');
  assert.equal(masksAtSparsity(o, 1 / 3, weights, s1, {}, rng), null);
  const s2 = masksAtSparsity(o, 0.5, weights, s1, {}, rng)!;
  assert.equal(bits(s2.get('fc')!), '00111100');
  // past 1 − N/M the blocks stay at N
  assert.equal(masksAtSparsity(o, 0.9, weights, s2, {}, rng), null);
  const back = masksAtSparsity(o, 0.2, weights, s2, {}, rng)!;
  assert.equal(bits(back.get('fc')!), '10111110');
});

test('granularities that do not apply, thresholds, biases and unknown names are UserErrors with a fix', () => {
  const fcLayer: PrunableLayer = { name: 'fc1.weight', kind: 'fc', shape: [3, 4] };
  for (const g of ['kernel', 'filter', 'channel'])
    assert.throws(
      () => one(fcLayer, W_LINEAR, spec(g, 0.5)),
      (e: unknown) =>
        e instanceof UserError &&
        /does not apply to fc1\.weight, a linear weight/.test(e.message) &&
        /rate 0/.test(e.fix!),
    );
  // a kind at rate 0 is not pruned, so it need not fit
  assert.equal(one(fcLayer, W_LINEAR, spec('kernel', 0)), '111111111111');
  const bias: PrunableLayer = { name: 'fc1.bias', kind: 'fc', shape: [3] };
  assert.throws(
    () => one(bias, [1, 2, 3], spec('row', 0.5)),
    (e: unknown) => e instanceof UserError && /--prune-biases/.test(e.fix!),
  );
  assert.throws(
    () => one(linear, W_LINEAR, spec('row', 0.5, { threshold: { rule: 'value', value: 1 } })),
    (e: unknown) => e instanceof UserError && /--keep rate/.test(e.fix!),
  );
  for (const bad of ['rows', '4:2', '2:2', '0:4', '2:4:8'])
    assert.throws(
      () => granularityNamed(bad),
      (e: unknown) => e instanceof UserError && /N:M/.test(e.message),
    );
  assert.deepEqual(granularityNames(), ['weight', 'row', 'column', 'channel', 'kernel', 'filter']);
  assert.equal(granularityNamed('2:4').nm?.m, 4);
});

test('the run identity names the granularity only when it is not weight', () => {
  const plain = runIdentity(resolveConfig({ model: 'lenet300' }));
  assert.deepEqual(runIdentity(resolveConfig({ model: 'lenet300', granularity: 'weight' })), plain);
  const rows = runIdentity(resolveConfig({ model: 'lenet300', granularity: 'row' }));
  assert.deepEqual(rows, { ...plain, granularity: 'row' });
  const nm = resolveConfig({ model: 'lenet300', granularity: '2:4', levels: 1 });
  assert.equal(runIdentity(nm).granularity, '2:4');
  // the settings a lottery unit prunes with carry it
  assert.equal(pruneSpecFor(nm, 1).spec.granularity, '2:4');
});
