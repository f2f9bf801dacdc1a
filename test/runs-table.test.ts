/**
 * `ticketlab runs table`: one row per finished unit of every run with its settings and results,
 * filtered by --where, columns chosen by --columns, as text, CSV and JSON; mistakes name the columns.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filterRows, formatCsv, parseCondition, unitRows, allColumns } from '../src/sweep/table.js';
import { cli } from './helpers/plugin.js';
import { runSmallLottery, smallConfig } from './helpers/small-lottery.js';

test('runs table: a row per unit with settings and results, --where, --columns, text/CSV/JSON', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ticketlab-table-'));
  try {
    await runSmallLottery(root, smallConfig({ levels: 1, strategy: 'magnitude' }));
    await runSmallLottery(root, smallConfig({ levels: 1, strategy: 'random', controls: ['random-reinit'] }));
    const { rows, settings } = unitRows(root);
    assert.equal(rows.length, 2 + 3);
    assert.ok(settings.includes('pruning.strategy') && settings.includes('optimizer.kind'));
    const random = filterRows(rows, [parseCondition('pruning.strategy=random')], allColumns(settings));
    assert.deepEqual(random.map((r) => `${r.level}:${r.condition}`).sort(), [
      '0:ticket',
      '1:random-reinit',
      '1:ticket',
    ]);
    const pruned = filterRows(rows, [parseCondition('fractionRemaining<1')], allColumns(settings));
    assert.equal(pruned.length, 3);
    for (const r of rows) {
      assert.equal(typeof r.testAccuracyAtEarlyStop, 'number');
      assert.equal(typeof r.maxValidationAccuracy, 'number');
      assert.equal(r.threads, 1);
    }
    assert.equal(formatCsv(random, ['level', 'pruning.strategy']).split('\n')[0], 'level,pruning.strategy');

    const json = cli([
      'runs',
      'table',
      '--runs-dir',
      root,
      '--where',
      'pruning.strategy=magnitude',
      '--format',
      'json',
    ]);
    assert.equal(json.status, 0, json.stderr);
    const parsed = JSON.parse(json.stdout) as Record<string, unknown>[];
    assert.equal(parsed.length, 2);
    assert.ok('learningRate' in parsed[0] && 'finalTestAccuracy' in parsed[0]);
    const csv = cli([
      'runs',
      'table',
      '--runs-dir',
      root,
      '--columns',
      'condition,level,pruning.strategy',
      '--format',
      'csv',
      '--where',
      'level=1',
    ]);
    assert.equal(csv.status, 0, csv.stderr);
    assert.deepEqual(csv.stdout.trim().split('\n').sort(), [
      'condition,level,pruning.strategy',
      'random-reinit,1,random',
      'ticket,1,magnitude',
      'ticket,1,random',
    ]);
    const text = cli(['runs', 'table', '--runs-dir', root]);
    assert.match(
      text.stdout.split('\n')[0],
      /^run\s+trial\s+level\s+condition\s+pruning\.strategy\s+fractionRemaining/,
    );
    const bad = cli(['runs', 'table', '--runs-dir', root, '--where', 'strategy=random']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--where: no column "strategy"\n {2}fix: columns are: run, trial/);
    assert.doesNotMatch(bad.stderr, /at .*\.ts:/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
