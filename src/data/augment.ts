/**
 * CIFAR-10 augmentation as in He et al. (2016), which Frankle & Carbin follow for VGG/ResNet: pad each
 * side with 4 pixels, take a random crop of the original size, and flip horizontally with probability
 * 1/2. Padding is zero in the normalized space (the dataset mean under 'standardize', black under 'unit').
 * Each sample consumes exactly three draws from its Rng, so a position in the stream can be replayed.
 */
import type { Rng } from '../util/rng.js';

export const CROP_PADDING = 4;
/** Rng draws consumed per augmented sample. */
export const DRAWS_PER_SAMPLE = 3;

export interface CropFlip {
  /** Column/row shift of the crop relative to the original image, in [-padding, padding]. */
  dx: number;
  dy: number;
  flip: boolean;
}

export function drawCropFlip(rng: Rng, padding = CROP_PADDING): CropFlip {
  const dx = rng.int(2 * padding + 1) - padding;
  const dy = rng.int(2 * padding + 1) - padding;
  const flip = rng.float() < 0.5;
  return { dx, dy, flip };
}

/**
 * Writes one cropped/flipped, normalized image: out[c][r][x] = table[c·256 + img[c][r+dy][x'+dx]] with
 * x' = W-1-x when flipped (x otherwise), and 0 where the source falls in the padding.
 */
export function fillCropFlip(
  out: Float32Array,
  outOffset: number,
  images: Uint8Array,
  srcOffset: number,
  channels: number,
  height: number,
  width: number,
  table: Float32Array,
  dx: number,
  dy: number,
  flip: boolean,
): void {
  const plane = height * width;
  for (let c = 0; c < channels; c++) {
    const t = c * 256;
    const srcPlane = srcOffset + c * plane;
    const dstPlane = outOffset + c * plane;
    for (let r = 0; r < height; r++) {
      const sr = r + dy;
      const dst = dstPlane + r * width;
      if (sr < 0 || sr >= height) {
        out.fill(0, dst, dst + width);
        continue;
      }
      const srcRow = srcPlane + sr * width;
      if (flip) {
        for (let x = 0; x < width; x++) {
          const sc = width - 1 - x + dx;
          out[dst + x] = sc >= 0 && sc < width ? table[t + images[srcRow + sc]] : 0;
        }
      } else {
        for (let x = 0; x < width; x++) {
          const sc = x + dx;
          out[dst + x] = sc >= 0 && sc < width ? table[t + images[srcRow + sc]] : 0;
        }
      }
    }
  }
}

/** drawCropFlip without allocating: writes dx, dy, flip (0/1) into `out`. Same draws, same order. */
export function drawCropFlipInto(rng: Rng, out: Int32Array, padding = CROP_PADDING): void {
  out[0] = rng.int(2 * padding + 1) - padding;
  out[1] = rng.int(2 * padding + 1) - padding;
  out[2] = rng.float() < 0.5 ? 1 : 0;
}
