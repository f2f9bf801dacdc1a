/**
 * `ticketlab datasets import`: an image folder becomes a named dataset. Decoding happens once; a second
 * import of an unchanged folder with the same options reuses the stored tensors. Results depend on the
 * decoded bytes, so the manifest's digest covers them and becomes part of every run's identity.
 */
import { createHash } from 'node:crypto';
import { UserError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { decodeImages } from './decode.js';
import { describeLabelRule } from './labels.js';
import { type ScannedFile, scanImageFolder } from './scan.js';
import { checkImportName, readManifest, sha256, writeImported } from './store.js';
import type { ImageFolderManifest, LabelRule } from './types.js';

export interface ImportOptions {
  name: string;
  folder: string;
  labels: LabelRule;
  /** Images are resized to cover size × size and centre-cropped. */
  size: number;
  channels: 1 | 3;
  /** Without train/ and test/ sub-folders: the fraction held out for testing, drawn with `seed`. */
  testFraction: number;
  seed: number;
  /** Leave out files that cannot be decoded (listed in the manifest) instead of refusing. */
  skipBad?: boolean;
  /** Replace a dataset of that name imported from another folder or with other options. */
  replace?: boolean;
  env?: NodeJS.ProcessEnv;
  onProgress?: (done: number, total: number) => void;
}

export interface ImportResult {
  manifest: ImageFolderManifest;
  dir?: string;
  /** The stored tensors were reused: the folder and the options are unchanged. */
  reused: boolean;
  /** Non-image and hidden files left out of the scan. */
  ignored: number;
}

const MAX_LISTED = 10;

function sameOptions(m: ImageFolderManifest, o: ImportOptions, source: string, fingerprint: string): boolean {
  const split = m.split.kind === 'fraction' ? m.split : undefined;
  return (
    m.source === source &&
    m.sourceFingerprint === fingerprint &&
    describeLabelRule(m.labels) === describeLabelRule(o.labels) &&
    m.size === o.size &&
    m.channels === o.channels &&
    (m.split.kind === 'folders' || (split?.testFraction === o.testFraction && split.seed === o.seed)) &&
    (m.skipped.length === 0 || o.skipBad === true)
  );
}

function checkOptions(o: ImportOptions): void {
  checkImportName(o.name);
  if (!Number.isInteger(o.size) || o.size < 8 || o.size > 1024) {
    throw new UserError(
      `--size ${o.size}: images are resized to size × size pixels`,
      'give an integer from 8 to 1024',
    );
  }
  if (!(o.testFraction > 0 && o.testFraction < 1)) {
    throw new UserError(
      `--test-fraction ${o.testFraction} must be between 0 and 1`,
      'e.g. --test-fraction 0.2',
    );
  }
}

/** Per-channel mean and std (population) of `images` scaled to [0, 1], in float64. */
export function channelStats(
  images: Uint8Array,
  channels: number,
  plane: number,
): { mean: number[]; std: number[] } {
  const mean: number[] = [];
  const std: number[] = [];
  const count = images.length / (channels * plane);
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    let sq = 0;
    for (let n = 0; n < count; n++) {
      const base = (n * channels + c) * plane;
      for (let i = 0; i < plane; i++) {
        const v = images[base + i] / 255;
        sum += v;
        sq += v * v;
      }
    }
    const m = sum / (count * plane);
    mean.push(m);
    std.push(Math.sqrt(Math.max(0, sq / (count * plane) - m * m)));
  }
  return { mean, std };
}

