/**
 * An image folder imported as a dataset: decoded once into uint8 tensors kept in the data cache, then
 * used by name like MNIST. These are the facts stored in its manifest.
 */

/** How a file's class is read: its sub-folder, the case of its name's first letter, or a regex capture. */
export type LabelRule =
  { kind: 'folder' } | { kind: 'first-letter-case' } | { kind: 'regex'; pattern: string };

/** One decoded split, as stored: `count` images of channels × size × size bytes, and their labels. */
export interface StoredSplit {
  count: number;
  /** sha256 of the image bytes and of the label bytes as stored. */
  imagesSha256: string;
  labelsSha256: string;
}

export interface ImageFolderManifest {
  format: 'ticketlab-image-folder';
  version: 1;
  name: string;
  /** The folder it was imported from (absolute), and the fingerprint of its files when imported. */
  source: string;
  sourceFingerprint: string;
  labels: LabelRule;
  size: number;
  channels: 1 | 3;
  /** How the test split was made: the folder's own train/ and test/ sub-folders, or a seeded fraction. */
  split: { kind: 'folders'; testDir: string } | { kind: 'fraction'; testFraction: number; seed: number };
  classNames: string[];
  train: StoredSplit;
  test: StoredSplit;
  /** Per-channel mean and standard deviation of the training pixels scaled to [0, 1]. */
  mean: number[];
  std: number[];
  /** Files skipped as undecodable (only with --skip-bad), relative to the source. */
  skipped: string[];
  /** sha256 over both splits' images and labels, the class names and the shape: what results depend on. */
  digest: string;
}
