/**
 * Per-model default threads (issue 16, item 2): a run that does not say takes the count its units
 * were computed with, so resuming it after a model's default changed neither mixes two float orders
 * nor refuses its checkpoints; a new run takes the model's measured default (LeNet-300-100: 1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadsFor } from '../src/experiments/execute.js';
import type { RunSummary } from '../src/lottery/summary.js';
import { runIdentity } from '../src/lottery/resolve.js';
import { lenet300, lenet5 } from '../src/models/lenet.js';
import { RunStore } from '../src/store/index.js';
import { runSmallLottery, smallConfig } from './helpers/small-lottery.js';
import { NEEDS_DATA, cliSync } from './helpers/sweep.js';

test('the measured defaults: LeNet-300-100 at 1 thread, unmeasured models at 2', () => {
  assert.equal(lenet300.defaults.threads, 1);
  assert.equal(lenet5.defaults.threads, undefined);
  const root = mkdtempSync(join(tmpdir(), 'ticketlab-threads-'));
  try {
    const config = smallConfig({ levels: 0 });
    const run = new RunStore({ root }).openRun('fresh', runIdentity(config), config);
    assert.deepEqual(threadsFor(run, config), { threads: 1, from: "lenet300's default" });
    assert.deepEqual(threadsFor(run, config, 3), { threads: 3, from: 'given' });
    const conv = { ...config, model: 'conv2' };
    assert.equal(threadsFor(run, conv).threads, 2);
    run.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a run computed at 2 threads resumes at 2 when no count is given, whatever the model default', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ticketlab-threads-'));
  try {
    const config = smallConfig({ levels: 0 });
    await runSmallLottery(root, config, { threads: 2 });
    const run = new RunStore({ root }).openRun('test', runIdentity(config), config);
    assert.deepEqual(threadsFor(run, config), { threads: 2, from: 'the count the run was computed with' });
    assert.equal(threadsFor(run, config, 1).threads, 1, 'a count given still wins');
    run.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test(
  'ticketlab lottery without --threads: a new LeNet run trains at 1 thread; a run made at 2 goes on at 2',
  { skip: NEEDS_DATA },
  () => {
    const root = mkdtempSync(join(tmpdir(), 'ticketlab-threads-'));
    try {
      const small = [
        '--iterations',
        '40',
        '--eval-every',
        '20',
        '--validation-size',
        '500',
        '--runs-dir',
        root,
      ];
      const first = cliSync(['lottery', '--levels', '0', '--threads', '2', ...small]);
      assert.equal(first.status, 0, first.stderr);
      const more = cliSync(['lottery', '--levels', '1', ...small]);
      assert.equal(more.status, 0, more.stderr);
      assert.match(more.stderr, /threads: 2 \(the count the run was computed with\)/);
      const fresh = cliSync(['lottery', '--levels', '0', '--seed', '1', ...small]);
      assert.equal(fresh.status, 0, fresh.stderr);
      assert.match(fresh.stderr, /threads: 1 \(lenet300's default\)/);
      const summaries = readdirSync(root)
        .filter((d) => !d.startsWith('.'))
        .map((d) => JSON.parse(readFileSync(join(root, d, 'summary.json'), 'utf8')) as RunSummary);
      const resumed = summaries.find((s) => s.results.length === 2)!;
      assert.deepEqual(
        resumed.results.map((r) => r.provenance?.threads),
        [2, 2],
        'no unit of the resumed run at another count',
      );
      assert.equal(resumed.machine.threads, 2);
      const made = summaries.find((s) => s.results.length === 1)!;
      assert.equal(made.results[0].provenance?.threads, 1);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  },
);
