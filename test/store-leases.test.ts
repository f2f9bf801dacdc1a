/**
 * Unit leases in the run store. The whole-run lock is gone (several processes now work on one run);
 * what it guaranteed — no two processes writing the same unit, dead holders taken over — now holds
 * per unit.
 */
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectLease, listRuns, RunStore } from '../src/store/index.js';

const tmpRoot = mkdtempSync(join(tmpdir(), 'ticketlab-leases-'));
after(() => rmSync(tmpRoot, { recursive: true, force: true }));
let counter = 0;
function freshDir(): string {
  const d = join(tmpRoot, `t${counter++}`);
  mkdirSync(d, { recursive: true });
  return d;
}

const CONFIG = { model: 'lenet', seed: 7, dataset: 'mnist' };

describe('unit leases', () => {
  test('one run opened twice: a unit leased by one is refused to the other until released', () => {
    const store = new RunStore({ root: freshDir() });
    const first = store.openRun('exp', CONFIG);
    const second = store.openRun('exp', CONFIG);
    assert.equal(second.dir, first.dir);
    const lease = first.tryLease('trial-0/level-00/ticket');
    assert.ok(lease);
    assert.equal(second.tryLease('trial-0/level-00/ticket'), null);
    assert.equal(first.leaseState('trial-0/level-00/ticket').state, 'held');
    const other = second.tryLease('trial-0/level-01/ticket'); // other units are free
    assert.ok(other);
    lease.release();
    lease.release(); // idempotent
    assert.equal(first.leaseState('trial-0/level-00/ticket').state, 'free');
    const again = second.tryLease('trial-0/level-00/ticket');
    assert.ok(again);
    again.release();
    other.release();
    for (const bad of ['a/lease', 'lease', 'a/result.json/b'])
      assert.throws(() => first.tryLease(bad), RangeError, bad);
    first.close();
    assert.throws(() => first.tryLease('x'), /closed/);
  });

  test('stale leases: a dead pid, an unreadable file, an expired lease from any host; a live other host is respected', () => {
    const store = new RunStore({ root: freshDir() });
    const run = store.openRun('exp', CONFIG);
    const key = 'trial-0/level-00/ticket';
    const path = join(run.unitDir(key), 'lease');
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout.trim());
    const later = Date.now() + 3_600_000;
    const write = (info: object) =>
      writeFileSync(path, JSON.stringify({ token: 'old', acquiredAt: 'then', ...info }));
    write({ pid: deadPid, hostname: hostname(), expiresAt: later });
    assert.equal(inspectLease(path).state, 'stale');
    const taken = run.tryLease(key)!;
    assert.ok(taken);
    assert.equal(JSON.parse(readFileSync(path, 'utf8')).pid, process.pid);
    assert.ok(!readdirSync(join(run.dir, key)).some((f) => f.endsWith('.tmp') || f.endsWith('.stale')));
    taken.release();
    writeFileSync(path, 'garbage');
    assert.equal(inspectLease(path).state, 'stale');
    run.tryLease(key)!.release();
    // another host: its pid cannot be checked, so its lease holds until it expires
    write({ pid: 1, hostname: `${hostname()}-elsewhere`, expiresAt: later });
    assert.equal(inspectLease(path).state, 'held');
    assert.equal(run.tryLease(key), null);
    write({ pid: 1, hostname: `${hostname()}-elsewhere`, expiresAt: Date.now() - 1 });
    assert.equal(inspectLease(path).state, 'stale');
    // expired on this host too, even with a live pid (a process stopped for longer than the lease)
    write({ pid: process.ppid, hostname: hostname(), expiresAt: Date.now() - 1 });
    assert.equal(inspectLease(path).state, 'stale');
    const fresh = run.tryLease(key)!;
    assert.ok(fresh);
    fresh.release();
    // debris of writers that died is cleaned when a run is opened, once it is a minute old (a fresh
    // file may be another host's write in flight: its pid means nothing here)
    const debris = join(run.dir, `.run.json.${deadPid}.0123abcd.tmp`);
    const inFlight = join(run.dir, `.config.json.${deadPid}.4567abcd.tmp`);
    writeFileSync(debris, 'half');
    writeFileSync(inFlight, 'half');
    const aMinuteAgo = new Date(Date.now() - 61_000);
    utimesSync(debris, aMinuteAgo, aMinuteAgo);
    store.openRun('exp', CONFIG);
    assert.ok(!existsSync(debris));
    assert.ok(existsSync(inFlight));
  });

  test('the heartbeat renews a lease while its holder awaits; a lease taken over is lost', async () => {
    const run = new RunStore({ root: freshDir() }).openRun('exp', CONFIG);
    // a TTL long enough that a loaded machine's stall between renewals does not expire it
    const lease = run.tryLease('u', { ttlMs: 1000, renewEveryMs: 40 })!;
    const firstExpiry = lease.expiresAt;
    for (let i = 0; i < 10; i++) await new Promise((res) => setTimeout(res, 200)); // twice the ttl
    assert.equal(run.leaseState('u').state, 'held');
    assert.ok(lease.expiresAt > firstExpiry + 1000, 'expiry moved forward');
    assert.equal(lease.lost, false);
    // someone judged it stale and took it: the holder finds out at its next renewal
    const path = join(run.dir, 'u', 'lease');
    const info = JSON.parse(readFileSync(path, 'utf8'));
    writeFileSync(path, JSON.stringify({ ...info, token: 'someone-else' }));
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(lease.lost, true);
    assert.equal(lease.renew(), false);
    lease.release(); // leaves the other holder's lease alone
    assert.equal(JSON.parse(readFileSync(path, 'utf8')).token, 'someone-else');
  });

  test('a process holding a lease keeps it while it lives; killed, its lease is taken over', async () => {
    const root = freshDir();
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `import { RunStore } from './src/store/index.ts';
         const run = new RunStore({ root: ${JSON.stringify(root)} }).openRun('shared', ${JSON.stringify(CONFIG)});
         run.tryLease('level-00');
         run.markDone('level-01', { by: 'child' });
         console.log('ready');
         setInterval(() => {}, 1000);`,
      ],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const store = new RunStore({ root });
    try {
      await new Promise<void>((res, rej) => {
        child.stdout.once('data', () => res());
        child.once('exit', (code) => rej(new Error(`child exited with ${code}`)));
      });
      const run = store.openRun('shared', CONFIG); // the run itself is open to both
      assert.equal(run.tryLease('level-00'), null);
      const info = run.leaseState('level-00');
      assert.ok(info.state === 'held' && info.info?.pid === child.pid);
      assert.equal(listRuns(root)[0].active, true);
    } finally {
      child.kill('SIGKILL'); // no cleanup runs: the lease file stays behind, stale
      await new Promise((res) =>
        child.exitCode !== null || child.signalCode !== null ? res(null) : child.once('exit', res),
      );
    }
    assert.equal(listRuns(root)[0].active, false);
    const run = store.openRun('shared', CONFIG);
    assert.equal(run.leaseState('level-00').state, 'stale');
    const lease = run.tryLease('level-00');
    assert.ok(lease);
    assert.deepEqual(run.result('level-01'), { by: 'child' });
    run.markDone('level-00', { by: 'parent' }, { threads: 2 });
    assert.equal(run.unitRecord('level-00')!.threads, 2);
    lease.release();
  });

  test('processes racing for the same units: each unit is leased by exactly one', async () => {
    const root = freshDir();
    const go = join(root, 'go');
    new RunStore({ root }).openRun('race', CONFIG).close();
    const keys = Array.from({ length: 40 }, (_, i) => `u-${i}`);
    const children = [0, 1, 2].map(() =>
      spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          '--input-type=module',
          '-e',
          `import { existsSync } from 'node:fs';
           import { RunStore } from './src/store/index.ts';
           const run = new RunStore({ root: ${JSON.stringify(root)} }).openRun('race', ${JSON.stringify(CONFIG)});
           console.log('ready');
           while (!existsSync(${JSON.stringify(go)})) await new Promise((r) => setTimeout(r, 2));
           const got = [];
           for (const key of ${JSON.stringify(keys)}) if (run.tryLease(key)) got.push(key);
           console.log(JSON.stringify(got));
           setInterval(() => {}, 1000); // hold the leases until killed`,
        ],
        { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] },
      ),
    );
    try {
      const lines = children.map((c) => {
        const queue: string[] = [];
        let buffer = '';
        let wake: (() => void) | null = null;
        c.stdout.on('data', (d) => {
          buffer += d;
          const parts = buffer.split('\n');
          buffer = parts.pop()!;
          queue.push(...parts);
          wake?.();
        });
        return async () => {
          while (queue.length === 0) await new Promise<void>((res) => (wake = res));
          return queue.shift()!;
        };
      });
      for (const next of lines) assert.equal(await next(), 'ready');
      writeFileSync(go, '');
      const got = await Promise.all(lines.map(async (next) => JSON.parse(await next()) as string[]));
      assert.deepEqual(got.flat().sort(), [...keys].sort(), 'every unit leased once, none twice');
    } finally {
      for (const c of children) c.kill('SIGKILL');
    }
  });
});
