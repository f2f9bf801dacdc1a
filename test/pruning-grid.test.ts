/**
 * `reproduce pruning-grid`: the preset's spec (at paper scale the same runs as
 * examples/sweeps/pruning-grid.yaml), its per-round rates, and the report's pieces — the
 * desired-vs-actual prune ratio counted from masks, the parallel-coordinates positions, smoothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PRESETS } from '../src/experiments/presets.js';
import { parallelPoints } from '../src/report/parallel-coordinates.js';
import { type MaskCounter, pruneRatioRows } from '../src/report/prune-ratio-table.js';
import type { RunSummary } from '../src/report/schema.js';
import { smoothSeries } from '../src/report/stats.js';
import { parallelItems, gridRun } from '../src/report/sweep-report.js';
import { planSweep } from '../src/sweep/plan.js';
import { expandSweep, readSweepSpec } from '../src/sweep/spec.js';

const preset = PRESETS['pruning-grid'];
const plan = (scale: 'quick' | 'paper') =>
  planSweep(expandSweep(preset.sweep!({ scale }), `pruning-grid ${scale}`), '/nonexistent-runs');

test('at paper scale the preset is examples/sweeps/pruning-grid.yaml: the same run directories', () => {
  const example = planSweep(readSweepSpec('examples/sweeps/pruning-grid.yaml'), '/nonexistent-runs');
  const paper = plan('paper');
  assert.deepEqual(paper.runs.map((r) => r.dirName).sort(), example.runs.map((r) => r.dirName).sort());
  assert.equal(paper.runs.length, 28);
  assert.equal(paper.units.length, 28 * 5 * 7); // 14 runs × 3 units + 14 × 11, times 5 trials: 980
  for (const r of paper.runs) assert.equal(r.config.iterations, 15_000);
});

test('quick scale: 12 runs, 84 units; per-round rates 1 − (1 − r)^(1/rounds), the output layer at half', () => {
  const quick = plan('quick');
  assert.equal(quick.runs.length, 12);
  assert.equal(quick.units.length, 84);
  const iterative97 = quick.runs.find(
    (r) => r.config.pruning.schedule === 'iterative' && r.point.values.prune === 0.97,
  )!;
  const rate = 1 - 0.03 ** (1 / 5);
  assert.ok(Math.abs(iterative97.config.pruning.rates.fc! - rate) < 1e-12);
  assert.ok(Math.abs(iterative97.config.pruning.rates.output! - rate / 2) < 1e-12);
  assert.equal(iterative97.config.levels, 5);
  assert.deepEqual(iterative97.config.controls, ['random-reinit']);
  assert.match(preset.quickNote, /1 seed \(paper: 5\)/);
});

/** A summary of a 2-round run with one fc layer (900 weights) and an output layer (100). */
function summary(results: Partial<RunSummary['results'][number]>[]): RunSummary {
  const sparsity = [
    { layer: 'fc1.weight', kind: 'fc' as const, total: 900, kept: 900 },
    { layer: 'out.weight', kind: 'output' as const, total: 100, kept: 100 },
  ];
  return {
    dir: '/run',
    config: {
      levels: 2,
      pruning: {
        strategy: 'magnitude',
        schedule: 'iterative',
        keep: 'rate',
        rates: { fc: 0.5, output: 0.25 },
      },
    },
    results: results.map((r) => ({ trial: 0, level: 0, condition: 'ticket', sparsity, curve: [], ...r })),
  } as unknown as RunSummary;
}

test('desired vs actual prune ratio per round, counted from the masks', () => {
  const masks: MaskCounter = {
    find: () => [1, 2].map((level) => ({ trial: 0, level, condition: 'ticket', path: `l${level}` })),
    count: (path) =>
      new Map([
        ['fc1.weight', { kept: path === 'l1' ? 450 : 225, total: 900 }],
        ['out.weight', { kept: path === 'l1' ? 75 : 57, total: 100 }],
      ]),
  };
  const rows = pruneRatioRows(summary([{ level: 0 }]), masks)!;
  assert.deepEqual(
    rows.map((r) => [r.level, r.desired, r.actual, r.actualMain]),
    [
      [1, 0.5, 1 - 525 / 1000, 0.5],
      [2, 0.75, 1 - 282 / 1000, 0.75],
    ],
  );
});

test('parallel coordinates: categories spread evenly, numbers min to max; ratio 0 is level 0', () => {
  const curve = (acc: number) => [
    { iteration: 0, validationAccuracy: acc, validationLoss: 1, testLoss: 1, testAccuracy: acc },
  ];
  const s = summary([
    { level: 0, curve: curve(0.9) },
    { level: 2, curve: curve(0.95) },
    { level: 2, condition: 'random-reinit', curve: curve(0.8) },
  ]);
  const items = parallelItems([gridRun(s)]);
  assert.deepEqual(
    items.map((i) => [i.reinit, i.ratio, i.accuracy]),
    [
      ['no', 0, 0.9],
      ['no', 0.75, 0.95],
      ['yes', 0.75, 0.8],
    ],
  );
  const { points } = parallelPoints(items, [
    { field: 'reinit', title: 'reinit', categories: ['no', 'yes'] },
    { field: 'ratio', title: 'ratio' },
    { field: 'accuracy', title: 'acc' },
  ]);
  const at = (line: number, axis: string) => points.find((p) => p.line === line && p.axis === axis)!.y;
  assert.equal(at(2, 'reinit'), 1);
  assert.equal(at(0, 'ratio'), 0);
  assert.equal(at(1, 'ratio'), 1);
  assert.ok(Math.abs(at(0, 'acc') - 2 / 3) < 1e-12);
});

test('smoothing: an exponential moving average; weight 0 leaves the values as they are', () => {
  assert.deepEqual(smoothSeries([1, 0, 0], 0.5), [1, 0.5, 0.25]);
  assert.deepEqual(smoothSeries([3, Infinity, 1], 0), [3, Infinity, 1]);
  assert.throws(() => smoothSeries([1], 1), RangeError);
});
