/** The datasets layer: find, verify, download and load MNIST, Fashion-MNIST and CIFAR-10; split; batch. */
export {
  DATASET_NAMES,
  imageSetFromArrays,
  imageSize,
  isDatasetName,
  shapeOf,
  type DatasetName,
  type ImageSet,
  type Layout,
  type LoadedDataset,
  type Normalization,
} from './types.js';
export {
  CIFAR10,
  DATASETS,
  FASHION_MNIST,
  datasetNamed,
  datasetNames,
  MNIST,
  fileList,
  specFor,
  type CifarDatasetSpec,
  type DatasetSpec,
  type FileSpec,
  type IdxDatasetSpec,
} from './registry.js';
export { customSpec } from './custom.js';
export { loadDataset, loadDatasetFromFiles, type LoadOptions } from './load.js';
export {
  cacheRoot,
  locate,
  locateOrThrow,
  searchRoots,
  type FileSet,
  type Located,
  type Origin,
} from './locate.js';
export { downloadDataset, type DownloadOptions, type DownloadResult, type FetchFn } from './download.js';
export { verifyDataset, type DatasetReport, type FileReport } from './verify.js';
export { splitDataset, splitIndices, subset, DEFAULT_VALIDATION_SIZE, type Splits } from './splits.js';
export { normalizationTable, toFloat } from './normalize.js';
export { BatchSampler, type BatchSamplerOptions, type SamplerPosition } from './batcher.js';
export { drawCropFlip, fillCropFlip, CROP_PADDING, type CropFlip } from './augment.js';
export { encodeIdx, parseIdx } from './idx.js';
export { encodeCifarBatch, encodeTar, tarEntries } from './cifar.js';
export { md5 } from './files.js';
export { cacheRoot as dataCacheRoot } from './cache-root.js';
export { describeLabelRule, parseLabelRule } from './image-folder/labels.js';
export { importImageFolder, type ImportOptions, type ImportResult } from './image-folder/import.js';
export { importedNames, readImported, readManifest } from './image-folder/store.js';
export { scanImageFolder, IMAGE_EXTENSIONS } from './image-folder/scan.js';
export type { ImageFolderManifest, LabelRule } from './image-folder/types.js';
export { importedFacts, type DatasetFacts } from './registry.js';
