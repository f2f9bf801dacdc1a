/** The datasets ticketlab knows how to find, verify, download and load. */
export type DatasetName = 'mnist' | 'fashion-mnist' | 'cifar10';

export const DATASET_NAMES: readonly DatasetName[] = ['mnist', 'fashion-mnist', 'cifar10'];

/** A set of images with their labels. `images` is NCHW uint8 (count × channels × height × width). */
export interface ImageSet {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  channels: number;
  height: number;
  width: number;
}

export interface LoadedDataset {
  /** A published dataset's name, or the name an image folder was imported under. */
  name: string;
  train: ImageSet;
  test: ImageSet;
  classes: number;
  /** The directory the files were read from. */
  source: string;
}

/** Pixels to floats: per-dataset (per-channel) mean/std standardization, or plain [0, 1] scaling. */
export type Normalization = 'standardize' | 'unit';

/** How a batch or a whole set is presented: flat (N, C·H·W) for MLPs, or NCHW for conv nets. Same memory. */
export type Layout = 'flat' | 'nchw';

export function isDatasetName(name: string): name is DatasetName {
  return (DATASET_NAMES as readonly string[]).includes(name);
}

/** Number of values in one image. */
export function imageSize(set: Pick<ImageSet, 'channels' | 'height' | 'width'>): number {
  return set.channels * set.height * set.width;
}

/** The shape of `count` images of `set` in the given layout. */
export function shapeOf(
  set: Pick<ImageSet, 'channels' | 'height' | 'width'>,
  count: number,
  layout: Layout,
): number[] {
  return layout === 'flat' ? [count, imageSize(set)] : [count, set.channels, set.height, set.width];
}

/** Wraps existing arrays as an ImageSet, checking that their sizes agree. */
export function imageSetFromArrays(
  images: Uint8Array,
  labels: Uint8Array,
  shape: { channels: number; height: number; width: number },
): ImageSet {
  const count = labels.length;
  const per = shape.channels * shape.height * shape.width;
  if (images.length !== count * per) {
    throw new RangeError(
      `imageSetFromArrays: ${images.length} pixel bytes for ${count} labels of ${per} values each (want ${count * per})`,
    );
  }
  return { images, labels, count, ...shape };
}
