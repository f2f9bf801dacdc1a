/**
 * Imported image folders on disk: <cache>/imported/<name>/ holds manifest.json and the decoded splits
 * (train-images.u8, train-labels.u8, test-images.u8, test-labels.u8). A dataset is written into a
 * temporary directory and renamed into place, so a crash never leaves half of one; every read checks
 * the sha256 the manifest records.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../util/errors.js';
import { cacheRoot } from '../cache-root.js';
import type { ImageSet } from '../types.js';
import type { ImageFolderManifest, StoredSplit } from './types.js';

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export function importedRoot(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), 'imported');
}

export function checkImportName(name: string): void {
  if (!NAME.test(name)) {
    throw new UserError(
      `"${name}" cannot name a dataset`,
      'use lower-case letters, digits, ".", "_" and "-" (at most 64), starting with a letter or digit',
    );
  }
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The names of the imported datasets, sorted. */
export function importedNames(env: NodeJS.ProcessEnv = process.env): string[] {
  const root = importedRoot(env);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((n) => NAME.test(n) && existsSync(join(root, n, 'manifest.json')))
    .sort();
}

/** The manifest of an imported dataset, or undefined when there is none of that name. */
export function readManifest(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): ImageFolderManifest | undefined {
  if (!NAME.test(name)) return undefined;
  const file = join(importedRoot(env), name, 'manifest.json');
  if (!existsSync(file)) return undefined;
  let m: ImageFolderManifest;
  try {
    m = JSON.parse(readFileSync(file, 'utf8')) as ImageFolderManifest;
  } catch (e) {
    throw damaged(name, `${file} is not valid JSON (${(e as Error).message})`, m0(name));
  }
  if (m.format !== 'ticketlab-image-folder' || m.version !== 1 || m.name !== name) {
    throw damaged(name, `${file} is not a ticketlab image-folder manifest of version 1`, m0(name));
  }
  return m;
}

function m0(name: string): string {
  return `import it again: ticketlab datasets import <folder> --name ${name} --replace`;
}

function damaged(name: string, what: string, fix: string): UserError {
  return new UserError(`imported dataset ${name} is damaged: ${what}`, fix);
}

export interface StoredData {
  train: { images: Uint8Array; labels: Uint8Array };
  test: { images: Uint8Array; labels: Uint8Array };
}

/** Writes a dataset atomically (a previous one of that name is replaced only once the new one is whole). */
export function writeImported(manifest: ImageFolderManifest, data: StoredData, env = process.env): string {
  const root = importedRoot(env);
  mkdirSync(root, { recursive: true });
  const dir = join(root, manifest.name);
  const tmp = join(root, `.${manifest.name}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  for (const split of ['train', 'test'] as const) {
    writeFileSync(join(tmp, `${split}-images.u8`), data[split].images);
    writeFileSync(join(tmp, `${split}-labels.u8`), data[split].labels);
  }
  writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  if (existsSync(dir)) {
    const old = join(root, `.${manifest.name}.old-${process.pid}`);
    renameSync(dir, old);
    renameSync(tmp, dir);
    rmSync(old, { recursive: true, force: true });
  } else renameSync(tmp, dir);
  return dir;
}

function readSplit(
  m: ImageFolderManifest,
  dir: string,
  split: 'train' | 'test',
  stored: StoredSplit,
): ImageSet {
  const read = (file: string, sha: string, bytes: number): Uint8Array => {
    const path = join(dir, file);
    if (!existsSync(path)) throw damaged(m.name, `${path} is missing`, m0(m.name));
    const data = new Uint8Array(readFileSync(path));
    if (data.length !== bytes) {
      throw damaged(m.name, `${path} holds ${data.length} bytes, the manifest says ${bytes}`, m0(m.name));
    }
    if (sha256(data) !== sha) throw damaged(m.name, `${path} does not match its sha256`, m0(m.name));
    return data;
  };
  const per = m.channels * m.size * m.size;
  const images = read(`${split}-images.u8`, stored.imagesSha256, stored.count * per);
  const labels = read(`${split}-labels.u8`, stored.labelsSha256, stored.count);
  const bad = labels.findIndex((l) => l >= m.classNames.length);
  if (bad >= 0)
    throw damaged(m.name, `${split} label ${bad} is ${labels[bad]}, past the last class`, m0(m.name));
  return { images, labels, count: stored.count, channels: m.channels, height: m.size, width: m.size };
}

/** Reads both splits of an imported dataset, checked against the manifest. */
export function readImported(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): { manifest: ImageFolderManifest; dir: string; train: ImageSet; test: ImageSet } {
  const manifest = readManifest(name, env);
  if (!manifest) {
    throw new UserError(
      `no imported dataset named ${name}`,
      `import it: ticketlab datasets import <folder> --name ${name}`,
    );
  }
  const dir = join(importedRoot(env), name);
  return {
    manifest,
    dir,
    train: readSplit(manifest, dir, 'train', manifest.train),
    test: readSplit(manifest, dir, 'test', manifest.test),
  };
}
