/**
 * What each dataset is: its files with their official sizes and md5s, where to download them,
 * its shape, class names and pixel statistics. Everything here is a fact about the published data.
 */
import { UserError } from '../util/errors.js';
import { importedNames, readManifest } from './image-folder/store.js';
import type { DatasetName } from './types.js';

/**
 * One file of a dataset. `name` is the uncompressed file name; on disk it may also carry `.gz`.
 * `gzSize`/`gzMd5` describe the official gzipped file (the form the mirrors serve), `rawSize`/`rawMd5`
 * its decompressed content. A gzipped file verifies if either its own md5 or its content's md5 matches.
 */
export interface FileSpec {
  name: string;
  gzSize?: number;
  gzMd5?: string;
  rawSize: number;
  rawMd5?: string;
}

interface DatasetSpecBase {
  name: DatasetName;
  title: string;
  homepage: string;
  /** Directory names tried under a data root, first is the one downloads use. */
  dirNames: string[];
  classes: number;
  classNames: string[];
  channels: number;
  height: number;
  width: number;
  trainCount: number;
  testCount: number;
  /** Per-channel mean and standard deviation of the training pixels scaled to [0, 1]. */
  mean: number[];
  std: number[];
}

export interface IdxDatasetSpec extends DatasetSpecBase {
  format: 'idx';
  files: { trainImages: FileSpec; trainLabels: FileSpec; testImages: FileSpec; testLabels: FileSpec };
  /** Base URLs, tried in turn; a file's URL is base + name + '.gz'. */
  mirrors: string[];
}

export interface ArchiveSpec {
  name: string;
  size: number;
  md5: string;
  /** Directory inside the archive that holds the batch files. */
  memberDir: string;
}

export interface CifarDatasetSpec extends DatasetSpecBase {
  format: 'cifar';
  recordsPerFile: number;
  trainFiles: FileSpec[];
  testFiles: FileSpec[];
  archive: ArchiveSpec;
  /** Base URLs, tried in turn; the archive's URL is base + archive.name. */
  mirrors: string[];
}

export type DatasetSpec = IdxDatasetSpec | CifarDatasetSpec;

const MNIST_MIRRORS = [
  'https://ossci-datasets.s3.amazonaws.com/mnist/',
  'https://storage.googleapis.com/cvdf-datasets/mnist/',
  'http://yann.lecun.com/exdb/mnist/',
];

const FASHION_MIRRORS = [
  'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
  'https://storage.googleapis.com/tensorflow/tf-keras-datasets/',
  'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/',
];

const CIFAR_MIRRORS = [
  'https://www.cs.toronto.edu/~kriz/',
  'https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/gluon/dataset/cifar10/',
];

/** Sizes of IDX files: 16-byte header + pixels, 8-byte header + labels. */
const IDX_TRAIN_IMAGES = 16 + 60000 * 28 * 28;
const IDX_TRAIN_LABELS = 8 + 60000;
const IDX_TEST_IMAGES = 16 + 10000 * 28 * 28;
const IDX_TEST_LABELS = 8 + 10000;

export const MNIST: IdxDatasetSpec = {
  name: 'mnist',
  format: 'idx',
  title: 'MNIST handwritten digits',
  homepage: 'http://yann.lecun.com/exdb/mnist/',
  dirNames: ['mnist', 'MNIST'],
  classes: 10,
  classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  channels: 1,
  height: 28,
  width: 28,
  trainCount: 60000,
  testCount: 10000,
  // Computed over the 60,000 training images (float64): 0.1306604762738429, 0.30810780385646264.
  mean: [0.1306604762738429],
  std: [0.30810780385646264],
  files: {
    trainImages: {
      name: 'train-images-idx3-ubyte',
      gzSize: 9912422,
      gzMd5: 'f68b3c2dcbeaaa9fbdd348bbdeb94873',
      rawSize: IDX_TRAIN_IMAGES,
      rawMd5: '6bbc9ace898e44ae57da46a324031adb',
    },
    trainLabels: {
      name: 'train-labels-idx1-ubyte',
      gzSize: 28881,
      gzMd5: 'd53e105ee54ea40749a09fcbcd1e9432',
      rawSize: IDX_TRAIN_LABELS,
      rawMd5: 'a25bea736e30d166cdddb491f175f624',
    },
    testImages: {
      name: 't10k-images-idx3-ubyte',
      gzSize: 1648877,
      gzMd5: '9fb629c4189551a2d022fa330f9573f3',
      rawSize: IDX_TEST_IMAGES,
      rawMd5: '2646ac647ad5339dbf082846283269ea',
    },
    testLabels: {
      name: 't10k-labels-idx1-ubyte',
      gzSize: 4542,
      gzMd5: 'ec29112dd5afa0611ce80d1b7f02629c',
      rawSize: IDX_TEST_LABELS,
      rawMd5: '27ae3e4e09519cfbb04c329615203637',
    },
  },
  mirrors: MNIST_MIRRORS,
};

