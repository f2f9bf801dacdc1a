// Clean errors: file-system failures (a full disk, a read-only mount, a file where a directory
// belongs, permissions), a missing data directory and Ctrl-C each end in one message naming the
// path and the way forward, a non-zero exit, no stack trace, and nothing half-written.
// Full disks and read-only mounts are simulated by test/helpers/fail-fs.ts (no root tricks).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset } from '../src/data/index.js';
import { UserError } from '../src/util/errors.js';
import { FS_ERROR_EXIT_CODE, fsUserError } from '../src/util/fs-errors.js';
import { writeSyntheticRun } from './helpers/synthetic-run.js';

const DATA = process.env.TICKETLAB_DATA;
const needsData = DATA ? false : 'TICKETLAB_DATA is not set: these CLI tests train on the real MNIST files';
const ENTRY = ['--import', 'tsx', 'src/cli/entry.ts'];
const FAIL_FS = ['--import', 'tsx', '--import', './test/helpers/fail-fs.ts', 'src/cli/entry.ts'];
const LOTTERY = ['lottery', '--iterations', '200', '--eval-every', '50', '--checkpoint-every', '50'];
const SMALL = [...LOTTERY, '--levels', '0', '--threads', '1'];

let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ticketlab-cli-errors-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

function cli(args: string[], env: Record<string, string> = {}, entry = ENTRY) {
  return spawnSync(process.execPath, [...entry, ...args], {
    encoding: 'utf8',
    env: { ...process.env, CI: '1', ...env },
  });
}

/** One message, no stack trace. */
function assertClean(r: { status: number | null; stderr: string }, status: number, message: RegExp): void {
  assert.equal(r.status, status, r.stderr);
  assert.match(r.stderr, message);
  assert.match(r.stderr, /\n {2}fix: /);
  assert.doesNotMatch(r.stderr, /\n\s+at |Error:/, 'no stack trace');
}

/** Temporary files and directories writers leave only when they die mid-write. */
function leftovers(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) =>
    /(^|\/)\.[^/]*\.(tmp|old)/.test(f),
  );
}

test('fsUserError: each fs code becomes one UserError naming the path and a fix; other errors do not', () => {
  const errno = (code: string, extra: object = {}) =>
    Object.assign(new Error(`${code}: boom`), { code, syscall: 'open', path: '/x/y', ...extra });
  const cases: [string, RegExp][] = [
    ['ENOSPC', /no space left on the device holding \/x\/y/],
    ['EDQUOT', /quota/],
    ['EROFS', /\/x\/y is on a read-only file system/],
    ['EACCES', /permission denied \(open\): \/x\/y/],
    ['EPERM', /permission denied/],
    ['EISDIR', /\/x\/y is a directory, where a file was expected/],
    ['EMFILE', /too many open files \(while opening \/x\/y\)/],
    ['ENFILE', /too many open files/],
    ['ENAMETOOLONG', /path too long: \/x\/y/],
    ['EIO', /input\/output error on \/x\/y/],
  ];
  for (const [code, message] of cases) {
    const e = fsUserError(errno(code));
    assert.ok(e instanceof UserError, code);
    assert.match(e.message, message, code);
    assert.ok(e.fix && e.fix.length > 10, code);
    assert.equal(e.exitCode, FS_ERROR_EXIT_CODE);
  }
  // a write to an open file names no path: the caller's output directory stands in
  assert.match(fsUserError(errno('ENOSPC', { path: undefined }), '/runs')!.message, /holding \/runs/);
  // a rename names its destination, not the temporary file
  assert.match(
    fsUserError(errno('EISDIR', { syscall: 'rename', dest: '/out.onnx' }))!.message,
    /^\/out\.onnx is/,
  );
  // wrapped as a cause
  assert.ok(fsUserError(new Error('saving failed', { cause: errno('ENOSPC') })));
  // a file where a directory belongs: the file is named (ENOTDIR, or EEXIST from mkdir -p)
  const file = join(tmp, 'a-file');
  writeFileSync(file, 'x');
  assert.match(
    fsUserError(errno('ENOTDIR', { path: join(file, 'run', 'x.json') }))!.message,
    /a-file is a file, not a directory/,
  );
  assert.match(
    fsUserError(errno('EEXIST', { syscall: 'mkdir', path: file }))!.message,
    /a-file is a file, not a directory$/,
  );
  for (const other of [new Error('bug'), errno('ENOENT'), errno('EEXIST'), new UserError('mine'), 'text']) {
    assert.equal(fsUserError(other), undefined);
  }
});

