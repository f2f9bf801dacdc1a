/**
 * Pixels to floats. Every conversion goes through a 256-entry lookup table per channel, so normalizing
 * costs one table read per pixel.
 */
import { datasetNamed } from './registry.js';
import type { ImageSet, Normalization } from './types.js';

/** A dataset by name (published or imported), or its statistics given directly (tests' small specs). */
export type DatasetStatsSource = string | { name: string; mean: number[]; std: number[] };

function specOf(dataset: DatasetStatsSource): { name: string; mean: number[]; std: number[] } {
  return typeof dataset === 'string' ? datasetNamed(dataset) : dataset;
}

/**
 * `channels` × 256 floats: entry c·256 + v is the normalized value of pixel value v in channel c.
 * 'unit' maps to [0, 1]; 'standardize' subtracts the dataset's training mean and divides by its std.
 */
export function normalizationTable(
  dataset: DatasetStatsSource,
  normalization: Normalization,
  channels: number,
): Float32Array {
  const spec = specOf(dataset);
  if (normalization === 'standardize' && spec.mean.length !== channels) {
    throw new RangeError(`${spec.name} has statistics for ${spec.mean.length} channel(s), not ${channels}`);
  }
  const table = new Float32Array(channels * 256);
  for (let c = 0; c < channels; c++) {
    for (let v = 0; v < 256; v++) {
      const unit = v / 255;
      table[c * 256 + v] = normalization === 'unit' ? unit : (unit - spec.mean[c]) / spec.std[c];
    }
  }
  return table;
}

/** The whole set as floats (NCHW, which is also flat (N, C·H·W)), for evaluation. */
export function toFloat(
  set: ImageSet,
  normalization: Normalization,
  dataset: DatasetStatsSource,
): Float32Array {
  const out = new Float32Array(set.images.length);
  toFloatInto(set, normalizationTable(dataset, normalization, set.channels), out, 0);
  return out;
}

/** Writes the whole set, normalized through `table` (see normalizationTable), into `out` at `offset`. */
export function toFloatInto(set: ImageSet, table: Float32Array, out: Float32Array, offset: number): void {
  const images = set.images;
  if (set.channels === 1) {
    for (let i = 0; i < images.length; i++) out[offset + i] = table[images[i]];
    return;
  }
  const plane = set.height * set.width;
  const per = plane * set.channels;
  for (let n = 0; n < set.count; n++) {
    for (let c = 0; c < set.channels; c++) {
      const base = n * per + c * plane;
      const t = c * 256;
      for (let j = base; j < base + plane; j++) out[offset + j] = table[t + images[j]];
    }
  }
}
