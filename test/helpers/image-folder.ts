/**
 * Small image folders made by the tests themselves (nothing downloaded): two classes told apart by
 * colour, in the formats and defects users' folders have.
 */
import assert from 'node:assert/strict';
import type { SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import sharp from 'sharp';

export type Format = 'png' | 'jpeg' | 'gray-png' | 'cmyk-jpeg' | 'rgba-png';

/** A w × h image, reddish for class 0 and bluish for class 1, with a little seeded texture. */
export async function makeImage(
  path: string,
  cls: number,
  seed: number,
  format: Format,
  w = 20,
  h = 16,
): Promise<void> {
  const px = Buffer.alloc(w * h * 3);
  let s = seed * 7919 + 13;
  for (let i = 0; i < w * h; i++) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const noise = s % 40;
    px[i * 3] = cls === 0 ? 200 + (noise % 50) : 20 + noise;
    px[i * 3 + 1] = 60 + noise;
    px[i * 3 + 2] = cls === 1 ? 200 + (noise % 50) : 20 + noise;
  }
  mkdirSync(dirname(path), { recursive: true });
  let img = sharp(px, { raw: { width: w, height: h, channels: 3 } });
  if (format === 'gray-png') img = img.grayscale().png();
  else if (format === 'cmyk-jpeg') img = img.toColourspace('cmyk').jpeg();
  else if (format === 'rgba-png') img = img.ensureAlpha().png();
  else img = format === 'png' ? img.png() : img.jpeg({ quality: 95 });
  await img.toFile(path);
}

/** A pets-style folder: class by the case of the first letter (upper = class 1), `n` images. */
export async function makeCaseFolder(root: string, n: number, format: Format = 'png'): Promise<void> {
  for (let i = 0; i < n; i++) {
    const cls = i % 2;
    const name = `${cls === 1 ? 'Abyssinian' : 'beagle'}_${i}.${format.endsWith('jpeg') ? 'jpg' : 'png'}`;
    await makeImage(join(root, name), cls, i, format);
  }
}

export function writeBytes(path: string, bytes: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
}

/**
 * A 24-image pets-style folder made under `tmp` and imported through the CLI as dataset `name`
 * (16×16, labels by the first letter's case); `cli` runs ticketlab with the test's environment.
 */
export async function importPetsDataset(
  cli: (args: string[]) => SpawnSyncReturns<string>,
  tmp: string,
  name: string,
): Promise<void> {
  await makeCaseFolder(join(tmp, 'pets'), 24);
  const imp = cli([
    'datasets',
    'import',
    join(tmp, 'pets'),
    '--name',
    name,
    '--labels',
    'first-letter-case',
    '--size',
    '16',
  ]);
  assert.equal(imp.status, 0, imp.stderr);
}
