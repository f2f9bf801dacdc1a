/**
 * A seeded random image set of any shape: the stand-in for real data where only sizes matter (the
 * data benchmark without MNIST, tests). Not exported from the data layer's index: it is not part of
 * the public API, but bench/data-bench.ts needs it, so it lives in src/.
 */
import { Rng } from '../util/rng.js';
import type { ImageSet } from './types.js';

/** A seeded random ImageSet (labels cycle through the classes so every class is present). */
export function syntheticSet(
  count: number,
  shape: { channels: number; height: number; width: number },
  seed = 1,
  classes = 10,
): ImageSet {
  const rng = Rng.derive(seed, 'synthetic');
  const images = new Uint8Array(count * shape.channels * shape.height * shape.width);
  const words = new Uint32Array(images.buffer, 0, images.length >> 2);
  for (let i = 0; i < words.length; i++) words[i] = rng.uint32();
  for (let i = words.length * 4; i < images.length; i++) images[i] = rng.uint32() & 0xff;
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) labels[i] = (i + rng.int(classes)) % classes;
  return { images, labels, count, ...shape };
}
