// Where datasets are found: --data-dir, then TICKETLAB_DATA, then the per-user cache.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheRoot, loadDataset, locate, searchRoots, verifyDataset } from '../src/data/index.js';
import { writeCifarDataset, writeIdxDataset } from './helpers/datasets.js';
import { UserError } from '../src/util/errors.js';

let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ticketlab-data-locate-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

async function userError(p: Promise<unknown>): Promise<UserError> {
  try {
    await p;
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  assert.fail('expected a UserError');
}

test('the cache is $XDG_CACHE_HOME/ticketlab, else ~/.cache/ticketlab', () => {
  assert.equal(cacheRoot({ XDG_CACHE_HOME: '/x/cache', HOME: '/home/u' }), '/x/cache/ticketlab');
  assert.equal(cacheRoot({ HOME: '/home/u' }), '/home/u/.cache/ticketlab');
  assert.deepEqual(
    searchRoots({ dataDir: '/d', env: { TICKETLAB_DATA: '/e', HOME: '/h' } }).map((r) => [r.origin, r.root]),
    [
      ['--data-dir', '/d'],
      ['TICKETLAB_DATA', '/e'],
      ['cache', '/h/.cache/ticketlab'],
    ],
  );
});

test('resolution order: --data-dir, then TICKETLAB_DATA, then the cache', async () => {
  const flag = writeIdxDataset(join(tmp, 'order-flag'), { train: 4, test: 2, seed: 1 });
  const env = writeIdxDataset(join(tmp, 'order-env'), { train: 4, test: 2, seed: 2 });
  const cache = writeIdxDataset(join(tmp, 'order-cache'), { train: 4, test: 2, seed: 3 });
  const base = { spec: flag.spec, verify: false, download: false, cacheDir: cache.root } as const;
  const all = await loadDataset('mnist', { ...base, dataDir: flag.root, env: { TICKETLAB_DATA: env.root } });
  assert.equal(all.source, flag.dir);
  assert.deepEqual(Buffer.from(all.train.images), Buffer.from(flag.train.images));
  const noFlag = await loadDataset('mnist', { ...base, env: { TICKETLAB_DATA: env.root } });
  assert.equal(noFlag.source, env.dir);
  const cacheOnly = await loadDataset('mnist', { ...base, env: {} });
  assert.equal(cacheOnly.source, cache.dir);
  // a root without the dataset is passed over
  const empty = join(tmp, 'order-empty');
  mkdirSync(join(empty, 'mnist'), { recursive: true });
  const skip = await loadDataset('mnist', { ...base, dataDir: empty, env: {} });
  assert.equal(skip.source, cache.dir);
  const report = await verifyDataset(flag.spec, {
    dataDir: empty,
    env: { TICKETLAB_DATA: env.root },
    cacheDir: cache.root,
  });
  assert.equal(report.origin, 'TICKETLAB_DATA');
  assert.equal(report.status, 'failed', 'the env copy has other checksums than the spec of the flag copy');
});

test('an incomplete copy is an error, not a silent fall-through to another copy', async () => {
  const partial = writeIdxDataset(join(tmp, 'partial'), { train: 4, test: 2 });
  const good = writeIdxDataset(join(tmp, 'partial-good'), { train: 4, test: 2 });
  unlinkSync(join(partial.dir, 'train-labels-idx1-ubyte.gz'));
  const e = await userError(
    loadDataset('mnist', {
      spec: good.spec,
      dataDir: partial.root,
      env: { TICKETLAB_DATA: good.root },
      download: false,
    }),
  );
  assert.match(e.message, /file not found: .*partial\/mnist\/train-labels-idx1-ubyte\.gz/);
  assert.match(e.message, /from --data-dir\) is incomplete/);
  const r = locate(good.spec, { dataDir: partial.root, env: {} });
  assert.equal(r.incomplete?.missing.length, 1);
});

test('not found: the message lists every place looked at and hints at a nested --data-dir', async () => {
  const w = writeIdxDataset(join(tmp, 'nested'), { train: 4, test: 2 });
  const cacheDir = join(tmp, 'nested-cache');
  const e = await userError(
    loadDataset('mnist', { spec: w.spec, dataDir: w.dir, env: {}, cacheDir, download: false }),
  );
  assert.match(
    e.message,
    /mnist: dataset not found; looked in .*nested\/mnist\/mnist \(--data-dir\), .*nested-cache\/mnist \(cache\)/,
  );
  assert.match(e.message, /\(downloading is off\)/);
  assert.match(e.message, /itself holds mnist-style files — pass its parent directory/);
  assert.match(e.fix!, /ticketlab datasets download mnist/);
});

test('alternative directory names (fashion/, cifar-10/) are accepted', async () => {
  const w = writeIdxDataset(join(tmp, 'alias'), { name: 'fashion-mnist', train: 4, test: 2 });
  renameSync(w.dir, join(w.root, 'fashion'));
  const ds = await loadDataset('fashion-mnist', { spec: w.spec, dataDir: w.root, env: {}, download: false });
  assert.equal(ds.source, join(w.root, 'fashion'));
  assert.equal(ds.name, 'fashion-mnist');
  const c = writeCifarDataset(join(tmp, 'alias-c'), { records: 2 });
  renameSync(c.dir, join(c.root, 'cifar-10'));
  const cds = await loadDataset('cifar10', { spec: c.spec, dataDir: c.root, env: {}, download: false });
  assert.equal(cds.source, join(c.root, 'cifar-10'));
});
