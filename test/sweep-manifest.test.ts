/**
 * The sweep manifest (<runs>/sweeps/<name>-<hash>.json, src/sweep/manifest.ts) without training:
 * its name and hash, what a second start keeps, and the unit counts read from the run store — a
 * unit done, diverged, running under a live lease, failed in the store, or given up on by the
 * sweep's scheduler (and counted done again once it is done).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunStore } from '../src/store/index.js';
import {
  listSweepManifests,
  manifestPath,
  recordSweepEnd,
  recordSweepFailure,
  recordSweepStart,
  sweepUnitCounts,
} from '../src/sweep/manifest.js';
import { planSweep } from '../src/sweep/plan.js';
import { expandSweep } from '../src/sweep/spec.js';
import { listSweepsForDashboard } from '../src/serve/data.js';

const SPEC = { base: { iterations: 40, evalEvery: 20 }, grid: { seed: [0, 1], levels: [1] } };

test('sweep manifest: named by the spec (or its file), kept across starts, counted from the run store', () => {
  const root = mkdtempSync(join(tmpdir(), 'ticketlab-manifest-'));
  try {
    const plan = planSweep(expandSweep(SPEC, '/specs/my seeds.yaml'), root);
    const first = recordSweepStart(plan, 'local');
    assert.match(first.id, /^my-seeds-[0-9a-f]{12}$/); // the file's name, made safe
    assert.ok(existsSync(manifestPath(root, first.id)));
    const named = planSweep(expandSweep({ ...SPEC, name: 'seeds' }, '/specs/other.yaml'), root);
    assert.match(recordSweepStart(named, 'queue').id, /^seeds-/);
    assert.deepEqual(readdirSync(join(root, 'sweeps')).length, 2);
    // the run store's own listings do not take the sweeps folder for a run
    assert.deepEqual(new RunStore({ root }).list(), []);

    assert.deepEqual(first.runs.map((r) => r.dir).sort(), plan.runs.map((r) => r.dirName).sort());
    assert.deepEqual(first.runs[0].units, ['trial-0/level-00/ticket', 'trial-0/level-01/ticket']);
    assert.deepEqual(sweepUnitCounts(root, first), { total: 4, done: 0, running: 0, failed: 0, pending: 4 });

    // seed 0: level 0 done, level 1 failed in the store; seed 1: level 0 under a live lease,
    // level 1 given up on by the scheduler (its worker died: nothing in the store)
    const [a, b] = plan.runs;
    const runA = new RunStore({ root }).openRun(a.name, a.identity, a.config);
    runA.markDone('trial-0/level-00/ticket', { note: 'made by the test' });
    runA.markFailed('trial-0/level-01/ticket', new Error('out of memory (made by the test)'));
    const runB = new RunStore({ root }).openRun(b.name, b.identity, b.config);
    const lease = runB.tryLease('trial-0/level-00/ticket')!;
    recordSweepFailure(root, first, { dir: b.dirName, key: 'trial-0/level-01/ticket', error: 'died' });
    assert.deepEqual(sweepUnitCounts(root, first), { total: 4, done: 1, running: 1, failed: 2, pending: 0 });
    const listed = listSweepsForDashboard(root).find((s) => s.id === first.id)!;
    assert.equal(listed.state, 'running');
    assert.deepEqual(listed.units.length, 4);
    lease.release();

    // a second start keeps when it was created and what was given up on; the end keeps a failure
    // that is still not done, and drops it once the unit is done
    const again = recordSweepStart(plan, 'local');
    assert.equal(again.createdAt, first.createdAt);
    assert.equal(again.finishedAt, null);
    assert.equal(again.failed.length, 1);
    recordSweepEnd(root, again);
    assert.equal(again.failed.length, 1);
    assert.ok(again.finishedAt);
    runB.markDone('trial-0/level-01/ticket', { note: 'made by the test' }, { state: 'diverged' });
    recordSweepEnd(root, again);
    assert.deepEqual(again.failed, []);
    const reread = listSweepManifests(root).find((m) => m.id === first.id)!;
    assert.deepEqual(reread.failed, []);
    assert.deepEqual(sweepUnitCounts(root, reread), { total: 4, done: 2, running: 0, failed: 1, pending: 1 });
    assert.equal(listSweepsForDashboard(root).find((s) => s.id === first.id)!.state, 'failed');
    runA.close();
    runB.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