export async function importImageFolder(o: ImportOptions): Promise<ImportResult> {
  checkOptions(o);
  const scanned = scanImageFolder(o.folder, o.labels);
  const existing = readManifest(o.name, o.env);
  if (existing && sameOptions(existing, o, scanned.root, scanned.fingerprint)) {
    return { manifest: existing, reused: true, ignored: scanned.ignored };
  }
  if (existing && !o.replace) {
    throw new UserError(
      `a dataset named ${o.name} exists already (imported from ${existing.source}, ${existing.size}×${existing.size}, ` +
        `labels ${describeLabelRule(existing.labels)}), and this folder or these options differ`,
      `pass --replace to import over it (runs of the old one keep their own identity), or choose another --name`,
    );
  }
  if (scanned.classNames.length > 256) {
    throw new UserError(
      `the label rule ${describeLabelRule(o.labels)} finds ${scanned.classNames.length} classes; labels are stored as bytes (at most 256)`,
      'check --labels against the file names',
    );
  }
  const files: ScannedFile[] = [...scanned.train, ...(scanned.test ?? [])];
  const decoded = await decodeImages(files, o.size, o.channels, o.onProgress);
  if (decoded.failures.length > 0 && !o.skipBad) {
    const list = decoded.failures.slice(0, MAX_LISTED).map((f) => `  ${f.rel}: ${f.reason}`);
    if (decoded.failures.length > MAX_LISTED)
      list.push(`  … and ${decoded.failures.length - MAX_LISTED} more`);
    throw new UserError(
      `${decoded.failures.length} of ${files.length} file(s) in ${scanned.root} cannot be read as images:\n${list.join('\n')}`,
      'remove or replace them, or pass --skip-bad to leave them out (they are listed in the manifest)',
    );
  }
  const per = o.channels * o.size * o.size;
  const classIndex = new Map(scanned.classNames.map((c, i) => [c, i]));
  const nTrainFiles = scanned.train.length;
  const keptTrain = decoded.kept
    .map((fileIndex, row) => ({ fileIndex, row }))
    .filter((k) => k.fileIndex < nTrainFiles);
  const keptTest = decoded.kept
    .map((fileIndex, row) => ({ fileIndex, row }))
    .filter((k) => k.fileIndex >= nTrainFiles);
  let trainRows = keptTrain;
  let testRows = keptTest;
  if (!scanned.test) {
    // a seeded draw of the held-out rows, each split kept in file order
    const n = keptTrain.length;
    const nTest = Math.round(n * o.testFraction);
    if (nTest < 1 || nTest >= n) {
      throw new UserError(
        `--test-fraction ${o.testFraction} of ${n} images leaves ${nTest === 0 ? 'no test' : 'no training'} images`,
        'use more images or another --test-fraction',
      );
    }
    const order = Rng.derive(o.seed, 'image-folder-test-split').permutation(n);
    const isTest = new Uint8Array(n);
    for (let i = 0; i < nTest; i++) isTest[order[i]] = 1;
    trainRows = keptTrain.filter((_, i) => !isTest[i]);
    testRows = keptTrain.filter((_, i) => isTest[i] === 1);
  }
  const gather = (rows: { fileIndex: number; row: number }[]) => {
    const images = new Uint8Array(rows.length * per);
    const labels = new Uint8Array(rows.length);
    rows.forEach((r, j) => {
      images.set(decoded.images.subarray(r.row * per, (r.row + 1) * per), j * per);
      labels[j] = classIndex.get(files[r.fileIndex].className)!;
    });
    return { images, labels };
  };
  const train = gather(trainRows);
  const test = gather(testRows);
  const stats = channelStats(train.images, o.channels, o.size * o.size);
  const stored = (s: { images: Uint8Array; labels: Uint8Array }, count: number) => ({
    count,
    imagesSha256: sha256(s.images),
    labelsSha256: sha256(s.labels),
  });
  const trainStored = stored(train, trainRows.length);
  const testStored = stored(test, testRows.length);
  const digest = createHash('sha256')
    .update(JSON.stringify([scanned.classNames, o.channels, o.size, trainStored, testStored]))
    .digest('hex');
  const manifest: ImageFolderManifest = {
    format: 'ticketlab-image-folder',
    version: 1,
    name: o.name,
    source: scanned.root,
    sourceFingerprint: scanned.fingerprint,
    labels: o.labels,
    size: o.size,
    channels: o.channels,
    split: scanned.test
      ? { kind: 'folders', testDir: scanned.testDir! }
      : { kind: 'fraction', testFraction: o.testFraction, seed: o.seed },
    classNames: scanned.classNames,
    train: trainStored,
    test: testStored,
    mean: stats.mean,
    std: stats.std,
    skipped: decoded.failures.map((f) => f.rel),
    digest,
  };
  const dir = writeImported(manifest, { train, test }, o.env);
  return { manifest, dir, reused: false, ignored: scanned.ignored };
}
