/**
 * Specs for small stand-in datasets: the shape, classes and statistics of a real dataset with other
 * counts and no official checksums. Tests build IDX and CIFAR files of a few examples and load them
 * through exactly the code paths the real data takes.
 */
import { CIFAR_RECORD } from './cifar.js';
import {
  specFor,
  type CifarDatasetSpec,
  type DatasetSpec,
  type FileSpec,
  type IdxDatasetSpec,
} from './registry.js';
import type { DatasetName } from './types.js';

export interface CustomSpecOptions {
  train: number;
  test: number;
  /** CIFAR only: records per batch file (default: train / number of train files). */
  recordsPerFile?: number;
  /** Mirrors for downloads (default none). */
  mirrors?: string[];
  /** md5s (and sizes) of the files, keyed by file name as served (e.g. 'train-images-idx3-ubyte.gz'). */
  checksums?: Record<string, { size: number; md5: string }>;
  /** CIFAR only: the archive's size and md5. */
  archive?: { size: number; md5: string };
}

export function customSpec(base: DatasetName, opts: CustomSpecOptions): DatasetSpec {
  const spec = specFor(base);
  if (spec.format === 'idx') {
    const idx = (name: string, header: number, values: number): FileSpec => {
      const sums = opts.checksums?.[`${name}.gz`];
      return { name, rawSize: header + values, gzSize: sums?.size, gzMd5: sums?.md5 };
    };
    const px = spec.height * spec.width;
    const out: IdxDatasetSpec = {
      ...spec,
      trainCount: opts.train,
      testCount: opts.test,
      mirrors: opts.mirrors ?? [],
      files: {
        trainImages: idx(spec.files.trainImages.name, 16, opts.train * px),
        trainLabels: idx(spec.files.trainLabels.name, 8, opts.train),
        testImages: idx(spec.files.testImages.name, 16, opts.test * px),
        testLabels: idx(spec.files.testLabels.name, 8, opts.test),
      },
    };
    return out;
  }
  const records = opts.recordsPerFile ?? opts.train / spec.trainFiles.length;
  if (
    !Number.isInteger(records) ||
    opts.train !== records * spec.trainFiles.length ||
    opts.test !== records
  ) {
    throw new RangeError(
      `customSpec(cifar10): ${opts.train} train / ${opts.test} test examples do not fill ` +
        `${spec.trainFiles.length} + ${spec.testFiles.length} files of ${records} records`,
    );
  }
  const file = (f: FileSpec): FileSpec => ({ name: f.name, rawSize: records * CIFAR_RECORD });
  const out: CifarDatasetSpec = {
    ...spec,
    trainCount: opts.train,
    testCount: opts.test,
    recordsPerFile: records,
    trainFiles: spec.trainFiles.map(file),
    testFiles: spec.testFiles.map(file),
    archive: { ...spec.archive, size: opts.archive?.size ?? 0, md5: opts.archive?.md5 ?? '' },
    mirrors: opts.mirrors ?? [],
  };
  return out;
}
