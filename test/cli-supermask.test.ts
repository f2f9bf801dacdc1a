/**
 * `ticketlab supermask` end to end on the real MNIST (a few iterations): the result is stored in a
 * run directory named by its settings (kill, resume and damage: supermask-resume.test.ts) and read back by the same command, and a user's mistake gets
 * one message without a stack trace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './helpers/plugin.js';

const skipData = process.env.TICKETLAB_DATA ? false : 'TICKETLAB_DATA is not set: needs the real MNIST';

test(
  'ticketlab supermask trains, stores its result, and reads it back on a second run',
  { skip: skipData },
  () => {
    const runs = mkdtempSync(join(tmpdir(), 'ticketlab-supermask-cli-'));
    try {
      const args = [
        'supermask',
        ...['--optimizer', 'sgd', '--momentum', '0.9', '--lr', '100', '--batch-size', '250'],
        ...['--iterations', '20', '--eval-every', '10', '--samples', '2', '--threads', '1', '--json'],
        ...['--runs-dir', runs],
      ];
      const first = cli(args);
      assert.equal(first.status, 0, first.stderr);
      const result = JSON.parse(first.stdout);
      assert.equal(result.testAccuracySampled.length, 2);
      assert.equal(result.iterations, 20);
      const dir = /run directory: (\S+)/.exec(first.stderr)![1];
      assert.match(dir, /supermask\/lenet300-mnist-[0-9a-f]{12}$/);
      // the run's one unit, recorded as lottery units are (with the checksum of its learned scores)
      const record = JSON.parse(readFileSync(join(dir, 'mask', 'result.json'), 'utf8'));
      assert.deepEqual(record.result, result);
      assert.ok(record.files['mask/scores.safetensors']);
      assert.ok(existsSync(join(dir, 'identity.json')));
      // not a lottery run: runs list shows nothing, runs gc removes nothing
      const list = cli(['runs', 'list', '--runs-dir', runs]);
      assert.equal(list.status, 0, list.stderr);
      assert.match(list.stdout + list.stderr, /no runs under/);
      const gc = cli(['runs', 'gc', '--runs-dir', runs]);
      assert.equal(gc.status, 0, gc.stderr);
      assert.ok(existsSync(join(dir, 'mask', 'result.json')));
      const second = cli(args);
      assert.equal(second.status, 0, second.stderr);
      assert.match(second.stderr, /done before: read back/);
      assert.deepEqual(JSON.parse(second.stdout), result);
    } finally {
      rmSync(runs, { recursive: true, force: true });
    }
  },
);

test('ticketlab supermask refuses a bad flag value with one message', () => {
  const r = cli(['supermask', '--samples', '-1']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--samples/);
  assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/);
});
