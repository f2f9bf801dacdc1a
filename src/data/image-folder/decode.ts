/**
 * Decoding image files into fixed-size uint8 tensors with sharp (libvips). Every image is resized to
 * cover size × size and centre-cropped (fastai's Resize(size) at validation time), converted to sRGB
 * (grayscale, CMYK and palette images alike; alpha dropped) or to one gray channel. A file that cannot
 * be decoded is collected with its reason, so one message can name every bad file.
 */
import sharp from 'sharp';
import type { ScannedFile } from './scan.js';

export interface DecodeFailure {
  rel: string;
  reason: string;
}

export interface Decoded {
  /** NCHW, count × channels × size × size. */
  images: Uint8Array;
  /** Index of each decoded file in the list given (failed ones are absent). */
  kept: number[];
  failures: DecodeFailure[];
}

/** Decodes one file into CHW bytes. */
export async function decodeImage(path: string, size: number, channels: 1 | 3): Promise<Uint8Array> {
  let pipeline = sharp(path, { failOn: 'error' })
    .rotate() // honour the EXIF orientation, as viewers do
    .resize(size, size, { fit: 'cover', position: 'centre' });
  pipeline = channels === 1 ? pipeline.grayscale() : pipeline.toColourspace('srgb');
  const { data, info } = await pipeline.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (info.width !== size || info.height !== size) throw new Error(`decoded to ${info.width}×${info.height}`);
  const have = info.channels;
  const out = new Uint8Array(channels * size * size);
  const plane = size * size;
  // HWC (interleaved) → CHW; a gray decode in colour mode is repeated into all three planes
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < channels; c++) out[c * plane + i] = data[i * have + Math.min(c, have - 1)];
  }
  return out;
}

/** Decodes `files` (a few at a time), reporting progress after each. */
export async function decodeImages(
  files: readonly ScannedFile[],
  size: number,
  channels: 1 | 3,
  onProgress?: (done: number, total: number) => void,
): Promise<Decoded> {
  const per = channels * size * size;
  const images = new Uint8Array(files.length * per);
  const ok = new Array<boolean>(files.length).fill(false);
  const failures: DecodeFailure[] = [];
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const i = next++;
      try {
        images.set(await decodeImage(files[i].path, size, channels), i * per);
        ok[i] = true;
      } catch (e) {
        failures.push({ rel: files[i].rel, reason: firstLine((e as Error).message) });
      }
      onProgress?.(++done, files.length);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  const kept = ok.flatMap((k, i) => (k ? [i] : []));
  const packed = new Uint8Array(kept.length * per);
  kept.forEach((i, j) => packed.set(images.subarray(i * per, (i + 1) * per), j * per));
  failures.sort((a, b) => (a.rel < b.rel ? -1 : 1));
  return { images: packed, kept, failures };
}

function firstLine(s: string): string {
  return s.split('\n')[0].trim();
}