test('--runs-dir naming a file: one message naming it, exit 74, no stack trace', () => {
  const file = join(tmp, 'runs-file');
  writeFileSync(file, 'not a directory');
  const r = cli([...SMALL, '--runs-dir', file]);
  assertClean(r, FS_ERROR_EXIT_CODE, /runs-file is a file, not a directory/);
  const nested = cli([...SMALL, '--runs-dir', join(file, 'below')]);
  assertClean(nested, FS_ERROR_EXIT_CODE, /runs-file is a file, not a directory \(needed for .*below\)/);
});

test('a read-only --runs-dir (EROFS, simulated) names the mount and says to pass a writable --runs-dir', () => {
  const runs = join(tmp, 'readonly');
  mkdirSync(runs);
  const r = cli([...SMALL, '--runs-dir', runs], { FAIL_FS_UNDER: runs, FAIL_FS_CODE: 'EROFS' }, FAIL_FS);
  assertClean(r, FS_ERROR_EXIT_CODE, /readonly\/.* is on a read-only file system/);
  assert.match(r.stderr, /fix: .*--runs-dir/);
});

test('a --runs-dir without write permission (chmod 0500)', (t) => {
  if (process.getuid?.() === 0) {
    // root writes through file modes; the EACCES mapping itself is covered by the fsUserError test
    t.skip('running as root, where chmod 0500 does not stop writes');
    return;
  }
  const runs = join(tmp, 'no-write');
  mkdirSync(runs);
  chmodSync(runs, 0o500);
  try {
    const r = cli([...SMALL, '--runs-dir', runs]);
    assertClean(r, FS_ERROR_EXIT_CODE, /permission denied .*no-write/);
  } finally {
    chmodSync(runs, 0o700);
  }
});

test('a missing --data-dir or TICKETLAB_DATA is named as missing, not downloaded around', async () => {
  const missing = join(tmp, 'no-such-data');
  await assert.rejects(
    loadDataset('mnist', { dataDir: missing, env: {}, cacheDir: join(tmp, 'cache'), download: false }),
    (e: Error) =>
      e instanceof UserError && e.message === `--data-dir ${missing}: the directory does not exist`,
  );
  await assert.rejects(
    loadDataset('mnist', { env: { TICKETLAB_DATA: missing }, cacheDir: join(tmp, 'cache'), download: false }),
    /TICKETLAB_DATA=.*no-such-data: the directory does not exist/,
  );
  const r = cli([...SMALL, '--runs-dir', join(tmp, 'runs-data'), '--data-dir', missing], {
    XDG_CACHE_HOME: join(tmp, 'cache'),
  });
  assertClean(r, 2, /--data-dir .*no-such-data: the directory does not exist/);
  assert.doesNotMatch(r.stderr, /download/i);
});

test(
  'a full disk during a lottery (ENOSPC on a checkpoint): one message, nothing half-written, and the same command then finishes',
  { skip: needsData },
  () => {
    const runs = join(tmp, 'full-disk');
    const full = cli(
      [...SMALL, '--runs-dir', runs],
      { FAIL_FS_UNDER: runs, FAIL_FS_MATCH: 'checkpoint' },
      FAIL_FS,
    );
    assertClean(full, FS_ERROR_EXIT_CODE, /no space left on the device holding .*full-disk/);
    assert.match(full.stderr, /run the same command again/);
    assert.deepEqual(leftovers(runs), []);
    const again = cli([...SMALL, '--runs-dir', runs]);
    assert.equal(again.status, 0, again.stderr);
    // export onto a full disk: nothing written; onto a directory: named
    const [dir] = readdirSync(runs).filter((d) => !d.startsWith('.'));
    const outDir = join(tmp, 'exports');
    mkdirSync(outDir);
    const out = join(outDir, 'ticket.onnx');
    const ex = cli(['export', join(runs, dir), '--out', out], { FAIL_FS_UNDER: outDir }, FAIL_FS);
    assertClean(ex, FS_ERROR_EXIT_CODE, /no space left on the device holding .*ticket\.onnx/);
    assert.deepEqual(readdirSync(outDir), [], 'no partial export, no temporary file');
    const onDir = cli(['export', join(runs, dir), '--out', outDir]);
    assertClean(onDir, FS_ERROR_EXIT_CODE, /exports is a directory, where a file was expected/);
  },
);

