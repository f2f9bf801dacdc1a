// Image folders as datasets (issue 14, item 4): folders the test builds itself (PNG, JPEG, gray,
// CMYK, RGBA, misnamed, corrupt, non-image files), decoded with sharp once into the cache, labels by
// sub-folder, first-letter case or regex, a seeded test split, one clear message per kind of mistake,
// stored tensors checked on every read, and run identities that follow the decoded content.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const tmp = mkdtempSync(join(tmpdir(), 'ticketlab-image-folder-'));
process.env.XDG_CACHE_HOME = join(tmp, 'cache'); // before anything reads the cache root

const { importImageFolder, loadDataset, parseLabelRule, datasetNamed, channelStats } =
  await import('../src/data/index.js').then(async (m) => ({
    ...m,
    channelStats: (await import('../src/data/image-folder/import.js')).channelStats,
  }));
const { labelOf } = await import('../src/data/image-folder/labels.js');
const { runIdentity, resolveConfig } = await import('../src/lottery/resolve.js');
const { UserError } = await import('../src/util/errors.js');
const { makeCaseFolder, makeImage, writeBytes } = await import('./helpers/image-folder.js');

const CASE = parseLabelRule('first-letter-case');
const FOLDER = parseLabelRule('folder');
const base = { size: 16, channels: 3 as const, testFraction: 0.25, seed: 0 };

before(async () => {
  await makeCaseFolder(join(tmp, 'pets'), 24);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

function rejectsWith(fn: () => Promise<unknown>, message: RegExp): Promise<void> {
  return assert.rejects(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `a UserError, got ${String(e)}`);
    assert.match(e.message, message);
    assert.ok(e.fix, 'with a fix');
    return true;
  });
}

test('label rules: folder, first-letter case, a regex capture; mistakes named', () => {
  assert.equal(labelOf(FOLDER, join('cat', 'a.png')), 'cat');
  assert.equal(labelOf(FOLDER, 'a.png'), undefined);
  assert.equal(labelOf(CASE, 'Abyssinian_1.jpg'), 'upper');
  assert.equal(labelOf(CASE, 'beagle_2.jpg'), 'lower');
  assert.equal(labelOf(CASE, '_x.jpg'), undefined);
  const re = parseLabelRule('regex:^(.+)_\\d+\\.jpg$');
  assert.equal(labelOf(re, 'great_pyrenees_17.jpg'), 'great_pyrenees');
  assert.equal(labelOf(re, 'x.png'), undefined);
  assert.throws(() => parseLabelRule('regex:^.+$'), /no capture group/);
  assert.throws(() => parseLabelRule('regex:(['), /not a regular expression/);
  assert.throws(() => parseLabelRule('case'), /unknown label rule/);
});

test('a pets-style folder: classes by first-letter case, a seeded test split, shape, labels and statistics', async () => {
  const r = await importImageFolder({ ...base, name: 'pets', folder: join(tmp, 'pets'), labels: CASE });
  const m = r.manifest;
  assert.equal(r.reused, false);
  assert.deepEqual(m.classNames, ['lower', 'upper']);
  assert.equal(m.train.count + m.test.count, 24);
  assert.equal(m.test.count, 6);
  const ds = await loadDataset('pets');
  assert.equal(ds.train.channels, 3);
  assert.equal(ds.train.height, 16);
  // class 1 (upper case) images are bluish, class 0 reddish: every decoded image says which it is
  const plane = 16 * 16;
  for (const set of [ds.train, ds.test]) {
    for (let n = 0; n < set.count; n++) {
      const mean = (c: number) => {
        let s = 0;
        for (let i = 0; i < plane; i++) s += set.images[(n * 3 + c) * plane + i];
        return s / plane;
      };
      assert.equal(set.labels[n], mean(2) > mean(0) ? 1 : 0, `image ${n}`);
    }
  }
  const stats = channelStats(ds.train.images, 3, plane);
  assert.deepEqual(m.mean, stats.mean);
  const facts = datasetNamed('pets');
  assert.equal(facts.classes, 2);
  assert.equal(facts.trainCount, m.train.count);
  assert.equal(facts.digest, m.digest);
});

