/** Unit states from a unit's files, and checkUnit on records with and without file checksums. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunStore, saveTensors } from '../src/store/index.js';
import { UserError } from '../src/util/errors.js';

test('a unit is pending, running, failed, interrupted, done or diverged, by its files', () => {
  const root = mkdtempSync(join(tmpdir(), 'ticketlab-units-state-'));
  try {
    const run = new RunStore({ root }).openRun('states', { seed: 1 });
    const key = 'trial-0/level-00/ticket';
    const lease = (pid: number, expiresAt: number) =>
      writeFileSync(
        run.path(key, 'lease'),
        JSON.stringify({ pid, hostname: hostname(), token: 't', acquiredAt: '', expiresAt }),
      );
    assert.equal(run.unitState(key), 'pending');
    run.unitDir(key);
    assert.deepEqual(run.unitKeys(), []);
    const held = run.tryLease(key)!;
    assert.equal(run.unitState(key), 'running');
    assert.deepEqual(run.unitKeys(), [key]);
    run.markFailed(key, new Error('disk full'));
    assert.equal(run.unitState(key), 'running', 'a live lease wins: someone works on it again');
    held.release();
    assert.equal(run.unitState(key), 'failed');
    assert.equal(run.failure(key)?.message, 'disk full');
    unlinkSync(run.path(key, 'failed.json'));
    lease(999999999, Date.now() + 60_000); // a holder that died (kill -9): its lease is stale
    assert.equal(run.unitState(key), 'interrupted');
    unlinkSync(run.path(key, 'lease'));
    writeFileSync(run.path(key, 'checkpoint.json'), '{}');
    assert.equal(run.unitState(key), 'interrupted');
    const weights = run.path(key, 'final.safetensors');
    saveTensors(weights, new Map([['w', new Float32Array([1, 2])]]));
    run.markFailed(key, new Error('again'));
    run.markDone(key, { ok: true }, { threads: 1, files: [weights] });
    assert.equal(run.unitState(key), 'done');
    assert.equal(run.failure(key), undefined, 'completing clears the failure');
    assert.deepEqual(Object.keys(run.unitRecord(key)!.files!), [`${key}/final.safetensors`]);
    assert.deepEqual(run.checkUnit(key), { key, state: 'done', problems: [], unchecked: [] });
    // the same tensors written again are a different file only if their data differs
    saveTensors(weights, new Map([['w', new Float32Array([1, 3])]]));
    assert.match(run.checkUnit(key).problems.join(), /not the file the unit wrote/);
    const diverged = 'trial-0/level-01/ticket';
    run.unitDir(diverged);
    run.markDone(diverged, { ok: false }, { state: 'diverged', files: [] });
    assert.equal(run.unitState(diverged), 'diverged');
    const list = new RunStore({ root }).list()[0];
    assert.equal(list.units.done, 1);
    assert.equal(list.units.diverged, 1);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('loadRun takes a run as a path from the working directory (as `runs show` does) or as a name under the root', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'ticketlab-cwd-'));
  const before = process.cwd();
  try {
    const store = new RunStore({ root: join(cwd, 'runs') });
    const run = store.openRun('typed', { seed: 1 });
    const name = run.dir.split('/').pop()!;
    process.chdir(cwd);
    assert.equal(store.loadRun(join('runs', name)).dir, run.dir, 'runs/<name> from the working directory');
    assert.equal(store.loadRun(name).dir, run.dir, '<name> under the root');
    assert.throws(
      () => store.loadRun('runs/missing'),
      (e: unknown) =>
        e instanceof UserError &&
        /is not a run directory/.test(e.message) &&
        /`ticketlab lottery` wrote \(it holds config\.json\)/.test(e.fix ?? ''),
    );
  } finally {
    process.chdir(before);
    rmSync(cwd, { recursive: true, force: true });
  }
});
