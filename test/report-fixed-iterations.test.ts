// Test accuracy at fixed iterations versus weights remaining (the paper's Figures 7 and 8): the
// iterations each deep preset uses, the numbers per condition and level from a small run's curves,
// and the figure and table in the report (option, preset default, CLI flag).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PRESETS } from '../src/experiments/presets.js';
import { fixedAccuracyIterations } from '../src/experiments/deep-presets.js';
import { resolveConfig } from '../src/lottery/resolve.js';
import { buildReportModel } from '../src/report/build.js';
import { fixedIterationRows } from '../src/report/fixed-iterations.js';
import { writeReport, type RunSummary } from '../src/report/index.js';
import { writeSyntheticRun } from './helpers/synthetic-run.js';

let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ticketlab-report-fixed-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const noMasks = { find: () => undefined, firstLayer: () => undefined } as never;

/**
 * The synthetic run (2 trials; ticket at 100%, 51.3%, 21.1%; random-reinit at the pruned levels;
 * evaluated every 100 of 2,000 iterations) with hand-set test accuracies at iteration 1,000:
 * trial 0 / trial 1 — ticket 0.90/0.92, 0.95/0.97, 0.96/0.98; random-reinit 0.93/0.94, 0.91/0.89.
 * Trial 1's ticket at level 2 has no evaluation at 1,000.
 */
function run(dir: string, extra: Partial<RunSummary> = {}): RunSummary {
  const s = writeSyntheticRun(dir);
  const at1000: Record<string, number[]> = {
    'ticket 0': [0.9, 0.92],
    'ticket 1': [0.95, 0.97],
    'ticket 2': [0.96, 0.98],
    'random-reinit 1': [0.93, 0.94],
    'random-reinit 2': [0.91, 0.89],
  };
  for (const r of s.results) {
    const p = r.curve.find((q) => q.iteration === 1000)!;
    p.testAccuracy = at1000[`${r.condition} ${r.level}`][r.trial];
    if (r.condition === 'ticket' && r.level === 2 && r.trial === 1) {
      r.curve = r.curve.filter((q) => q.iteration !== 1000);
    }
  }
  return { ...s, ...extra };
}

test("each deep preset's iterations: the paper's at paper scale; at quick scale scaled and on every run's evaluation grid", () => {
  assert.deepEqual(fixedAccuracyIterations('resnet20-global', 'paper'), [10_000, 20_000, 30_000]);
  assert.deepEqual(fixedAccuracyIterations('vgg19-global', 'paper'), [30_000, 60_000, 112_480]);
  // ResNet quick: 300 of 30,000 iterations, evaluated every 50 -> 100, 200, 300
  assert.deepEqual(fixedAccuracyIterations('resnet20-global', 'quick'), [100, 200, 300]);
  // VGG quick: 150 of 112,480 -> 40, 80, 150, moved to the evaluations every 50 -> 50, 100, 150
  assert.deepEqual(fixedAccuracyIterations('vgg19-global', 'quick'), [50, 100, 150]);
  assert.equal(fixedAccuracyIterations('lenet-iterative', 'quick'), undefined);
  for (const name of ['resnet20-global', 'vgg19-global']) {
    for (const scale of ['quick', 'paper'] as const) {
      const runs = PRESETS[name].runs({ scale, dataset: 'cifar10' });
      for (const r of runs) {
        const c = resolveConfig(r.request);
        for (const it of fixedAccuracyIterations(name, scale)!) {
          assert.ok(it <= c.iterations, `${r.name}: ${it} within ${c.iterations}`);
          assert.ok(it % c.evalEvery === 0 || it === c.iterations, `${r.name}: ${it} is evaluated`);
        }
      }
    }
  }
});

test('rows: mean, min and max across trials at each iteration; controls start from the dense network', () => {
  const rows = fixedIterationRows(run(join(tmp, 'rows-0123456789ab')), [1000]);
  const view = rows.map((r) => [
    r.condition,
    r.level,
    Number(r.accuracy[0].mean.toFixed(6)),
    Number(r.accuracy[0].min.toFixed(6)),
    Number(r.accuracy[0].max.toFixed(6)),
    r.accuracy[0].n,
  ]);
  assert.deepEqual(view, [
    ['ticket', 0, 91, 90, 92, 2],
    ['ticket', 1, 96, 95, 97, 2],
    ['ticket', 2, 96, 96, 96, 1], // trial 1 was not evaluated at 1,000
    ['random-reinit', 0, 91, 90, 92, 2], // the dense network, as in the paper's figures
    ['random-reinit', 1, 93.5, 93, 94, 2],
    ['random-reinit', 2, 90, 89, 91, 2],
  ]);
  assert.equal(rows[0].percentRemaining, 100);
});