test('a second import of the unchanged folder decodes nothing; a changed folder needs --replace', async () => {
  let decoded = 0;
  const again = await importImageFolder({
    ...base,
    name: 'pets',
    folder: join(tmp, 'pets'),
    labels: CASE,
    onProgress: () => decoded++,
  });
  assert.equal(again.reused, true);
  assert.equal(decoded, 0);
  const before = again.manifest.digest;
  const seed1 = { ...base, seed: 1, name: 'pets', folder: join(tmp, 'pets'), labels: CASE };
  await rejectsWith(() => importImageFolder(seed1), /exists already/);
  const replaced = await importImageFolder({ ...seed1, replace: true });
  assert.equal(replaced.reused, false);
  assert.notEqual(replaced.manifest.digest, before, 'another split is other content');
  // touching a file counts as a change
  const file = join(tmp, 'pets', 'beagle_0.png');
  utimesSync(file, new Date(), new Date(Date.now() + 5000));
  await rejectsWith(() => importImageFolder(seed1), /exists already/);
});

test('gray, CMYK, RGBA and misnamed files decode to sRGB; non-image and hidden files are left out', async () => {
  const root = join(tmp, 'mixed');
  await makeImage(join(root, 'red', 'gray.png'), 0, 1, 'gray-png');
  await makeImage(join(root, 'red', 'cmyk.jpg'), 0, 2, 'cmyk-jpeg');
  await makeImage(join(root, 'red', 'alpha.png'), 0, 3, 'rgba-png');
  await makeImage(join(root, 'blue', 'really-a-png.jpg'), 1, 4, 'png');
  await makeImage(join(root, 'blue', 'b.jpg'), 1, 5, 'jpeg');
  await makeImage(join(root, 'blue', 'c.png'), 1, 6, 'png');
  writeBytes(join(root, 'notes.txt'), 'not an image');
  writeBytes(join(root, 'red', '.DS_Store'), 'x');
  const r = await importImageFolder({
    ...base,
    testFraction: 0.2,
    name: 'mixed',
    folder: root,
    labels: FOLDER,
  });
  assert.equal(r.ignored, 2);
  assert.deepEqual(r.manifest.classNames, ['blue', 'red']);
  const ds = await loadDataset('mixed');
  const all = [ds.train, ds.test];
  assert.equal(ds.train.count + ds.test.count, 6);
  const plane = 16 * 16;
  for (const set of all) {
    for (let n = 0; n < set.count; n++) {
      const px = (c: number) => set.images[(n * 3 + c) * plane + 5];
      if (px(0) === px(1) && px(1) === px(2)) continue; // the gray one: three equal planes
      // red class 1? no: 'blue' sorts first, so label 0 is blue
      assert.equal(set.labels[n], px(2) > px(0) ? 0 : 1, `image ${n}: r ${px(0)} b ${px(2)}`);
    }
  }
});

test('files that cannot be decoded are named in one message; --skip-bad leaves them out and lists them', async () => {
  const root = join(tmp, 'broken');
  await makeCaseFolder(root, 6);
  writeBytes(join(root, 'Corrupt.jpg'), new Uint8Array(300).fill(7));
  writeBytes(join(root, 'empty.png'), new Uint8Array(0));
  const whole = readFileSync(join(root, 'beagle_0.png'));
  writeBytes(join(root, 'truncated.png'), whole.subarray(0, whole.length >> 1));
  const opts = { ...base, testFraction: 0.3, name: 'broken', folder: root, labels: CASE };
  await rejectsWith(
    () => importImageFolder(opts),
    /3 of 9 file\(s\) .* cannot be read as images:\n {2}Corrupt\.jpg: .+\n {2}empty\.png: .+\n {2}truncated\.png: /s,
  );
  const r = await importImageFolder({ ...opts, skipBad: true });
  assert.deepEqual(r.manifest.skipped, ['Corrupt.jpg', 'empty.png', 'truncated.png']);
  assert.equal(r.manifest.train.count + r.manifest.test.count, 6);
});

test('folder mistakes: unlabelled files, one class, no images, a bad name or size', async () => {
  const root = join(tmp, 'unlabelled');
  await makeImage(join(root, 'cat', 'a.png'), 0, 1, 'png');
  await makeImage(join(root, 'loose.png'), 1, 2, 'png');
  await rejectsWith(
    () => importImageFolder({ ...base, name: 'u', folder: root, labels: FOLDER }),
    /gives no class to 1 file\(s\).*loose\.png/,
  );
  const one = join(tmp, 'one-class');
  await makeImage(join(one, 'cat', 'a.png'), 0, 1, 'png');
  await rejectsWith(
    () => importImageFolder({ ...base, name: 'one', folder: one, labels: FOLDER }),
    /one class/,
  );
  const empty = join(tmp, 'empty');
  writeBytes(join(empty, 'readme.txt'), 'x');
  await rejectsWith(
    () => importImageFolder({ ...base, name: 'e', folder: empty, labels: FOLDER }),
    /no images in/,
  );
  await rejectsWith(
    () => importImageFolder({ ...base, name: 'e', folder: join(tmp, 'nope'), labels: FOLDER }),
    /does not exist/,
  );
  await rejectsWith(
    () => importImageFolder({ ...base, name: 'Bad Name', folder: one, labels: FOLDER }),
    /cannot name a dataset/,
  );
  await rejectsWith(
    () => importImageFolder({ ...base, size: 3, name: 'x', folder: one, labels: FOLDER }),
    /--size 3/,
  );
});

