// IDX and CIFAR-10 readers on small files the tests generate, and every way a file can be wrong.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, unlinkSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  encodeIdx,
  encodeTar,
  loadDataset,
  loadDatasetFromFiles,
  md5,
  tarEntries,
  verifyDataset,
  type DatasetSpec,
  type LoadedDataset,
} from '../src/data/index.js';
import { writeCifarDataset, writeIdxDataset } from './helpers/datasets.js';
import { UserError, formatUserError } from '../src/util/errors.js';

let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ticketlab-data-formats-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

let counter = 0;
function freshRoot(): string {
  const dir = join(tmp, `root${counter++}`);
  return dir;
}

/** Loads with the test spec from `root` only: no environment, an empty cache, no download. */
function load(root: string, spec: DatasetSpec, verify = true): Promise<LoadedDataset> {
  return loadDataset(spec.name, {
    dataDir: root,
    spec,
    verify,
    download: false,
    env: {},
    cacheDir: join(tmp, 'no-cache'),
  });
}

/** Asserts a UserError whose message matches every pattern, and that it formats without a stack trace. */
async function rejectsUser(promise: Promise<unknown>, ...patterns: RegExp[]): Promise<UserError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof UserError, `expected a UserError, got ${String(caught)}`);
  for (const p of patterns) assert.match(caught.message, p);
  assert.ok(caught.fix && caught.fix.length > 0, 'a UserError for a bad file says how to fix it');
  const shown = formatUserError(caught);
  assert.doesNotMatch(shown, /\n\s+at /, 'no stack trace');
  return caught;
}

function listing(dir: string): string[] {
  return readdirSync(dir, { recursive: true }).map(String).sort();
}