test('the report gets the figure and table for the chosen iterations, names those never evaluated, and has none by default', () => {
  const summary = run(join(tmp, 'model-0123456789ab'));
  const ctx = { masks: noMasks, generatedAt: 'now' };
  const plain = buildReportModel([summary], { masks: false }, ctx).experiments[0];
  assert.ok(!plain.figures.some((f) => f.id.endsWith('accuracy-at-iterations')));
  assert.ok(!plain.tables.some((t) => t.id.endsWith('accuracy-at-iterations')));

  const e = buildReportModel([summary], { masks: false, accuracyAt: [1000, 2000, 99_999] }, ctx)
    .experiments[0];
  const fig = e.figures.find((f) => f.id === `${e.labels.slug}-accuracy-at-iterations`)!;
  assert.match(fig.title, /1,000 it, 2,000 it/);
  const table = e.tables.find((t) => t.id === fig.id)!;
  assert.ok(table.notes!.some((n) => /No unit was evaluated at 99,999 it/.test(n)));
  const titles = table.table.columns.filter((c) => !c.csvOnly).map((c) => c.title);
  assert.deepEqual(titles, [
    'condition',
    'level',
    '% remaining',
    'test acc @ 1,000 it (%)',
    'test acc @ 2,000 it (%)',
  ]);
  // one point per row (5 levels run + the dense start of random-reinit) and iteration evaluated by any trial
  const values = (fig.spec as { data: { values: { dash: string }[] } }).data.values;
  assert.deepEqual(
    values.map((v) => v.dash),
    Array.from({ length: 6 }, () => ['at 1,000 it', 'at 2,000 it']).flat(),
  );

  // nothing evaluated at any chosen iteration: no figure
  const none = buildReportModel([summary], { masks: false, accuracyAt: [150] }, ctx).experiments[0];
  assert.ok(!none.figures.some((f) => f.id.endsWith('accuracy-at-iterations')));
});

test("a deep preset's run gets its iterations without being asked", async () => {
  const summary = run(join(tmp, 'resnet-0123456789ab'), { preset: 'resnet20-global', scale: 'quick' });
  // the synthetic run is evaluated every 100 iterations: 100 and 200 exist, 300 too
  const r = await writeReport([summary], join(tmp, 'resnet-report'), { format: 'md', masks: false });
  const e = r.model.experiments[0];
  const table = e.tables.find((t) => t.id.endsWith('accuracy-at-iterations'))!;
  assert.match(table.title, /100 it, 200 it, 300 it/);
  const csv = readFileSync(join(r.outDir, table.csv!), 'utf8').split('\n')[0];
  assert.match(csv, /test_acc_at_100,test_acc_at_100_min,test_acc_at_100_max,trials_at_100/);
  assert.match(readFileSync(r.index, 'utf8'), /accuracy-at-iterations\.svg/);
});

test('ticketlab report --accuracy-at writes the figure; a bad list is one clear error', () => {
  const dir = join(tmp, 'cli-0123456789ab');
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(run(dir)));
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/entry.ts', 'report', dir, ...args], {
      encoding: 'utf8',
    });
  const out = join(tmp, 'cli-report');
  const ok = cli('--no-masks', '--paper', 'none', '--out', out, '--accuracy-at', '1000,2000');
  assert.equal(ok.status, 0, ok.stderr);
  const csv = readFileSync(join(out, 'tables', 'synthetic-accuracy-at-iterations.csv'), 'utf8');
  assert.match(csv.split('\n')[0], /test_acc_at_1000,.*test_acc_at_2000/);
  readFileSync(join(out, 'figures', 'synthetic-accuracy-at-iterations.svg'), 'utf8');

  const bad = cli('--no-masks', '--out', join(tmp, 'bad'), '--accuracy-at', '10k');
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--accuracy-at takes iterations, not "10k"/);
  assert.doesNotMatch(bad.stderr, /\n\s+at /); // no stack trace
});
