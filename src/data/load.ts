/**
 * Loading a dataset into memory: locate (or download) it, read and check every file, and assemble
 * NCHW uint8 image sets. Structure is checked before checksums so that a truncated file or a wrong
 * magic number is reported as such rather than as a bare md5 mismatch.
 */
import { dirname } from 'node:path';
import { UserError } from '../util/errors.js';
import { checkArchive, extractCifarMembers } from './cifar-archive.js';
import { readCifarBatch, CIFAR_PIXELS } from './cifar.js';
import { downloadDataset, type DownloadOptions } from './download.js';
import { checkChecksum, formatError, readDataFile, type CheckedBy, type DecodedFile } from './files.js';
import { parseIdx } from './idx.js';
import {
  incompleteError,
  locate,
  notFoundError,
  probe,
  searchRoots,
  type FileSet,
  type LocateOptions,
} from './locate.js';
import {
  specFor,
  type CifarDatasetSpec,
  type DatasetSpec,
  type FileSpec,
  type IdxDatasetSpec,
} from './registry.js';
import { readImported } from './image-folder/store.js';
import { type DatasetName, type ImageSet, type LoadedDataset, isDatasetName } from './types.js';

export interface LoadOptions extends LocateOptions {
  /** Check md5s (default true). Structure (magic numbers, sizes, label ranges) is always checked. */
  verify?: boolean;
  /** Download into the cache when no copy is found (default true). */
  download?: boolean;
  /** Use this spec instead of the registry's (tests use small specs). */
  spec?: DatasetSpec;
  /** Mirrors, fetch function, progress reporting for a download. */
  downloadOptions?: Omit<DownloadOptions, 'root'>;
}

/** Per-file outcome of a load or a verification. */
export interface FileCheck {
  path: string;
  checkedBy: CheckedBy | 'not checked';
}

/**
 * Loads a published dataset (located, verified, downloaded if need be) or an image folder imported
 * under that name (its stored tensors, checked against their sha256).
 */
export async function loadDataset(name: string, opts: LoadOptions = {}): Promise<LoadedDataset> {
  if (!opts.spec && !isDatasetName(name)) {
    const imported = readImported(name, opts.env);
    return {
      name,
      train: imported.train,
      test: imported.test,
      classes: imported.manifest.classNames.length,
      source: imported.dir,
    };
  }
  const spec = opts.spec ?? specFor(name as DatasetName);
  const result = locate(spec, opts);
  let located = result.located;
  if (!located) {
    const cache = searchRoots(opts).find((r) => r.origin === 'cache')!;
    if (result.incomplete && result.incomplete.root.origin !== 'cache')
      throw incompleteError(spec, result.incomplete);
    if (opts.download === false) {
      if (result.incomplete) throw incompleteError(spec, result.incomplete);
      throw notFoundError(spec, result.probes, ' (downloading is off)');
    }
    await downloadDataset(spec, { ...opts.downloadOptions, root: cache.root });
    const p = probe(spec, cache);
    if (!p.files) throw notFoundError(spec, [p], ' (after downloading)');
    located = { dir: p.dir, origin: 'cache', files: p.files };
  }
  const loaded = await loadDatasetFromFiles(spec, located.files, { verify: opts.verify ?? true });
  return { ...loaded, source: located.dir };
}

/**
 * Builds a dataset from an explicit set of files, checked against `spec` (counts, shapes and, with
 * `verify`, checksums). Tests use it with small generated files and a spec from `customSpec`.
 */
export async function loadDatasetFromFiles(
  specOrName: DatasetSpec | DatasetName,
  files: FileSet,
  opts: { verify?: boolean; checks?: FileCheck[] } = {},
): Promise<LoadedDataset> {
  const spec = typeof specOrName === 'string' ? specFor(specOrName) : specOrName;
  const verify = opts.verify ?? true;
  const checks = opts.checks ?? [];
  let train: ImageSet;
  let test: ImageSet;
  let source: string;
  if (files.format === 'idx') {
    if (spec.format !== 'idx') throw new UserError(`${spec.name} is not an IDX dataset`);
    [train, test] = await bothInOrder([
      loadIdxPair(spec, files.trainImages, files.trainLabels, spec.trainCount, 'train', verify, checks),
      loadIdxPair(spec, files.testImages, files.testLabels, spec.testCount, 'test', verify, checks),
    ]);
    source = dirname(files.trainImages);
  } else if (files.format === 'cifar') {
    if (spec.format !== 'cifar') throw new UserError(`${spec.name} is not a CIFAR dataset`);
    const manifest = files.manifest ?? {};
    [train, test] = await bothInOrder([
      loadCifarFiles(spec, files.train, spec.trainFiles, verify, manifest, checks),
      loadCifarFiles(spec, files.test, spec.testFiles, verify, manifest, checks),
    ]);
    source = dirname(files.train[0]);
  } else {
    if (spec.format !== 'cifar') throw new UserError(`${spec.name} is not a CIFAR dataset`);
    ({ train, test } = await loadCifarArchive(spec, files.archive, verify, checks));
    source = dirname(files.archive);
  }
  return { name: spec.name, train, test, classes: spec.classes, source };
}

