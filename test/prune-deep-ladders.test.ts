/**
 * Global magnitude pruning of the paper's deep networks (Appendix I), from the pruning code: the 3×3
 * (VGG: all) conv weights pooled, the output layer and ResNet's 1×1 shortcut projections left out.
 * The fraction remaining after k rounds of 20% is exactly the paper's ladder:
 * ResNet-20 (267,696·0.8^k + 3,200)/270,896, VGG-19 (20,018,880·0.8^k + 5,120)/20,024,000.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sizeOf } from '../src/graph/graph.js';
import { discover } from '../src/engine/step-graph.js';
import { modelNamed } from '../src/models/index.js';
import {
  fullMasks,
  pruneMasks,
  sparsityReport,
  type PrunableLayer,
  type Weights,
} from '../src/prune/index.js';
import { prunedCount } from '../src/prune/schedule.js';
import { Rng } from '../src/util/rng.js';

/** The model's prunable layers, as the lottery takes them, and its default pruning spec. */
function prunable(name: string): { layers: PrunableLayer[]; weights: Weights } {
  const entry = modelNamed(name);
  const decls = discover(entry.create(), 1).params.map((p) => p.decl);
  const layers = decls
    .filter((d) => d.role === 'weight' && d.layerKind !== undefined)
    .map((d) => ({ name: d.name, kind: d.layerKind!, shape: d.shape }));
  const rng = new Rng(11);
  const weights: Weights = new Map(
    layers.map((l) => [l.name, Float32Array.from({ length: sizeOf(l.shape) }, () => rng.normal())]),
  );
  return { layers, weights };
}

/** Kept counts of the pool after each round, as the rounding of prunedCount gives them. */
function expectedPoolKept(pool: number, rounds: number): number[] {
  const out = [pool];
  for (let k = 1; k <= rounds; k++) out.push(out[k - 1] - prunedCount(0.2, out[k - 1]));
  return out;
}

function ladder(model: string, rounds: number, pool: number, unpruned: number) {
  const entry = modelNamed(model);
  assert.equal(entry.defaults.pruning.scope, 'global');
  assert.deepEqual(entry.defaults.pruning.rates, { conv: 0.2 });
  const { layers, weights } = prunable(model);
  const spec = { strategy: 'magnitude', scope: 'global', rates: entry.defaults.pruning.rates };
  let masks = fullMasks(layers);
  const expected = expectedPoolKept(pool, rounds);
  const percent: number[] = [];
  for (let k = 0; k <= rounds; k++) {
    if (k > 0) masks = pruneMasks(layers, weights, masks, spec);
    const report = sparsityReport(layers, masks);
    const kept = (kind: string) => report.rows.filter((r) => r.kind === kind).reduce((s, r) => s + r.kept, 0);
    assert.equal(kept('conv'), expected[k], `${model}: conv weights kept after ${k} rounds`);
    assert.equal(kept('output') + kept('shortcut'), unpruned, `${model}: output and shortcuts untouched`);
    assert.equal(report.totals.total, pool + unpruned);
    assert.equal(report.totals.kept, expected[k] + unpruned);
    // the paper's closed form, to rounding of the counts
    const closed = (pool * 0.8 ** k + unpruned) / (pool + unpruned);
    assert.ok(Math.abs(report.totals.fractionRemaining - closed) < 1e-5);
    percent.push(Math.round(report.totals.fractionRemaining * 1000) / 10);
  }
  return percent;
}

describe('global pruning ladders of the paper (Appendix I)', () => {
  test('resnet20: 41.7, 27.1, 21.9, 11.8% at k = 4, 6, 7, 10', () => {
    const p = ladder('resnet20', 10, 267_696, 3_200);
    assert.deepEqual([p[4], p[6], p[7], p[10]], [41.7, 27.1, 21.9, 11.8]);
  });

  test('vgg19: 6.9, 3.5, 1.5% at k = 12, 15, 19', () => {
    const p = ladder('vgg19', 19, 20_018_880, 5_120);
    assert.deepEqual([p[12], p[15], p[19]], [6.9, 3.5, 1.5]);
  });
});
