/**
 * Provenance per unit (issue 11, problems 1 and 7): each unit records its thread count, the ticketlab
 * and onnxruntime-node versions and its wall time summed over resumes; a run's summary takes its wall
 * time, threads and versions from its units, so a rerun that skips everything rewrites none of them,
 * and units run at different thread counts are listed as such, not as one number.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unitKey } from '../src/lottery/procedure.js';
import { type RunSummary, SUMMARY_FILE } from '../src/lottery/summary.js';
import { runSmallLottery, smallConfig } from './helpers/small-lottery.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'ticketlab-provenance-'));
const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));
const versionIn = (path: string) => (readJson(path) as { version: string }).version;
const VERSIONS = {
  ticketlab: versionIn('package.json'),
  onnxruntime: versionIn('node_modules/onnxruntime-node/package.json'),
};
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

// checkpoints off the epoch boundaries (10 batches an epoch): BatchSampler.seek refuses a position at
// the very end of an epoch
const config = smallConfig({ levels: 1, iterations: 40, evalEvery: 10, checkpointEvery: 7 });

test('a unit killed mid-training and resumed: its wall time includes the time before the kill, and the summary’s is the sum of its units’', async () => {
  const root = tmp();
  try {
    const stop = new Error('killed by the test');
    await assert.rejects(
      runSmallLottery(root, config, {
        reporter: {
          progress: (u, p) => {
            if (u.level === 1 && p.iteration === 20) throw stop;
          },
        },
      }),
      (e) => e === stop,
    );
    const [dir] = readdirSync(root).filter((d) => !d.startsWith('.'));
    const unitDir = join(root, dir, unitKey(0, 1, 'ticket'));
    const before = readJson(join(unitDir, 'checkpoint.json')) as {
      iteration: number;
      elapsedSeconds: number;
    };
    assert.equal(before.iteration, 14);
    assert.ok(before.elapsedSeconds > 0);

    const summary = await runSmallLottery(root, config);
    const level1 = summary.results.find((r) => r.level === 1)!;
    assert.ok(
      level1.wallSeconds >= before.elapsedSeconds,
      `the resumed unit's ${level1.wallSeconds} s cover the ${before.elapsedSeconds} s before the kill`,
    );
    // the summary's wall time is its units', whatever the invocations spent around them
    assert.equal(summary.results.length, 2);
    assert.ok(Math.abs(summary.wallSeconds - sum(summary.results.map((r) => r.wallSeconds))) < 1e-9);
    for (const r of summary.results) assert.deepEqual(r.provenance, { threads: 1, ...VERSIONS });
    // as stored with the unit itself
    const record = readJson(join(unitDir, 'result.json')) as { result: { provenance: unknown } };
    assert.deepEqual(record.result.provenance, { threads: 1, ...VERSIONS });
    assert.equal(summary.machine.threads, 1);
    assert.equal(summary.machine.ticketlab, VERSIONS.ticketlab);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a rerun that skips everything (even at another thread count) leaves the summary’s machine, threads and wall time as they were', async () => {
  const root = tmp();
  try {
    const first = await runSmallLottery(root, config, { threads: 1 });
    const stored = readJson(join(first.dir, SUMMARY_FILE)) as RunSummary;
    const again = await runSmallLottery(root, config, { threads: 2 });
    const restored = readJson(join(first.dir, SUMMARY_FILE)) as RunSummary;
    for (const s of [again, restored]) {
      assert.deepEqual(s.machine, stored.machine);
      assert.equal(s.machine.threads, 1, 'every unit ran with 1 thread');
      assert.equal(s.wallSeconds, stored.wallSeconds);
      assert.deepEqual(s.results, stored.results);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('units trained at different thread counts: each records its own, and the summary lists both', async () => {
  const root = tmp();
  try {
    await runSmallLottery(root, { ...config, levels: 0 }, { threads: 1 });
    const summary = await runSmallLottery(root, config, { threads: 2 });
    assert.deepEqual(
      summary.results.map((r) => [r.level, r.provenance?.threads]),
      [
        [0, 1],
        [1, 2],
      ],
    );
    assert.deepEqual(summary.machine.threads, [1, 2]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
