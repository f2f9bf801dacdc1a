/**
 * The dashboard's user mistakes, each one clear message: a runs directory that does not exist, a port
 * already in use, an export directory that is not empty (or is a file) — through the functions, and
 * through the `ticketlab` binary's entry for the exit code and the absence of a stack trace.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDashboard } from '../src/serve/app.js';
import { exportDashboard } from '../src/serve/export.js';
import { UserError } from '../src/util/errors.js';

let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ticketlab-serve-errors-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const cli = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/serve/entry.ts', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });

test('serve: a runs directory that does not exist is one message naming it, exit 2, no stack', async () => {
  const missing = join(tmp, 'no-runs-here');
  await assert.rejects(startDashboard({ root: missing }), (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.match(e.message, /no runs directory at .*no-runs-here/);
    return true;
  });
  assert.throws(() => exportDashboard(missing, join(tmp, 'out')), /no runs directory/);
  assert.ok(!existsSync(join(tmp, 'out')), 'nothing written');
  const r = cli(['serve', missing]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^ticketlab: no runs directory at .*no-runs-here\n {2}fix: /);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('serve: a port in use is one message with the fix, through the function and the binary', async () => {
  const runs = join(tmp, 'runs');
  mkdirSync(runs, { recursive: true });
  const first = await startDashboard({ root: runs, port: 0 });
  try {
    const port = Number(new URL(first.url).port);
    await assert.rejects(startDashboard({ root: runs, port }), (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.equal(e.message, `port ${port} on 127.0.0.1 is in use`);
      assert.match(e.fix ?? '', /--port/);
      return true;
    });
    const r = cli(['serve', runs, '--port', String(port)]);
    assert.equal(r.status, 2);
    assert.equal(r.stderr.split('\n')[0], `ticketlab: port ${port} on 127.0.0.1 is in use`);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  } finally {
    await first.close();
  }
});

test('serve --export: a directory that is not empty, or a file, is refused and left as it was', () => {
  const runs = join(tmp, 'runs');
  mkdirSync(runs, { recursive: true });
  const full = join(tmp, 'full');
  mkdirSync(full);
  writeFileSync(join(full, 'notes.txt'), 'mine');
  assert.throws(
    () => exportDashboard(runs, full),
    (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.match(e.message, /is not empty/);
      return true;
    },
  );
  assert.ok(!existsSync(join(full, 'index.html')));
  const file = join(tmp, 'a-file');
  writeFileSync(file, '');
  assert.throws(() => exportDashboard(runs, file), /is a file/);
  // an empty directory is fine: an export of an empty store
  const empty = join(tmp, 'empty');
  mkdirSync(empty);
  assert.deepEqual((({ runs: n, units }) => ({ runs: n, units }))(exportDashboard(runs, empty)), {
    runs: 0,
    units: 0,
  });
  for (const f of ['index.html', 'data.js', 'vendor/vega.js', 'vendor/vega-lite.js', 'vendor/vega-embed.js'])
    assert.ok(existsSync(join(empty, f)), f);
});
