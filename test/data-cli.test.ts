// `ticketlab datasets ...` through the real CLI entry point (main() in-process, and once as a process).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { main } from '../src/cli/main.js';
import { writeIdxDataset } from './helpers/datasets.js';

// absolute, because the corrupted copy below symlinks to its files
const DATA = process.env.TICKETLAB_DATA && resolve(process.env.TICKETLAB_DATA);
const skip = DATA
  ? false
  : 'TICKETLAB_DATA is not set; set it to a verified copy (e.g. /work/shared/datasets)';

let tmp: string;
let savedEnv: NodeJS.ProcessEnv;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ticketlab-data-cli-'));
  savedEnv = { ...process.env };
  // never touch the real cache; only --data-dir decides where data is
  process.env.XDG_CACHE_HOME = join(tmp, 'xdg-cache');
  delete process.env.TICKETLAB_DATA;
});
after(() => {
  process.env = savedEnv;
  rmSync(tmp, { recursive: true, force: true });
});

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => out.push(a.join(' '));
  console.error = (...a: unknown[]) => err.push(a.join(' '));
  try {
    const code = await main(['node', 'ticketlab', 'datasets', ...args]);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

/** A copy of the real MNIST directory: symlinks to the verified files, with train labels corrupted. */
let copies = 0;
function corruptedCopy(): { root: string; labels: string } {
  const root = join(tmp, `corrupt${copies++}`);
  const dir = join(root, 'mnist');
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(join(DATA!, 'mnist'))) {
    if (f !== 'train-labels-idx1-ubyte.gz') symlinkSync(join(DATA!, 'mnist', f), join(dir, f));
  }
  const labels = Buffer.from(gunzipSync(readFileSync(join(DATA!, 'mnist', 'train-labels-idx1-ubyte.gz'))));
  labels[8 + 1234] = (labels[8 + 1234] + 1) % 10; // one wrong label
  writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(labels));
  return { root, labels: join(dir, 'train-labels-idx1-ubyte.gz') };
}

test('verify passes on the verified copy, with a readable table', { skip }, async () => {
  const r = await run('verify', '--data-dir', DATA!);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^mnist: .*\/mnist \(from --data-dir\)$/m);
  assert.match(r.out, /^FILE\s+BYTES\s+MD5\s+RESULT$/m);
  assert.match(
    r.out,
    /^train-images-idx3-ubyte\.gz\s+9912422\s+f68b3c2dcbeaaa9fbdd348bbdeb94873\s+ok: md5 \(\.gz\)$/m,
  );
  assert.match(
    r.out,
    /^t10k-labels-idx1-ubyte\.gz\s+5148\s+bb300cfdad3c16e7a12a480ee83cd310\s+ok: md5 \(\.gz\)$/m,
  );
  assert.match(r.out, /cifar10: not found/);
  assert.match(r.out, /verified: mnist, fashion-mnist \(8 files\)/);
});

test('verify fails on a corrupted copy with one clear message and no stack trace', { skip }, async () => {
  const { root, labels } = corruptedCopy();
  const r = await run('verify', 'mnist', '--data-dir', root);
  assert.equal(r.code, 1);
  assert.match(r.out, /^train-labels-idx1-ubyte\.gz\s+\d+\s+[0-9a-f]{32}\s+FAILED$/m);
  assert.match(r.err, /^ticketlab: verification failed/);
  assert.ok(r.err.includes(`${labels} has the wrong checksum`), r.err);
  assert.match(r.err, /expected md5 d53e105ee54ea40749a09fcbcd1e9432 for the \.gz file \(28881 bytes\)/);
  assert.match(
    r.err,
    /or md5 a25bea736e30d166cdddb491f175f624 for the content \(60008 bytes\), found [0-9a-f]{32}/,
  );
  assert.match(
    r.err,
    /\n {2}fix: delete .*train-labels-idx1-ubyte\.gz and run `ticketlab datasets download mnist`/,
  );
  assert.doesNotMatch(r.err, /\n\s+at /);
  // the same as a separate process: exit status 1, the message on stderr, no stack trace
  const p = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      "import { main } from './src/cli/main.ts'; process.exitCode = await main(['node', 'ticketlab', ...process.argv.slice(1)]);",
      'datasets',
      'verify',
      '--data-dir',
      root,
    ],
    { encoding: 'utf8', env: { ...process.env, TICKETLAB_DATA: '' } },
  );
  assert.equal(p.status, 1, p.stderr);
  assert.match(p.stderr, /^ticketlab: verification failed .* has the wrong checksum/m);
  assert.doesNotMatch(p.stderr, /\n\s+at /);
});

