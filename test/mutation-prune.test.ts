// Written to kill the mutants StrykerJS left alive in src/prune (see docs/mutation.md): the rounding
// rule's guards, the rate of a kind that has none, and the pools and rates of the global and per-kind
// scopes, each checked exactly on small hand-made layers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type PrunableLayer,
  type PruneSpec,
  globalPool,
  prunedCount,
  rateFor,
  scopeNamed,
} from '../src/prune/index.js';

const fc1: PrunableLayer = { name: 'fc1', kind: 'fc', shape: [4, 3] };
const conv1: PrunableLayer = { name: 'conv1', kind: 'conv', shape: [2, 1, 3, 3] };
const conv2: PrunableLayer = { name: 'conv2', kind: 'conv', shape: [2, 2, 3, 3] };
const fc2: PrunableLayer = { name: 'fc2', kind: 'fc', shape: [3, 4] };
const out: PrunableLayer = { name: 'out', kind: 'output', shape: [2, 3] };
const CONV_NET = [conv1, conv2, fc1, fc2, out];
const FC_NET = [fc1, fc2, out];

const spec = (over: Partial<PruneSpec>): PruneSpec => ({
  strategy: 'magnitude',
  scope: 'global',
  rates: {},
  ...over,
});
const names = (ls: readonly PrunableLayer[]) => ls.map((l) => l.name);
const poolsOf = (scope: string, layers: PrunableLayer[], s: PruneSpec) =>
  scopeNamed(scope)
    .pools(layers, s)
    .map((p) => [names(p.layers), p.rate]);

test('prunedCount: round half up of rate × remaining; bad rates and remaining counts are refused', () => {
  assert.equal(prunedCount(0.5, 3), 2);
  assert.equal(prunedCount(0.25, 2), 1);
  assert.equal(prunedCount(0.2, 2), 0);
  assert.equal(prunedCount(0.7, 5), 4);
  assert.equal(prunedCount(1, 7), 7);
  assert.equal(prunedCount(0, 7), 0);
  assert.equal(prunedCount(0.5, 0), 0);
  for (const rate of [1.01, -0.01, NaN]) assert.throws(() => prunedCount(rate, 10), /pruning rate must be/);
  for (const remaining of [-1, 2.5, NaN])
    assert.throws(
      () => prunedCount(0.5, remaining),
      (e: Error) => e instanceof RangeError,
    );
});

test('rateFor: the rate of a kind, 0 when the spec gives none (and 0 when it gives 0)', () => {
  assert.equal(rateFor({ fc: 0.2, output: 0.1 }, 'output'), 0.1);
  assert.equal(rateFor({ fc: 0.2 }, 'conv'), 0);
  assert.equal(rateFor({ fc: 0 }, 'fc'), 0);
});

test('global pool: every conv layer (else every fc layer, never output) at the conv rate, else fc', () => {
  const pool = (layers: PrunableLayer[], s: Partial<PruneSpec>) => {
    const p = globalPool(layers, spec(s));
    return [names(p.pool), p.rate];
  };
  assert.deepEqual(pool(CONV_NET, { rates: { conv: 0.1, fc: 0.2 } }), [['conv1', 'conv2'], 0.1]);
  assert.deepEqual(pool(CONV_NET, { rates: { fc: 0.2 } }), [['conv1', 'conv2'], 0.2]);
  assert.deepEqual(pool(FC_NET, { rates: { conv: 0.1, fc: 0.2 } }), [['fc1', 'fc2'], 0.2]);
  assert.deepEqual(pool(FC_NET, { rates: { conv: 0.1 } }), [['fc1', 'fc2'], 0]);
  assert.deepEqual(pool(CONV_NET, { rates: {} }), [['conv1', 'conv2'], 0]);
  // listed layers, in the model's order whatever the list's order; a list with a conv layer: conv rate
  assert.deepEqual(pool(CONV_NET, { globalLayers: ['out', 'fc1'], rates: { conv: 0.1, fc: 0.2 } }), [
    ['fc1', 'out'],
    0.2,
  ]);
  assert.deepEqual(pool(CONV_NET, { globalLayers: ['fc2', 'conv2'], rates: { conv: 0.1, fc: 0.2 } }), [
    ['conv2', 'fc2'],
    0.1,
  ]);
  assert.throws(
    () => globalPool(CONV_NET, spec({ globalLayers: ['fc1', 'nope'] })),
    /global pruning layer "nope" is not a prunable layer/,
  );
});

test('global scope: the pool first, every other layer alone at its kind’s rate', () => {
  const rates = { conv: 0.1, fc: 0.2, output: 0.05 };
  assert.deepEqual(poolsOf('global', CONV_NET, spec({ rates })), [
    [['conv1', 'conv2'], 0.1],
    [['fc1'], 0.2],
    [['fc2'], 0.2],
    [['out'], 0.05],
  ]);
  assert.deepEqual(poolsOf('global', FC_NET, spec({ rates: { fc: 0.2 } })), [
    [['fc1', 'fc2'], 0.2],
    [['out'], 0],
  ]);
});

test('per-kind scope: one pool per kind, in the order kinds first appear, at that kind’s rate', () => {
  const layers = [fc1, conv1, out, fc2, conv2];
  assert.deepEqual(poolsOf('per-kind', layers, spec({ scope: 'per-kind', rates: { conv: 0.1, fc: 0.2 } })), [
    [['fc1', 'fc2'], 0.2],
    [['conv1', 'conv2'], 0.1],
    [['out'], 0],
  ]);
  assert.deepEqual(poolsOf('layerwise', [fc1, out], spec({ rates: { fc: 0.2, output: 0.1 } })), [
    [['fc1'], 0.2],
    [['out'], 0.1],
  ]);
});
