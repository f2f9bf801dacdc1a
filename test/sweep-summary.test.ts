/**
 * A sweep's unit process writes summary.json with the lottery procedure's writer: the run's threads
 * are its units' own (their provenance), listed when they differ, not the count of the worker that
 * happened to write the file last (issue 16: the sweep's copy recorded the worker's thread count).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunSummary } from '../src/lottery/summary.js';
import { NEEDS_DATA as skip, sweepSync, writeSpec } from './helpers/sweep.js';

const BASE = 'base: { iterations: 40, evalEvery: 20, validationSize: 500, checkpointEvery: 0 }\n';

test('a sweep-written summary.json lists mixed thread counts as the lottery’s does', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ticketlab-sweep-summary-'));
  try {
    const runs = join(dir, 'runs');
    // level 0 with 1 thread, then the same run with one more level with 2 threads
    const dense = writeSpec(dir, 'dense.yaml', `${BASE}grid: { levels: [0] }\n`);
    const first = sweepSync(['run', dense, '--runs-dir', runs, '--workers', '1', '--threads', '1']);
    assert.equal(first.status, 0, first.stderr);
    const more = writeSpec(dir, 'more.yaml', `${BASE}grid: { levels: [1] }\n`);
    const second = sweepSync(['run', more, '--runs-dir', runs, '--workers', '1', '--threads', '2']);
    assert.equal(second.status, 0, second.stderr);
    assert.equal(second.trained.length, 1, 'only level 1 is trained the second time');

    const [run] = readdirSync(runs).filter((d) => !d.startsWith('.'));
    const summary = JSON.parse(readFileSync(join(runs, run, 'summary.json'), 'utf8')) as RunSummary;
    assert.deepEqual(
      summary.results.map((r) => [r.level, r.provenance?.threads]),
      [
        [0, 1],
        [1, 2],
      ],
    );
    assert.deepEqual(summary.machine.threads, [1, 2]);
    assert.equal(summary.wallSeconds, summary.results[0].wallSeconds + summary.results[1].wallSeconds);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
