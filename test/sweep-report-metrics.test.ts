/**
 * The sweep report's accuracy table on a small real sweep (`ticketlab sweep run` on the MNIST files:
 * magnitude and random pruning, 1 round, 2 trials, with the random re-init control): beside the
 * walkthrough's metric (max validation accuracy) it shows the paper's, the test accuracy at the
 * early-stop iteration — each checked against the rows of `runs table` (src/sweep/table.ts, another
 * reader of the same unit records), mean, min and max across the trials.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRunSummary } from '../src/report/index.js';
import { buildSweepReport } from '../src/report/sweep-report.js';
import { toCsv, toMarkdown } from '../src/report/tables.js';
import { planSweep } from '../src/sweep/plan.js';
import { readSweepSpec } from '../src/sweep/spec.js';
import { unitRows } from '../src/sweep/table.js';
import { NEEDS_DATA as skip, sweepSync, writeSpec } from './helpers/sweep.js';

test(
  'sweep report: early-stop test accuracy beside max validation accuracy, as runs table has them',
  { skip },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'ticketlab-sweep-report-'));
    try {
      const runs = join(dir, 'runs');
      const spec = writeSpec(
        dir,
        'small.yaml',
        'base: { iterations: 40, evalEvery: 20, validationSize: 500, checkpointEvery: 0, trials: 2, controls: [random-reinit] }\n' +
          'grid: { pruning.strategy: [magnitude, random], levels: [1] }\n',
      );
      const r = sweepSync(['run', spec, '--runs-dir', runs, '--workers', '2']);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.trained.length, 12); // 2 runs × 2 trials × (dense, ticket, re-init)
      const plan = planSweep(readSweepSpec(spec), runs);
      const report = buildSweepReport(
        plan.runs.map((run) => readRunSummary(run.dir)),
        {
          title: 'small',
          notes: [],
        },
      );
      const table = report.tables.find((t) => t.id === 'max-validation-accuracy')!.table;
      const column = (title: string) => table.columns.findIndex((c) => (c.csv ?? c.title) === title);
      const [method, reinit, ratio, mean, testMean, testMin, testMax, trials] = [
        'method',
        'random re-init',
        'ratio',
        'mean',
        'early_stop_test_mean',
        'early_stop_test_min',
        'early_stop_test_max',
        'trials',
      ].map(column);
      assert.ok(
        [testMean, testMin, testMax].every((i) => i >= 0),
        'the early-stop columns exist',
      );
      assert.match(
        toMarkdown(table).split('\n')[0],
        /max val\. acc\. \(mean\) .*early-stop test acc\. \(mean\)/,
      );
      assert.match(
        toCsv(table).split('\n')[0],
        /early_stop_test_mean,early_stop_test_min,early_stop_test_max/,
      );

      // the same numbers from runs table's rows: level 1 (ticket or re-init), or level 0 (dense, ratio 0)
      const rows = unitRows(runs).rows;
      assert.equal(rows.length, 12);
      const avg = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
      const pruned = table.rows.filter((row) => Number(row[ratio]) > 0);
      assert.equal(pruned.length, 4); // 2 methods × (ticket, re-init)
      for (const row of table.rows) {
        const mine = rows.filter(
          (u) =>
            u['pruning.strategy'] === row[method] &&
            (Number(row[ratio]) === 0
              ? u.level === 0
              : u.level === 1 && (u.condition === 'random-reinit') === (row[reinit] === 'yes')),
        );
        assert.equal(mine.length, 2, `${String(row[method])} ${String(row[reinit])} ${String(row[ratio])}`);
        const tests = mine.map((u) => u.testAccuracyAtEarlyStop as number);
        assert.equal(row[trials], 2);
        assert.ok(Math.abs((row[testMean] as number) - avg(tests)) < 1e-12);
        assert.equal(row[testMin], Math.min(...tests));
        assert.equal(row[testMax], Math.max(...tests));
        assert.ok(
          Math.abs((row[mean] as number) - avg(mine.map((u) => u.maxValidationAccuracy as number))) < 1e-12,
        );
      }
      // the two metrics are different numbers (test set at early stop vs best on the validation set)
      assert.ok(table.rows.some((row) => row[testMean] !== row[mean]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
