/**
 * The report of pruning during training: each layer's sparsity over training as a step function of
 * the recorded pruning steps, the table beside the tutorial, and the gradual-lth preset's runs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { presetNamed, presetRuns } from '../src/experiments/presets.js';
import { resolveConfig } from '../src/lottery/resolve.js';
import type { LevelResult, RunSummary } from '../src/lottery/summary.js';
import { gradualTable, sparsityOverTime } from '../src/report/gradual.js';

const result = {
  level: 0,
  condition: 'ticket',
  iterations: 400,
  finalTestAccuracy: 0.8,
  testAccuracyAtEarlyStop: 0.81,
  gradual: {
    events: [
      {
        iteration: 101,
        target: 0.25,
        layers: [
          { layer: 'a', kept: 75, total: 100 },
          { layer: 'b', kept: 9, total: 10 },
        ],
      },
      {
        iteration: 301,
        target: 0.5,
        layers: [
          { layer: 'a', kept: 50, total: 100 },
          { layer: 'b', kept: 5, total: 10 },
        ],
      },
    ],
    resetEnd: { validation: 0.3, test: 0.28 },
  },
} as unknown as LevelResult;

test('sparsity over time: 0 from the start, a vertical step at every pruning step, flat to the end', () => {
  const b = sparsityOverTime('lth', result).filter((p) => p.layer === 'b');
  assert.deepEqual(
    b.map((p) => [p.iteration, Math.round(p.sparsity)]),
    [
      [0, 0],
      [101, 0],
      [101, 10],
      [301, 10],
      [301, 50],
      [400, 50],
    ],
  );
});

test('the table has our accuracies, reset_end untrained / retrained, and the tutorial’s number', () => {
  const summary = (name: string, results: LevelResult[]) => ({ name, results }) as unknown as RunSummary;
  const level1 = { ...result, level: 1, finalTestAccuracy: 0.85, gradual: undefined } as LevelResult;
  const table = gradualTable([summary('gradual-lth-reset_end-fashion-mnist-quick', [result, level1])]);
  assert.match(table, /\| reset_end \| 50\.0% \| 80\.00% \| 81\.00% \| 28\.00% \/ 85\.00% \| 83\.2% trained/);
});

test('gradual-lth at quick scale: four runs with the tutorial schedule, resolved through the settings table', () => {
  const runs = presetRuns(presetNamed('gradual-lth'), { scale: 'quick' });
  assert.deepEqual(
    runs.map((r) => r.name),
    ['dense', 'lth', 'rewind', 'reset_end'].map((c) => `gradual-lth-${c}-fashion-mnist-quick`),
  );
  const [dense, lth, rewind, resetEnd] = runs.map((r) => resolveConfig(r.request));
  assert.equal(dense.gradual.schedule, 'none');
  for (const c of [lth, rewind, resetEnd]) {
    assert.deepEqual(
      [
        c.gradual.schedule,
        c.gradual.sparsity,
        c.gradual.steps,
        c.gradual.start,
        c.gradual.end,
        c.pruning.strategy,
        c.pruning.scope,
      ],
      ['iterative', 0.5, 3, 0.25, 1, 'large_final', 'layerwise'],
    );
    assert.deepEqual(c.gradual.kinds, ['conv', 'shortcut']);
  }
  assert.equal(lth.gradual.reset, 'lth');
  assert.deepEqual([rewind.gradual.reset, rewind.gradual.rewindIteration], ['rewind', 20]);
  assert.deepEqual(
    [resetEnd.gradual.resetEnd, resetEnd.levels, resetEnd.reset, resetEnd.pruning.rates.conv],
    [true, 1, 'init', 0],
  );
  assert.throws(
    () => presetRuns(presetNamed('gradual-lth'), { scale: 'quick', dataset: 'mnist' }),
    /Fashion-MNIST stand-in/,
  );
});
