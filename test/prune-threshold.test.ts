/** Threshold masks: |p| > m + α·std(p) with both centres, and a fixed magnitude threshold. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  fullMasks,
  pruneMasks,
  thresholdStats,
  type PrunableLayer,
  type Weights,
} from '../src/prune/index.js';

const layers: PrunableLayer[] = [
  { name: 'w', kind: 'fc', shape: [2, 3] },
  { name: 'b', kind: 'fc', shape: [2] },
];
// p over both tensors: [1, -2, 3, -4, 0.5, -0.5, 2, -1] (8 values)
const weights: Weights = new Map([
  ['w', Float32Array.from([1, -2, 3, -4, 0.5, -0.5])],
  ['b', Float32Array.from([2, -1])],
]);

test('the α rule by hand: m = mean p (the code) and m = mean |p| (the text), population std', () => {
  const p = [1, -2, 3, -4, 0.5, -0.5, 2, -1];
  const mean = p.reduce((a, b) => a + b) / 8; // -1/8
  const meanAbs = p.reduce((a, b) => a + Math.abs(b), 0) / 8; // 14/8
  const std = Math.sqrt(p.reduce((a, b) => a + (b - mean) ** 2, 0) / 8);
  assert.equal(mean, -0.125);
  assert.equal(meanAbs, 1.75);
  // Σ(p - m)² = Σp² - 8m² = 35.5 - 0.125 = 35.375 → std = sqrt(4.421875) ≈ 2.1028
  assert.ok(Math.abs(std - Math.sqrt(4.421875)) < 1e-15);

  const code = thresholdStats(layers, weights, fullMasks(layers), {
    rule: 'std',
    alpha: 0.5,
    centre: 'mean',
  });
  assert.ok(Math.abs(code.threshold - (-0.125 + 0.5 * std)) < 1e-12); // ≈ 0.926
  assert.equal(code.kept, 6); // |p| > 0.926: 1, 2, 3, 4, 2, 1
  const text = thresholdStats(layers, weights, fullMasks(layers), {
    rule: 'std',
    alpha: 0.5,
    centre: 'abs-mean',
  });
  assert.ok(Math.abs(text.threshold - (1.75 + 0.5 * std)) < 1e-12); // ≈ 2.801
  assert.equal(text.kept, 2); // 3 and 4
  const zero = thresholdStats(layers, weights, fullMasks(layers), {
    rule: 'std',
    alpha: 0,
    centre: 'abs-mean',
  });
  assert.equal(zero.kept, 4); // |p| > 1.75: 2, 3, 4, 2
});

test('pruneMasks with a threshold keeps exactly |p| > t across all layers, biases included', () => {
  const spec = { strategy: 'large_final', scope: 'layerwise', rates: {} };
  const masks = pruneMasks(layers, weights, fullMasks(layers), {
    ...spec,
    threshold: { rule: 'std', alpha: 0.5, centre: 'abs-mean' },
  });
  assert.deepEqual(Array.from(masks.get('w')!), [0, 0, 1, 1, 0, 0]);
  assert.deepEqual(Array.from(masks.get('b')!), [0, 0]);
  const fixed = pruneMasks(layers, weights, fullMasks(layers), {
    ...spec,
    threshold: { rule: 'value', value: 1 },
  });
  // |p| > 1 strictly: the two 1s go
  assert.deepEqual(Array.from(fixed.get('w')!), [0, 1, 1, 1, 0, 0]);
  assert.deepEqual(Array.from(fixed.get('b')!), [1, 0]);
});

test('a threshold round only prunes among remaining weights, with statistics over them', () => {
  const start = fullMasks(layers);
  start.get('w')![3] = 0; // -4 already pruned
  const stats = thresholdStats(layers, weights, start, { rule: 'std', alpha: 0, centre: 'abs-mean' });
  assert.equal(stats.remaining, 7);
  assert.ok(Math.abs(stats.threshold - 10 / 7) < 1e-12);
  const masks = pruneMasks(layers, weights, start, {
    strategy: 'magnitude',
    scope: 'global',
    rates: {},
    threshold: { rule: 'std', alpha: 0, centre: 'abs-mean' },
  });
  assert.deepEqual(Array.from(masks.get('w')!), [0, 1, 1, 0, 0, 0]);
  assert.deepEqual(Array.from(masks.get('b')!), [1, 0]);
});
