// Downloads, tested without network: a local HTTP server on 127.0.0.1 plays the mirrors, one of them
// failing, one serving a corrupt file, one stalling, one good.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downloadDataset, loadDataset, md5, verifyDataset, type FetchFn } from '../src/data/index.js';
import { writeCifarDataset, writeIdxDataset, type WrittenDataset } from './helpers/datasets.js';
import { UserError } from '../src/util/errors.js';

let tmp: string;
let server: Server;
let base: string;
let mnist: WrittenDataset;
let cifar: WrittenDataset & { tarball: Uint8Array };
const served = new Map<string, Uint8Array>();
const requests: string[] = [];
const quiet = () => undefined;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'ticketlab-data-download-'));
  mnist = writeIdxDataset(join(tmp, 'origin'), { train: 20, test: 10 });
  for (const [name, bytes] of Object.entries(mnist.files)) served.set(`mnist/${name}`, bytes);
  cifar = writeCifarDataset(join(tmp, 'origin'), { records: 3, layout: 'none' });
  served.set('cifar10/cifar-10-binary.tar.gz', cifar.tarball);
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const [, mode, ...rest] = (req.url ?? '').split('/');
    const body = served.get(rest.join('/'));
    if (mode === 'down' || !body) {
      res.writeHead(mode === 'down' ? 503 : 404).end('unavailable');
      return;
    }
    if (mode === 'corrupt') {
      const bad = Buffer.from(body);
      bad[bad.length >> 1] ^= 0xff;
      res.writeHead(200, { 'content-length': bad.length }).end(bad);
      return;
    }
    if (mode === 'stall') {
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, 10)); // and then nothing
      return;
    }
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(tmp, { recursive: true, force: true });
});

function entries(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String).sort() : [];
}

test('mirrors are tried in turn: a failing and a corrupt mirror are skipped, the good one is used', async () => {
  const cache = join(tmp, 'cache-a');
  const result = await downloadDataset(mnist.spec, {
    root: cache,
    mirrors: [`${base}/down/mnist/`, `${base}/corrupt/mnist/`, `${base}/good/mnist/`],
    log: quiet,
  });
  assert.equal(result.dir, join(cache, 'mnist'));
  assert.equal(result.downloaded.length, 4);
  assert.ok(result.downloaded.every((d) => d.url.startsWith(`${base}/good/`)));
  assert.equal(result.failures.length, 2, 'after the first file, the mirror that worked is tried first');
  assert.match(result.failures[0].reason, /HTTP 503/);
  assert.match(result.failures[1].reason, /corrupt download: md5 [0-9a-f]{32}, expected [0-9a-f]{32}/);
  assert.deepEqual(entries(cache), [
    'mnist',
    ...Object.keys(mnist.files)
      .map((f) => `mnist/${f}`)
      .sort(),
  ]);
  for (const [name, bytes] of Object.entries(mnist.files)) {
    assert.equal(md5(readFileSync(join(cache, 'mnist', name))), md5(bytes));
  }
  // already there and verified: nothing is fetched again
  const n = requests.length;
  const again = await downloadDataset(mnist.spec, {
    root: cache,
    mirrors: [`${base}/good/mnist/`],
    log: quiet,
  });
  assert.equal(again.skipped.length, 4);
  assert.equal(requests.length, n);
});

test('when every mirror fails: one clear error, and nothing left behind in the cache', async () => {
  const cache = join(tmp, 'cache-b');
  let error: unknown;
  try {
    await downloadDataset(mnist.spec, {
      root: cache,
      mirrors: [`${base}/down/mnist/`, `${base}/corrupt/mnist/`, 'http://127.0.0.1:9/nothing-listens/'],
      log: quiet,
    });
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof UserError);
  assert.match(error.message, /mnist: could not download train-images-idx3-ubyte\.gz: every mirror failed/);
  assert.match(error.message, /down\/mnist\/train-images-idx3-ubyte\.gz: HTTP 503/);
  assert.match(error.message, /corrupt\/mnist\/train-images-idx3-ubyte\.gz: corrupt download/);
  assert.match(error.message, /127\.0\.0\.1:9\/nothing-listens\/train-images-idx3-ubyte\.gz: fetch failed/);
  assert.match(error.fix!, /check the network connection/);
  assert.deepEqual(entries(cache), [], 'no partial files, no staging directories');
});

test('loadDataset downloads into the cache when no copy is found, then loads it', async () => {
  const cacheDir = join(tmp, 'cache-c');
  const ds = await loadDataset('mnist', {
    spec: mnist.spec,
    env: {},
    cacheDir,
    downloadOptions: {
      mirrors: [`${base}/stall/mnist/`, `${base}/good/mnist/`],
      idleTimeoutMs: 300,
      log: quiet,
    },
  });
  assert.equal(ds.source, join(cacheDir, 'mnist'));
  assert.deepEqual(Buffer.from(ds.train.images), Buffer.from(mnist.train.images));
  assert.equal(ds.test.count, 10);
});

test('CIFAR-10: the tarball is checked, extracted atomically with an MD5SUMS, and loads', async () => {
  const cache = join(tmp, 'cache-d');
  const result = await downloadDataset(cifar.spec, {
    root: cache,
    mirrors: [`${base}/corrupt/cifar10/`, `${base}/good/cifar10`],
    log: quiet,
  });
  assert.equal(result.downloaded[0].name, 'cifar-10-binary.tar.gz');
  assert.deepEqual(entries(cache), [
    'cifar10',
    'cifar10/MD5SUMS',
    'cifar10/data_batch_1.bin',
    'cifar10/data_batch_2.bin',
    'cifar10/data_batch_3.bin',
    'cifar10/data_batch_4.bin',
    'cifar10/data_batch_5.bin',
    'cifar10/test_batch.bin',
  ]);
  const report = await verifyDataset(cifar.spec, { env: {}, cacheDir: cache });
  assert.equal(report.status, 'verified');
  assert.ok(report.files.every((f) => f.checkedBy === 'md5 (MD5SUMS)'));
  const ds = await loadDataset('cifar10', { spec: cifar.spec, env: {}, cacheDir: cache, download: false });
  assert.deepEqual(Buffer.from(ds.train.images), Buffer.from(cifar.train.images));
  assert.deepEqual([...ds.test.labels], [...cifar.test.labels]);
  const again = await downloadDataset(cifar.spec, {
    root: cache,
    mirrors: [`${base}/down/cifar10/`],
    log: quiet,
  });
  assert.equal(again.skipped.length, 6, 'an intact extracted copy is not downloaded again');
});

test('the fetch function is injectable (no sockets at all) and stale staging directories are cleared', async () => {
  const cache = join(tmp, 'cache-e');
  mkdirSync(join(cache, '.staging-mnist-999999999-abcdef'), { recursive: true });
  const urls: string[] = [];
  const fetchFn: FetchFn = async (url) => {
    urls.push(url);
    const name = url.split('/').pop()!;
    const body = mnist.files[name];
    return body ? new Response(body) : new Response('no', { status: 404 });
  };
  const result = await downloadDataset(mnist.spec, {
    root: cache,
    mirrors: ['https://mirror.invalid/x/'],
    fetchFn,
    log: quiet,
  });
  assert.equal(result.downloaded.length, 4);
  assert.ok(urls.every((u) => u.startsWith('https://mirror.invalid/x/')));
  assert.deepEqual(entries(cache), [
    'mnist',
    ...Object.keys(mnist.files)
      .map((f) => `mnist/${f}`)
      .sort(),
  ]);
});
