/**
 * Small stand-in datasets on disk, for tests: IDX and CIFAR files of a few seeded random examples,
 * gzipped or raw, with a matching spec from customSpec() carrying their md5s.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CIFAR_PIXELS, encodeCifarBatch, encodeTar } from '../../src/data/cifar.js';
import { customSpec } from '../../src/data/custom.js';
import { md5 } from '../../src/data/files.js';
import { encodeIdx } from '../../src/data/idx.js';
import { CIFAR10, MNIST, type DatasetSpec } from '../../src/data/registry.js';
import { syntheticSet } from '../../src/data/synthetic.js';
import type { DatasetName, ImageSet } from '../../src/data/types.js';

export { syntheticSet };

export interface WrittenDataset {
  /** The data root (pass as dataDir or TICKETLAB_DATA). */
  root: string;
  /** The dataset directory inside it. */
  dir: string;
  spec: DatasetSpec;
  train: ImageSet;
  test: ImageSet;
  /** Bytes of every file written, by file name. */
  files: Record<string, Uint8Array>;
}

/** Writes an MNIST-shaped (or Fashion-MNIST) IDX dataset to <root>/<name>/, gzipped unless `gzip: false`. */
export function writeIdxDataset(
  root: string,
  opts: { name?: 'mnist' | 'fashion-mnist'; train: number; test: number; seed?: number; gzip?: boolean },
): WrittenDataset {
  const name: DatasetName = opts.name ?? 'mnist';
  const shape = { channels: 1, height: MNIST.height, width: MNIST.width };
  const train = syntheticSet(opts.train, shape, opts.seed ?? 1);
  const test = syntheticSet(opts.test, shape, (opts.seed ?? 1) + 1000);
  const gzip = opts.gzip ?? true;
  const raw: Record<string, Uint8Array> = {
    'train-images-idx3-ubyte': encodeIdx([opts.train, 28, 28], train.images),
    'train-labels-idx1-ubyte': encodeIdx([opts.train], train.labels),
    't10k-images-idx3-ubyte': encodeIdx([opts.test, 28, 28], test.images),
    't10k-labels-idx1-ubyte': encodeIdx([opts.test], test.labels),
  };
  const files: Record<string, Uint8Array> = {};
  const checksums: Record<string, { size: number; md5: string }> = {};
  for (const [file, bytes] of Object.entries(raw)) {
    if (gzip) {
      const gz = new Uint8Array(gzipSync(bytes));
      files[`${file}.gz`] = gz;
      checksums[`${file}.gz`] = { size: gz.length, md5: md5(gz) };
    } else {
      files[file] = bytes;
    }
  }
  const spec = customSpec(name, { train: opts.train, test: opts.test, checksums });
  if (spec.format === 'idx') {
    for (const f of Object.values(spec.files)) f.rawMd5 = md5(raw[f.name]);
  }
  const dir = join(root, spec.dirNames[0]);
  mkdirSync(dir, { recursive: true });
  for (const [file, bytes] of Object.entries(files)) writeFileSync(join(dir, file), bytes);
  return { root, dir, spec, train, test, files };
}

/**
 * Writes a CIFAR-10-format dataset of `records` examples per batch file to <root>/cifar10/, as loose
 * .bin files (optionally gzipped, optionally under cifar-10-batches-bin/) or as the tarball.
 */
export function writeCifarDataset(
  root: string,
  opts: {
    records: number;
    seed?: number;
    layout?: 'bin' | 'bin.gz' | 'subdir' | 'tarball' | 'none';
  },
): WrittenDataset & { tarball: Uint8Array } {
  const shape = { channels: 3, height: 32, width: 32 };
  const n = opts.records;
  const train = syntheticSet(n * CIFAR10.trainFiles.length, shape, opts.seed ?? 3);
  const test = syntheticSet(n, shape, (opts.seed ?? 3) + 1000);
  const batches: Record<string, Uint8Array> = {};
  CIFAR10.trainFiles.forEach((f, i) => {
    batches[f.name] = encodeCifarBatch(
      train.images.subarray(i * n * CIFAR_PIXELS, (i + 1) * n * CIFAR_PIXELS),
      train.labels.subarray(i * n, (i + 1) * n),
    );
  });
  batches[CIFAR10.testFiles[0].name] = encodeCifarBatch(test.images, test.labels);
  const tarball = new Uint8Array(
    gzipSync(
      encodeTar([
        {
          name: 'cifar-10-batches-bin/batches.meta.txt',
          data: new TextEncoder().encode(CIFAR10.classNames.join('\n')),
        },
        ...Object.entries(batches).map(([name, data]) => ({ name: `cifar-10-batches-bin/${name}`, data })),
      ]),
    ),
  );
  const spec = customSpec('cifar10', {
    train: train.count,
    test: test.count,
    recordsPerFile: n,
    archive: { size: tarball.length, md5: md5(tarball) },
  });
  const dir = join(root, spec.dirNames[0]);
  const files: Record<string, Uint8Array> = {};
  const layout = opts.layout ?? 'bin';
  if (layout === 'tarball') files[CIFAR10.archive.name] = tarball;
  else if (layout !== 'none') {
    for (const [name, data] of Object.entries(batches)) {
      if (layout === 'bin.gz') files[`${name}.gz`] = new Uint8Array(gzipSync(data));
      else files[layout === 'subdir' ? `cifar-10-batches-bin/${name}` : name] = data;
    }
  }
  for (const [file, bytes] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), bytes);
  }
  return { root, dir, spec, train, test, files, tarball };
}