describe('IDX (MNIST format)', () => {
  test('gzipped files load with the right counts, shapes, pixels and labels, verified by md5', async () => {
    const w = writeIdxDataset(freshRoot(), { train: 30, test: 12 });
    const ds = await load(w.root, w.spec);
    assert.equal(ds.name, 'mnist');
    assert.equal(ds.source, w.dir);
    assert.equal(ds.classes, 10);
    for (const [got, want] of [
      [ds.train, w.train],
      [ds.test, w.test],
    ] as const) {
      assert.equal(got.count, want.count);
      assert.deepEqual([got.channels, got.height, got.width], [1, 28, 28]);
      assert.deepEqual(Buffer.from(got.images), Buffer.from(want.images));
      assert.deepEqual([...got.labels], [...want.labels]);
    }
    const report = await verifyDataset(w.spec, { dataDir: w.root, env: {}, cacheDir: join(tmp, 'no-cache') });
    assert.equal(report.status, 'verified');
    assert.deepEqual(
      report.files.map((f) => f.checkedBy),
      ['md5 (.gz)', 'md5 (.gz)', 'md5 (.gz)', 'md5 (.gz)'],
    );
  });

  test('raw (uncompressed) files load and verify by content md5', async () => {
    const w = writeIdxDataset(freshRoot(), { train: 10, test: 5, gzip: false });
    const ds = await load(w.root, w.spec);
    assert.deepEqual(Buffer.from(ds.train.images), Buffer.from(w.train.images));
    const report = await verifyDataset(w.spec, { dataDir: w.root, env: {}, cacheDir: join(tmp, 'no-cache') });
    assert.equal(report.status, 'verified');
    assert.ok(report.files.every((f) => f.checkedBy === 'md5 (content)'));
  });

  test('a recompressed .gz with the official content still verifies (by content md5)', async () => {
    const w = writeIdxDataset(freshRoot(), { train: 10, test: 5 });
    const path = join(w.dir, 'train-images-idx3-ubyte.gz');
    const content = new Uint8Array(require_gunzip(readFileSync(path)));
    writeFileSync(path, gzipSync(content, { level: 1 }));
    const ds = await load(w.root, w.spec);
    assert.equal(ds.train.count, 10);
    const report = await verifyDataset(w.spec, { dataDir: w.root, env: {}, cacheDir: join(tmp, 'no-cache') });
    assert.equal(report.files[0].checkedBy, 'md5 (content)');
  });

  test('a missing file names the path looked for and how to get it', async () => {
    const w = writeIdxDataset(freshRoot(), { train: 10, test: 5 });
    unlinkSync(join(w.dir, 't10k-labels-idx1-ubyte.gz'));
    const e = await rejectsUser(
      load(w.root, w.spec),
      /file not found/,
      /t10k-labels-idx1-ubyte\.gz/,
      /incomplete/,
    );
    assert.match(e.fix!, /ticketlab datasets download mnist/);
  });

  test('a wrong checksum names the file, the expected and the found md5', async () => {
    const w = writeIdxDataset(freshRoot(), { train: 10, test: 5 });
    const path = join(w.dir, 'train-images-idx3-ubyte.gz');
    const content = new Uint8Array(require_gunzip(readFileSync(path)));
    content[16 + 100] ^= 0xff; // one pixel differs: structure intact, checksum not
    writeFileSync(path, gzipSync(content));
    const before = listing(w.root);
    const expectedMd5 = w.spec.format === 'idx' ? w.spec.files.trainImages.gzMd5! : '';
    const e = await rejectsUser(
      load(w.root, w.spec),
      /wrong checksum/,
      new RegExp(path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
      new RegExp(`expected md5 ${expectedMd5}`),
      new RegExp(`found ${md5(readFileSync(path))}`),
    );
    assert.match(e.fix!, /delete .*train-images-idx3-ubyte\.gz/);
    assert.deepEqual(listing(w.root), before, 'loading writes nothing');
    // without verification the structure is fine, so it loads
    const ds = await load(w.root, w.spec, false);
    assert.equal(ds.train.images[100], w.train.images[100] ^ 0xff);
  });

  test('a truncated .gz says truncated, with expected and found sizes', async () => {
    const w = writeIdxDataset(freshRoot(), { train: 10, test: 5 });
    const path = join(w.dir, 'train-images-idx3-ubyte.gz');
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await rejectsUser(
      load(w.root, w.spec),
      /train-images-idx3-ubyte\.gz is truncated/,
      new RegExp(`expected ${bytes.length} bytes`),
      new RegExp(`found ${Math.floor(bytes.length / 2)} bytes`),
    );
  });

  test('a truncated raw IDX file says how many bytes its header declares', async () => {
    const w = writeIdxDataset(freshRoot(), { train: 10, test: 5, gzip: false });
    const path = join(w.dir, 'train-images-idx3-ubyte');
    writeFileSync(path, readFileSync(path).subarray(0, 16 + 784 * 3 + 5));
    await rejectsUser(
      load(w.root, w.spec, false),
      /is truncated/,
      /expected 7856 bytes \(its header declares 10 × 28 × 28 values\)/,
      /found 2373 bytes/,
    );
  });

  test('a wrong magic number says what was expected and what the file looks like', async () => {
    const w = writeIdxDataset(freshRoot(), { train: 10, test: 5 });
    // a label file where the image file should be
    writeFileSync(
      join(w.dir, 'train-images-idx3-ubyte.gz'),
      readFileSync(join(w.dir, 'train-labels-idx1-ubyte.gz')),
    );
    await rejectsUser(
      load(w.root, w.spec),
      /train-images-idx3-ubyte\.gz is not an IDX image file/,
      /expected magic number 0x00000803/,
      /found 0x00000801 \(an IDX label file\)/,
    );
    // an HTML error page saved under the data file's name
    writeFileSync(join(w.dir, 'train-images-idx3-ubyte.gz'), '<!DOCTYPE html><title>404</title>');
    await rejectsUser(load(w.root, w.spec), /not an IDX image file/, /\(an HTML page\)/);
    // damaged gzip data of the right size
    const w2 = writeIdxDataset(freshRoot(), { train: 10, test: 5 });
    const bad = Buffer.from(w2.files['train-images-idx3-ubyte.gz']);
    for (let i = 40; i < bad.length - 40; i += 7) bad[i] ^= 0x55;
    writeFileSync(join(w2.dir, 'train-images-idx3-ubyte.gz'), bad);
    await rejectsUser(load(w2.root, w2.spec), /train-images-idx3-ubyte\.gz is not valid gzip data/, /zlib: /);
  });

  test('wrong counts, extra bytes and out-of-range labels are reported', async () => {
    const w = writeIdxDataset(freshRoot(), { train: 10, test: 5 });
    writeFileSync(
      join(w.dir, 't10k-images-idx3-ubyte.gz'),
      gzipSync(encodeIdx([4, 28, 28], new Uint8Array(4 * 784))),
    );
    await rejectsUser(
      load(w.root, w.spec),
      /t10k-images-idx3-ubyte\.gz is not the mnist test images/,
      /expected 5 × 28 × 28/,
      /found 4 × 28 × 28/,
    );

    const w2 = writeIdxDataset(freshRoot(), { train: 10, test: 5 });
    const extra = new Uint8Array(8 + 5 + 3);
    extra.set(encodeIdx([5], new Uint8Array(5)));
    writeFileSync(join(w2.dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(extra));
    await rejectsUser(load(w2.root, w2.spec), /not an IDX label file/, /3 more than the header accounts for/);

    const w3 = writeIdxDataset(freshRoot(), { train: 10, test: 5 });
    writeFileSync(
      join(w3.dir, 't10k-labels-idx1-ubyte.gz'),
      gzipSync(encodeIdx([5], Uint8Array.from([1, 2, 3, 12, 4]))),
    );
    await rejectsUser(load(w3.root, w3.spec, false), /label 12 at index 3/, /labels 0–9/);
  });

  test('loadDatasetFromFiles builds a dataset from explicit paths', async () => {
    const w = writeIdxDataset(freshRoot(), { train: 8, test: 4, gzip: false });
    const ds = await loadDatasetFromFiles(w.spec, {
      format: 'idx',
      trainImages: join(w.dir, 'train-images-idx3-ubyte'),
      trainLabels: join(w.dir, 'train-labels-idx1-ubyte'),
      testImages: join(w.dir, 't10k-images-idx3-ubyte'),
      testLabels: join(w.dir, 't10k-labels-idx1-ubyte'),
    });
    assert.equal(ds.train.count, 8);
    assert.equal(ds.source, w.dir);
    // the registry's MNIST spec expects 60,000 images: a small file is clearly reported
    await rejectsUser(
      loadDatasetFromFiles('mnist', {
        format: 'idx',
        trainImages: join(w.dir, 'train-images-idx3-ubyte'),
        trainLabels: join(w.dir, 'train-labels-idx1-ubyte'),
        testImages: join(w.dir, 't10k-images-idx3-ubyte'),
        testLabels: join(w.dir, 't10k-labels-idx1-ubyte'),
      }),
      /expected 60000 × 28 × 28 images/,
    );
  });
});

describe('CIFAR-10 binary format', () => {
  for (const layout of ['bin', 'bin.gz', 'subdir', 'tarball'] as const) {
    test(`loads from ${layout} files with NCHW images and labels intact`, async () => {
      const w = writeCifarDataset(freshRoot(), { records: 6, layout });
      const ds = await load(w.root, w.spec);
      assert.equal(ds.name, 'cifar10');
      assert.equal(ds.train.count, 30);
      assert.equal(ds.test.count, 6);
      assert.deepEqual([ds.train.channels, ds.train.height, ds.train.width], [3, 32, 32]);
      assert.deepEqual(Buffer.from(ds.train.images), Buffer.from(w.train.images));
      assert.deepEqual([...ds.train.labels], [...w.train.labels]);
      assert.deepEqual(Buffer.from(ds.test.images), Buffer.from(w.test.images));
      assert.deepEqual([...ds.test.labels], [...w.test.labels]);
      const report = await verifyDataset(w.spec, {
        dataDir: w.root,
        env: {},
        cacheDir: join(tmp, 'no-cache'),
      });
      assert.equal(report.status, 'verified');
      const want = layout === 'tarball' ? 'md5 (.gz)' : 'size + structure';
      assert.ok(
        report.files.every((f) => f.checkedBy === want),
        JSON.stringify(report.files.map((f) => f.checkedBy)),
      );
    });
  }

  test('record layout: label byte then red, green, blue planes', async () => {
    const w = writeCifarDataset(freshRoot(), { records: 2 });
    const bin = readFileSync(join(w.dir, 'data_batch_1.bin'));
    assert.equal(bin.length, 2 * 3073);
    assert.equal(bin[0], w.train.labels[0]);
    assert.equal(bin[1 + 1024 + 5], w.train.images[1024 + 5], 'green plane of image 0');
    assert.equal(bin[3073], w.train.labels[1]);
  });

  test('a truncated batch file names expected and found sizes in records', async () => {
    const w = writeCifarDataset(freshRoot(), { records: 4 });
    const path = join(w.dir, 'data_batch_3.bin');
    writeFileSync(path, readFileSync(path).subarray(0, 3073 * 2 + 100));
    await rejectsUser(
      load(w.root, w.spec),
      /data_batch_3\.bin is truncated/,
      /expected 12292 bytes \(4 records of 1 label byte \+ 3072 pixel bytes\)/,
      /found 6246 bytes \(2 whole records\)/,
    );
  });

  test('a bad label byte, an oversized file and a missing batch are reported', async () => {
    const w = writeCifarDataset(freshRoot(), { records: 4 });
    const path = join(w.dir, 'test_batch.bin');
    const bytes = Buffer.from(readFileSync(path));
    bytes[3073 * 2] = 77;
    writeFileSync(path, bytes);
    await rejectsUser(load(w.root, w.spec), /not a CIFAR-10 binary batch/, /label byte 77 in record 2/);
    writeFileSync(path, Buffer.concat([readFileSync(join(w.dir, 'data_batch_1.bin')), Buffer.alloc(4)]));
    await rejectsUser(load(w.root, w.spec), /expected 12292 bytes/, /found 12296 bytes/);
    unlinkSync(path);
    await rejectsUser(load(w.root, w.spec), /file not found: .*test_batch\.bin/, /incomplete/);
  });

  test('MD5SUMS written at extraction is enforced', async () => {
    const w = writeCifarDataset(freshRoot(), { records: 3 });
    const sums = Object.entries(w.files).map(([name, data]) => `${md5(data)}  ${name}\n`);
    writeFileSync(join(w.dir, 'MD5SUMS'), sums.join(''));
    let report = await verifyDataset(w.spec, { dataDir: w.root, env: {}, cacheDir: join(tmp, 'no-cache') });
    assert.equal(report.status, 'verified');
    assert.ok(report.files.every((f) => f.checkedBy === 'md5 (MD5SUMS)'));
    const path = join(w.dir, 'data_batch_2.bin');
    const bytes = Buffer.from(readFileSync(path));
    bytes[10] ^= 1;
    writeFileSync(path, bytes);
    await rejectsUser(load(w.root, w.spec), /data_batch_2\.bin has the wrong checksum/, /MD5SUMS/);
    report = await verifyDataset(w.spec, { dataDir: w.root, env: {}, cacheDir: join(tmp, 'no-cache') });
    assert.equal(report.status, 'failed');
    assert.equal(report.files.filter((f) => !f.ok).length, 1);
  });

  test('tarball: wrong checksum, truncation, damaged headers and missing members', async () => {
    const w = writeCifarDataset(freshRoot(), { records: 2, layout: 'tarball' });
    const path = join(w.dir, 'cifar-10-binary.tar.gz');
    // same content, recompressed: structure fine, md5 wrong
    const tar = require_gunzip(w.tarball);
    writeFileSync(path, gzipSync(tar, { level: 1 }));
    await rejectsUser(
      load(w.root, w.spec),
      /cifar-10-binary\.tar\.gz has the wrong checksum/,
      new RegExp(`expected md5 ${md5(w.tarball)}`),
    );
    writeFileSync(path, w.tarball.subarray(0, w.tarball.length - 100));
    await rejectsUser(load(w.root, w.spec), /cifar-10-binary\.tar\.gz is truncated/);
    const damaged = Buffer.from(tar);
    damaged[0] ^= 0x20;
    writeFileSync(path, gzipSync(damaged));
    await rejectsUser(load(w.root, w.spec, false), /not a valid tar archive/, /checksum/);
    writeFileSync(
      path,
      gzipSync(
        encodeTar([{ name: 'cifar-10-batches-bin/data_batch_1.bin', data: new Uint8Array(2 * 3073) }]),
      ),
    );
    await rejectsUser(
      load(w.root, w.spec, false),
      /members cifar-10-batches-bin\/data_batch_2\.bin and 4 more/,
    );
  });

  test('tar reader round-trips names and contents', () => {
    const entries = [
      { name: 'a/b.txt', data: new TextEncoder().encode('hello') },
      { name: 'c.bin', data: new Uint8Array(1500).fill(7) },
    ];
    const got = [...tarEntries(encodeTar(entries))];
    assert.deepEqual(
      got.map((e) => [e.name, e.data.length]),
      [
        ['a/b.txt', 5],
        ['c.bin', 1500],
      ],
    );
    assert.equal(got[1].data[1499], 7);
  });
});

import { gunzipSync } from 'node:zlib';
function require_gunzip(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(gunzipSync(bytes));
}
