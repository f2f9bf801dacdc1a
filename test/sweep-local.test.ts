/**
 * `ticketlab sweep run` on local worker processes, on the real MNIST files: running a sweep twice
 * trains nothing the second time, an overlapping sweep trains only its new units, and a sweep killed
 * mid-unit (SIGKILL of the whole command) and run again resumes from the unit's checkpoint and ends
 * with the results of an uninterrupted sweep. "Trained" is counted from the sweep's own events.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CLI_ENV as env,
  ENTRY,
  NEEDS_DATA as skip,
  type SweepEvent,
  cliSync,
  jsonLines,
  sweepSync as sweep,
  unitResults as results,
  writeCrasherPlugin,
  writeSpec as spec,
} from './helpers/sweep.js';

const SMALL = 'base: { iterations: 60, evalEvery: 20, validationSize: 500, checkpointEvery: 20 }\n';

test(
  'a sweep run twice trains nothing the second time; an overlapping sweep trains only its new units',
  { skip },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'ticketlab-sweep-'));
    try {
      const runs = join(dir, 'runs');
      const a = spec(dir, 'a.yaml', `${SMALL}grid: { seed: [0, 1], levels: [1] }\n`);
      const first = sweep(['run', a, '--runs-dir', runs, '--workers', '2']);
      assert.equal(first.status, 0, first.stderr);
      assert.equal(first.trained.length, 4); // 2 runs × (level 0, level 1)
      const plan = cliSync(['sweep', 'plan', a, '--runs-dir', runs]);
      assert.match(plan.stdout, /2 runs, 4 units: 4 done already \(2 runs exist\), 0 to compute/);
      const again = sweep(['run', a, '--runs-dir', runs, '--workers', '2']);
      assert.equal(again.status, 0, again.stderr);
      assert.deepEqual(again.trained, []);
      assert.equal(again.skipped.length, 4);
      // seed 1 again with one more level, and a new seed: only level 2 of seed 1 and all of seed 2
      const b = spec(dir, 'b.yaml', `${SMALL}grid: { seed: [1, 2], levels: [2] }\n`);
      const overlap = sweep(['run', b, '--runs-dir', runs, '--workers', '2']);
      assert.equal(overlap.status, 0, overlap.stderr);
      assert.equal(overlap.skipped.length, 2);
      assert.equal(overlap.trained.length, 4);
      assert.equal(overlap.trained.filter((k) => k.endsWith('level-02/ticket')).length, 2);
      assert.equal(overlap.trained.filter((k) => k.endsWith('level-00/ticket')).length, 1);
      // `runs show` reads what the sweep wrote
      const [seedTwo] = readdirSync(runs).filter((d) => existsSync(join(runs, d, 'trial-0', 'level-02')));
      const show = cliSync(['runs', 'show', join(runs, seedTwo), '--json']);
      assert.equal(show.status, 0, show.stderr);
      assert.equal(JSON.parse(show.stdout).results.length, 3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  'a sweep killed mid-unit and run again resumes from the checkpoint with identical results',
  { skip },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ticketlab-sweep-'));
    try {
      const text =
        'base: { iterations: 200, evalEvery: 50, validationSize: 500, checkpointEvery: 50, levels: 1 }\n' +
        'grid: { seed: [0, 1] }\n';
      const file = spec(dir, 's.yaml', text);
      const straight = sweep(['run', file, '--runs-dir', join(dir, 'straight'), '--workers', '2']);
      assert.equal(straight.status, 0, straight.stderr);
      const killedRuns = join(dir, 'killed');
      const child = spawn(
        process.execPath,
        [...ENTRY, 'sweep', 'run', file, '--runs-dir', killedRuns, '--workers', '2'],
        {
          env,
        },
      );
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const checkpoint = () =>
        existsSync(killedRuns) &&
        readdirSync(killedRuns).some((d) =>
          existsSync(join(killedRuns, d, 'trial-0', 'level-01', 'ticket', 'checkpoint.json')),
        );
      await new Promise<void>((resolve, reject) => {
        const poll = setInterval(() => {
          if (checkpoint()) {
            clearInterval(poll);
            child.kill('SIGKILL');
          }
        }, 20);
        child.on('exit', (code, signal) => {
          clearInterval(poll);
          if (signal === 'SIGKILL') resolve();
          else reject(new Error(`the sweep ended (${code}) before a level-1 checkpoint was seen: ${stderr}`));
        });
      });
      const resumed = sweep(['run', file, '--runs-dir', killedRuns, '--workers', '2']);
      assert.equal(resumed.status, 0, resumed.stderr);
      const starts = resumed.events.filter((e) => e.event === 'start');
      assert.ok(
        starts.some((e) => e.key === 'trial-0/level-01/ticket' && (e.resumedAt ?? 0) > 0),
        `a level-1 unit resumed from its checkpoint: ${JSON.stringify(starts)}`,
      );
      assert.ok(resumed.skipped.length >= 1, 'units finished before the kill are not trained again');
      assert.equal(resumed.trained.length + resumed.skipped.length, 4);
      assert.deepEqual(results(killedRuns), results(join(dir, 'straight')));
      assert.equal(Object.keys(results(killedRuns)).length, 4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  'a unit whose worker process always crashes is failed with its error, its dependent too; the rest finish',
  { skip },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'ticketlab-sweep-'));
    try {
      const plugin = writeCrasherPlugin(dir);
      const file = spec(dir, 's.yaml', `${SMALL}grid: { model: [crasher, lenet300], levels: [1] }\n`);
      const r = sweep(
        ['run', file, '--runs-dir', join(dir, 'runs'), '--max-attempts', '2'],
        ['--plugin', plugin],
      );
      assert.equal(r.status, 3, r.stderr);
      const events = jsonLines<SweepEvent>(r.stderr);
      const crasher = (e: SweepEvent) => e.run.startsWith('crasher-');
      assert.equal(events.filter((e) => e.event === 'retry' && crasher(e)).length, 1);
      const failed = events.filter((e) => e.event === 'failed');
      assert.deepEqual(failed.map((e) => e.key).sort(), [
        'trial-0/level-00/ticket',
        'trial-0/level-01/ticket',
      ]);
      assert.ok(failed.every(crasher));
      assert.match(
        failed.find((e) => e.key.includes('level-00'))!.error!,
        /worker process exited \(SIGKILL\)/,
      );
      assert.match(
        failed.find((e) => e.key.includes('level-01'))!.error!,
        /dependency trial-0\/level-00\/ticket failed/,
      );
      assert.equal(events.filter((e) => e.event === 'done' && !crasher(e)).length, 2);
      assert.match(r.stderr, /2 of 4 units failed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