test('report --out on a full disk leaves no half-written folder, and an older report intact', () => {
  const run = join(tmp, 'reported-0123456789ab');
  writeFileSync(join(tmp, 'placeholder'), '');
  const s = writeSyntheticRun(run);
  writeFileSync(join(run, 'summary.json'), JSON.stringify(s));
  const out = join(tmp, 'report-out');
  const args = ['report', run, '--out', out, '--no-masks', '--paper', 'none'];
  const fresh = cli(args, { FAIL_FS_UNDER: tmp, FAIL_FS_MATCH: 'levels\\.csv' }, FAIL_FS);
  assertClean(fresh, FS_ERROR_EXIT_CODE, /no space left on the device holding .*report-out/);
  assert.ok(!existsSync(out), 'no report folder at all');
  assert.deepEqual(leftovers(tmp), []);
  // an existing report stays as it was when the new one cannot be written
  mkdirSync(out);
  writeFileSync(join(out, 'index.html'), 'the old report');
  const over = cli(args, { FAIL_FS_UNDER: tmp, FAIL_FS_MATCH: 'levels\\.csv' }, FAIL_FS);
  assert.equal(over.status, FS_ERROR_EXIT_CODE, over.stderr);
  assert.equal(readFileSync(join(out, 'index.html'), 'utf8'), 'the old report');
  assert.deepEqual(readdirSync(out), ['index.html']);
  assert.deepEqual(leftovers(tmp), []);
});

test(
  'Ctrl-C (SIGINT) and SIGTERM print what is kept and how to resume; the rerun resumes to the same results',
  { skip: needsData },
  async () => {
    const straight = join(tmp, 'straight');
    const a = cli([...SMALL, '--runs-dir', straight]);
    assert.equal(a.status, 0, a.stderr);
    for (const [signal, code] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const) {
      const runs = join(tmp, `stopped-${signal}`);
      const child = spawn(process.execPath, [...ENTRY, ...SMALL, '--runs-dir', runs], {
        env: { ...process.env, CI: '1' },
      });
      let stderr = '';
      const exit = await new Promise<number | null>((resolve) => {
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          if (/iteration 100\/200/.test(stderr) && !child.killed) child.kill(signal);
        });
        child.on('exit', (status) => resolve(status));
      });
      assert.equal(exit, code, stderr);
      const last = stderr.trimEnd().split('\n').pop()!;
      assert.match(
        last,
        new RegExp(
          `^ticketlab: stopped by ${signal}\\. Finished units and each unit's last checkpoint are saved under .*stopped-${signal}; run the same command again to resume where it stopped\\.$`,
        ),
      );
      assert.doesNotMatch(stderr, /\n\s+at /);
      const b = cli([...SMALL, '--runs-dir', runs]);
      assert.equal(b.status, 0, b.stderr);
      assert.match(b.stderr, /resuming at iteration (50|100)/);
      const show = (root: string) => {
        const [dir] = readdirSync(root).filter((d) => !d.startsWith('.'));
        const r = cli(['runs', 'show', join(root, dir), '--json']);
        return JSON.parse(r.stdout).results.map(
          ({ wallSeconds: _w, ...rest }: { wallSeconds: number }) => rest,
        );
      };
      assert.deepEqual(show(runs), show(straight));
    }
  },
);