test('train/ and test/ sub-folders are the splits', async () => {
  const root = join(tmp, 'split');
  for (const [split, n] of [
    ['train', 4],
    ['valid', 2],
  ] as const) {
    for (let i = 0; i < n; i++) {
      await makeImage(join(root, split, 'red', `${i}.png`), 0, i, 'png');
      await makeImage(join(root, split, 'blue', `${i}.png`), 1, i, 'png');
    }
  }
  const r = await importImageFolder({ ...base, name: 'split', folder: root, labels: FOLDER });
  assert.deepEqual(r.manifest.split, { kind: 'folders', testDir: 'valid' });
  assert.equal(r.manifest.train.count, 8);
  assert.equal(r.manifest.test.count, 4);
});

test('stored tensors are checked on every read: a flipped byte is named with the fix', async () => {
  await importImageFolder({ ...base, name: 'damaged', folder: join(tmp, 'pets'), labels: CASE });
  const file = join(tmp, 'cache', 'ticketlab', 'imported', 'damaged', 'train-images.u8');
  const bytes = readFileSync(file);
  bytes[10] ^= 1;
  writeFileSync(file, bytes);
  await rejectsWith(
    () => loadDataset('damaged'),
    /imported dataset damaged is damaged: .*train-images\.u8 does not match its sha256/,
  );
});

test('run identity follows the imported content, not only the name', async () => {
  const folder = join(tmp, 'pets');
  await importImageFolder({ ...base, name: 'ident', folder, labels: CASE });
  const config = () =>
    resolveConfig({ model: 'lenet300', dataset: 'ident', validationSize: 4, batchSize: 4 });
  const first = runIdentity(config());
  assert.equal(first.datasetContent, datasetNamed('ident').digest);
  await importImageFolder({ ...base, seed: 5, name: 'ident', folder, labels: CASE, replace: true });
  assert.notDeepEqual(runIdentity(config()), first);
  assert.equal(runIdentity(resolveConfig({ model: 'lenet300' })).datasetContent, undefined);
  // validation: a tenth of the folder's training images by default (MNIST's 5,000 for published data)
  const held = resolveConfig({ model: 'lenet300', dataset: 'ident', batchSize: 4 }).validationSize;
  assert.equal(held, Math.round(datasetNamed('ident').trainCount / 10));
  assert.equal(resolveConfig({ model: 'lenet300' }).validationSize, 5000);
});

test('CLI: datasets import, a lottery on the imported folder, and a bad folder as one message', () => {
  const cli = (args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/entry.ts', ...args], {
      encoding: 'utf8',
      env: { ...process.env, CI: '1' },
    });
  const imp = cli([
    'datasets',
    'import',
    join(tmp, 'pets'),
    '--name',
    'clipets',
    '--labels',
    'first-letter-case',
    '--size',
    '16',
  ]);
  assert.equal(imp.status, 0, imp.stderr);
  assert.match(
    imp.stdout,
    /imported: dataset clipets .*\n {2}2 classes \(lower, upper\), 3×16×16, 19 train \/ 5 test images/,
  );
  const run = cli([
    'lottery',
    '--model',
    'lenet300',
    '--dataset',
    'clipets',
    '--levels',
    '1',
    '--iterations',
    '20',
    '--batch-size',
    '4',
    '--validation-size',
    '4',
    '--eval-every',
    '10',
    '--threads',
    '1',
    '--runs-dir',
    join(tmp, 'runs'),
  ]);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /lenet300 on clipets/);
  const bad = cli(['datasets', 'import', join(tmp, 'nope'), '--name', 'nope']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /does not exist or is not a directory\n {2}fix: /);
  assert.doesNotMatch(bad.stderr, /\n\s+at /);
});