async function loadIdxPair(
  spec: IdxDatasetSpec,
  imagesPath: string,
  labelsPath: string,
  count: number,
  part: 'train' | 'test',
  verify: boolean,
  checks: FileCheck[],
): Promise<ImageSet> {
  const imagesSpec = part === 'train' ? spec.files.trainImages : spec.files.testImages;
  const labelsSpec = part === 'train' ? spec.files.trainLabels : spec.files.testLabels;
  const [imagesFile, labelsFile] = await Promise.all([
    readDataFile(spec.name, imagesPath, {
      hash: verify && Boolean(imagesSpec.gzMd5),
      expectedDiskSize: imagesSpec.gzSize,
      expectedRawSize: imagesSpec.rawSize,
    }),
    readDataFile(spec.name, labelsPath, {
      hash: verify && Boolean(labelsSpec.gzMd5),
      expectedDiskSize: labelsSpec.gzSize,
      expectedRawSize: labelsSpec.rawSize,
    }),
  ]);
  const images = parseIdx(spec.name, imagesPath, imagesFile.raw, 'images');
  const labels = parseIdx(spec.name, labelsPath, labelsFile.raw, 'labels');
  const [n, h, w] = images.dims;
  if (n !== count || h !== spec.height || w !== spec.width) {
    throw formatError(
      spec.name,
      imagesPath,
      `the ${spec.name} ${part} images`,
      `${count} × ${spec.height} × ${spec.width} images`,
      `${n} × ${h} × ${w}`,
    );
  }
  if (labels.dims[0] !== count) {
    throw formatError(
      spec.name,
      labelsPath,
      `the ${spec.name} ${part} labels`,
      `${count} labels`,
      `${labels.dims[0]}`,
    );
  }
  checkLabels(spec, labelsPath, labels.data);
  checks.push(checkFile(spec.name, imagesFile, imagesSpec, verify));
  checks.push(checkFile(spec.name, labelsFile, labelsSpec, verify));
  return { images: images.data, labels: labels.data, count, channels: 1, height: h, width: w };
}

function checkFile(
  dataset: string,
  file: DecodedFile,
  spec: FileSpec,
  verify: boolean,
  manifestMd5?: string,
): FileCheck {
  return {
    path: file.path,
    checkedBy: verify ? checkChecksum(dataset, file, spec, manifestMd5) : 'not checked',
  };
}

function checkLabels(spec: DatasetSpec, path: string, labels: Uint8Array): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= spec.classes) {
      throw formatError(
        spec.name,
        path,
        `a ${spec.name} label file`,
        `labels 0–${spec.classes - 1}`,
        `label ${labels[i]} at index ${i}`,
      );
    }
  }
}

async function loadCifarFiles(
  spec: CifarDatasetSpec,
  paths: string[],
  specs: FileSpec[],
  verify: boolean,
  manifest: Record<string, string>,
  checks: FileCheck[],
): Promise<ImageSet> {
  const records = spec.recordsPerFile;
  const count = records * paths.length;
  const images = new Uint8Array(count * CIFAR_PIXELS);
  const labels = new Uint8Array(count);
  const decoded = await Promise.all(
    paths.map((p, i) =>
      readDataFile(spec.name, p, {
        hash: verify && Boolean(specs[i].gzMd5),
        expectedDiskSize: specs[i].gzSize,
        expectedRawSize: specs[i].rawSize,
      }),
    ),
  );
  decoded.forEach((file, i) => {
    readCifarBatch(spec.name, file.path, file.raw, {
      records,
      classes: spec.classes,
      images,
      labels,
      offset: i * records,
    });
    checks.push(checkFile(spec.name, file, specs[i], verify, manifest[specs[i].name]));
  });
  return { images, labels, count, channels: 3, height: 32, width: 32 };
}

async function loadCifarArchive(
  spec: CifarDatasetSpec,
  path: string,
  verify: boolean,
  checks: FileCheck[],
): Promise<{ train: ImageSet; test: ImageSet }> {
  const members = [...spec.trainFiles, ...spec.testFiles];
  const tarSize = members.reduce((n, f) => n + 512 + f.rawSize, 64 * 1024);
  const file = await readDataFile(spec.name, path, {
    hash: verify,
    expectedDiskSize: spec.archive.size,
    expectedRawSize: tarSize,
  });
  const extracted = extractCifarMembers(spec, path, file.raw);
  const build = (specs: FileSpec[]): ImageSet => {
    const count = specs.length * spec.recordsPerFile;
    const images = new Uint8Array(count * CIFAR_PIXELS);
    const labels = new Uint8Array(count);
    specs.forEach((f, i) =>
      readCifarBatch(spec.name, `${path}:${spec.archive.memberDir}/${f.name}`, extracted.get(f.name)!, {
        records: spec.recordsPerFile,
        classes: spec.classes,
        images,
        labels,
        offset: i * spec.recordsPerFile,
      }),
    );
    return { images, labels, count, channels: 3, height: 32, width: 32 };
  };
  const train = build(spec.trainFiles);
  const test = build(spec.testFiles);
  if (verify) checks.push({ path, checkedBy: checkArchive(spec, file) });
  else checks.push({ path, checkedBy: 'not checked' });
  return { train, test };
}

/**
 * Awaits the train and test loads together, but reports a failure of the train files before one of
 * the test files, so the message does not depend on which read finished first.
 */
async function bothInOrder(loads: [Promise<ImageSet>, Promise<ImageSet>]): Promise<[ImageSet, ImageSet]> {
  const [train, test] = await Promise.allSettled(loads);
  if (train.status === 'rejected') throw train.reason;
  if (test.status === 'rejected') throw test.reason;
  return [train.value, test.value];
}