export const FASHION_MNIST: IdxDatasetSpec = {
  name: 'fashion-mnist',
  format: 'idx',
  title: 'Fashion-MNIST (Zalando article images)',
  homepage: 'https://github.com/zalandoresearch/fashion-mnist',
  dirNames: ['fashion-mnist', 'fashion_mnist', 'fashion'],
  classes: 10,
  classNames: [
    'T-shirt/top',
    'Trouser',
    'Pullover',
    'Dress',
    'Coat',
    'Sandal',
    'Shirt',
    'Sneaker',
    'Bag',
    'Ankle boot',
  ],
  channels: 1,
  height: 28,
  width: 28,
  trainCount: 60000,
  testCount: 10000,
  // Computed over the 60,000 training images (float64): 0.2860405969887955, 0.35302424451492254.
  mean: [0.2860405969887955],
  std: [0.35302424451492254],
  files: {
    trainImages: {
      name: 'train-images-idx3-ubyte',
      gzSize: 26421880,
      gzMd5: '8d4fb7e6c68d591d4c3dfef9ec88bf0d',
      rawSize: IDX_TRAIN_IMAGES,
      rawMd5: 'f4a8712d7a061bf5bd6d2ca38dc4d50a',
    },
    trainLabels: {
      name: 'train-labels-idx1-ubyte',
      gzSize: 29515,
      gzMd5: '25c81989df183df01b3e8a0aad5dffbe',
      rawSize: IDX_TRAIN_LABELS,
      rawMd5: '9018921c3c673c538a1fc5bad174d6f9',
    },
    testImages: {
      name: 't10k-images-idx3-ubyte',
      gzSize: 4422102,
      gzMd5: 'bef4ecab320f06d8554ea6380940ec79',
      rawSize: IDX_TEST_IMAGES,
      rawMd5: '8181f5470baa50b63fa0f6fddb340f0a',
    },
    testLabels: {
      name: 't10k-labels-idx1-ubyte',
      gzSize: 5148,
      gzMd5: 'bb300cfdad3c16e7a12a480ee83cd310',
      rawSize: IDX_TEST_LABELS,
      rawMd5: '15d484375f8d13e6eb1aabb0c3f46965',
    },
  },
  mirrors: FASHION_MIRRORS,
};

const CIFAR_RECORD = 1 + 3 * 32 * 32;

/**
 * CIFAR-10, binary version. The University of Toronto publishes an md5 for the tarball only, so the
 * batch files are checked for size and structure, and, when they were extracted by ticketlab from the
 * verified tarball, against the md5s recorded at extraction (MD5SUMS next to them).
 */
export const CIFAR10: CifarDatasetSpec = {
  name: 'cifar10',
  format: 'cifar',
  title: 'CIFAR-10 (binary version)',
  homepage: 'https://www.cs.toronto.edu/~kriz/cifar.html',
  dirNames: ['cifar10', 'cifar-10', 'CIFAR10'],
  classes: 10,
  classNames: ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'],
  channels: 3,
  height: 32,
  width: 32,
  trainCount: 50000,
  testCount: 10000,
  // Per-channel (R, G, B) statistics of the 50,000 training images, as widely reported.
  mean: [0.4914, 0.4822, 0.4465],
  std: [0.247, 0.2435, 0.2616],
  recordsPerFile: 10000,
  trainFiles: [1, 2, 3, 4, 5].map((i) => ({ name: `data_batch_${i}.bin`, rawSize: 10000 * CIFAR_RECORD })),
  testFiles: [{ name: 'test_batch.bin', rawSize: 10000 * CIFAR_RECORD }],
  archive: {
    name: 'cifar-10-binary.tar.gz',
    size: 170052171,
    md5: 'c32a1d4ab5d03f1284b67883e8d87530',
    memberDir: 'cifar-10-batches-bin',
  },
  mirrors: CIFAR_MIRRORS,
};

export const DATASETS: Record<DatasetName, DatasetSpec> = {
  mnist: MNIST,
  'fashion-mnist': FASHION_MNIST,
  cifar10: CIFAR10,
};

export function specFor(name: DatasetName): DatasetSpec {
  return DATASETS[name];
}

/**
 * What training needs to know of a dataset, published or imported: shape, classes, split sizes and the
 * training pixels' statistics. `digest` (imported datasets only) names the stored content exactly.
 */
export interface DatasetFacts {
  name: string;
  title: string;
  classes: number;
  classNames: string[];
  channels: number;
  height: number;
  width: number;
  trainCount: number;
  testCount: number;
  mean: number[];
  std: number[];
  digest?: string;
  /** Validation examples held out by default, when not the paper's 5,000. */
  defaultValidationSize?: number;
}

/** The facts of an image folder imported under `name` (`ticketlab datasets import`), if there is one. */
export function importedFacts(name: string): DatasetFacts | undefined {
  const m = readManifest(name);
  if (!m) return undefined;
  return {
    name: m.name,
    title: `image folder ${m.source} (${m.size}×${m.size})`,
    classes: m.classNames.length,
    classNames: m.classNames,
    channels: m.channels,
    height: m.size,
    width: m.size,
    trainCount: m.train.count,
    testCount: m.test.count,
    mean: m.mean,
    std: m.std,
    digest: m.digest,
    defaultValidationSize: Math.max(1, Math.round(m.train.count / 10)),
  };
}

/** The dataset of that name (published, or an imported image folder), with its shape, classes and statistics. */
export function datasetNamed(name: string): DatasetFacts {
  const spec = (DATASETS as Record<string, DatasetSpec | undefined>)[name] ?? importedFacts(name);
  if (!spec) throw new UserError(`unknown dataset "${name}"`, `choose one of: ${datasetNames().join(', ')}`);
  return spec;
}

/** Published datasets, then image folders imported into the cache. */
export function datasetNames(): string[] {
  return [...Object.keys(DATASETS), ...importedNames()];
}

/** All files of a dataset with a role label, in a fixed order. */
export function fileList(spec: DatasetSpec): { role: string; file: FileSpec }[] {
  if (spec.format === 'idx') {
    return [
      { role: 'train images', file: spec.files.trainImages },
      { role: 'train labels', file: spec.files.trainLabels },
      { role: 'test images', file: spec.files.testImages },
      { role: 'test labels', file: spec.files.testLabels },
    ];
  }
  return [
    ...spec.trainFiles.map((file) => ({ role: 'train batch', file })),
    ...spec.testFiles.map((file) => ({ role: 'test batch', file })),
  ];
}