test('list shows where each dataset was found and whether it verifies', { skip }, async () => {
  const { root } = corruptedCopy();
  const ok = await run('list', '--data-dir', DATA!);
  assert.equal(ok.code, 0);
  assert.match(ok.out, /^DATASET\s+STATUS\s+FOUND IN\s+DIRECTORY\s+CHECKED BY$/m);
  assert.match(ok.out, /^mnist\s+verified\s+--data-dir\s+\S+\/mnist\s+md5 \(\.gz\) ×4$/m);
  assert.match(ok.out, /^fashion-mnist\s+verified\s+--data-dir/m);
  assert.match(ok.out, /^cifar10\s+not found/m);
  assert.match(ok.out, /Search order:/);
  const bad = await run('list', '--data-dir', root);
  assert.match(bad.out, /^mnist\s+FAILED\s+--data-dir/m);
  assert.match(bad.out, /Problems:\n {2}mnist: .*train-labels-idx1-ubyte\.gz has the wrong checksum/);
});

test('path prints the directory; unknown and missing datasets are clear errors', async () => {
  const w = writeIdxDataset(join(tmp, 'gen'), { train: 5, test: 3 });
  const r = await run('path', 'MNIST', '--data-dir', w.root);
  assert.equal(r.code, 0);
  assert.equal(r.out, w.dir);
  const unknown = await run('path', 'imagenet');
  assert.equal(unknown.code, 2);
  assert.equal(
    unknown.err,
    'ticketlab: unknown dataset "imagenet"\n  fix: choose one of: mnist, fashion-mnist, cifar10',
  );
  const missing = await run('path', 'cifar10', '--data-dir', w.root);
  assert.equal(missing.code, 2);
  assert.match(
    missing.err,
    /^ticketlab: cifar10: dataset not found; looked in .*gen\/cifar10 \(--data-dir\)/,
  );
  assert.match(missing.err, /\n {2}fix: run `ticketlab datasets download cifar10`/);
});

test('verify on files that are not the official ones (generated) reports each bad file', async () => {
  const w = writeIdxDataset(join(tmp, 'gen2'), { train: 5, test: 3 });
  const r = await run('verify', '--data-dir', w.root);
  assert.equal(r.code, 1);
  assert.equal((r.out.match(/FAILED/g) ?? []).length, 4);
  assert.match(
    r.err,
    /verification failed \(4 bad files in mnist\): mnist: .*train-images-idx3-ubyte\.gz holds 5 images, expected 60000/,
  );
});

test('download fetches from --mirror into --data-dir, verified, then verify passes', { skip }, async () => {
  const server = createServer((req, res) => {
    const name = (req.url ?? '').split('/').pop() ?? '';
    if (!req.url?.startsWith('/ok/') || !/^[a-z0-9-]+\.gz$/.test(name)) return void res.writeHead(404).end();
    try {
      const body = readFileSync(join(DATA!, 'mnist', name));
      res.writeHead(200, { 'content-length': body.length }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const target = join(tmp, 'downloaded');
    const r = await run(
      'download',
      'mnist',
      '--data-dir',
      target,
      '--mirror',
      `${url}/missing/`,
      '--mirror',
      `${url}/ok/`,
    );
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.err,
      /missing\/train-images-idx3-ubyte\.gz failed: HTTP 404 Not Found; trying the next mirror/,
    );
    assert.match(
      r.out,
      /mnist: ready in .*downloaded\/mnist \(downloaded train-images-idx3-ubyte\.gz from http:\/\/127\.0\.0\.1/,
    );
    assert.doesNotMatch(
      r.err,
      /missing\/train-labels/,
      'a mirror that worked is tried first for the next files',
    );
    assert.deepEqual(readdirSync(target).sort(), ['mnist']);
    const v = await run('verify', 'mnist', '--data-dir', target);
    assert.equal(v.code, 0, v.err);
    const again = await run('download', 'mnist', '--data-dir', target, '--mirror', `${url}/ok/`);
    assert.match(again.out, /already present and verified/);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
