/**
 * Finding the images of a folder and their classes. Hidden files and files without an image extension
 * are left out (and counted); a file the rule gives no class is an error naming it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join, relative, resolve } from 'node:path';
import { UserError } from '../../util/errors.js';
import { describeLabelRule, labelOf } from './labels.js';
import type { LabelRule } from './types.js';

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif'];
const TEST_DIRS = ['test', 'valid', 'val', 'validation'];

export interface ScannedFile {
  /** Path relative to the imported folder (what messages show). */
  rel: string;
  path: string;
  className: string;
  size: number;
  mtimeMs: number;
}

export interface ScannedFolder {
  root: string;
  train: ScannedFile[];
  /** The folder's own test split (train/ and test/ sub-folders), if it has one. */
  test?: ScannedFile[];
  testDir?: string;
  classNames: string[];
  /** Non-image and hidden files left out. */
  ignored: number;
  /** sha256 of every image's path, size and modification time: a cheap "has anything changed". */
  fingerprint: string;
}

function walk(dir: string, out: string[], ignored: { n: number }): void {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (entry.name.startsWith('.')) {
      ignored.n++;
      continue;
    }
    const p = join(dir, entry.name);
    if (entry.isDirectory()) walk(p, out, ignored);
    else if (entry.isFile() && IMAGE_EXTENSIONS.includes(extname(entry.name).toLowerCase())) out.push(p);
    else ignored.n++;
  }
}

function labelled(root: string, splitRoot: string, rule: LabelRule, ignored: { n: number }): ScannedFile[] {
  const paths: string[] = [];
  walk(splitRoot, paths, ignored);
  const files: ScannedFile[] = [];
  const unlabelled: string[] = [];
  for (const path of paths) {
    const rel = relative(root, path);
    const className = labelOf(rule, relative(splitRoot, path));
    if (className === undefined) unlabelled.push(rel);
    else {
      const st = statSync(path);
      files.push({ rel, path, className, size: st.size, mtimeMs: st.mtimeMs });
    }
  }
  if (unlabelled.length > 0) {
    throw new UserError(
      `the label rule ${describeLabelRule(rule)} gives no class to ${unlabelled.length} file(s) in ${root}: ` +
        unlabelled.slice(0, 5).join(', ') +
        (unlabelled.length > 5 ? `, … (${unlabelled.length - 5} more)` : ''),
      rule.kind === 'folder'
        ? 'put each image in a sub-folder named after its class'
        : 'rename or remove those files, or choose another --labels rule',
    );
  }
  return files;
}

/** Scans `dir`; with train/ and test/ (or valid/, val/) sub-folders, those are the splits. */
export function scanImageFolder(dir: string, rule: LabelRule): ScannedFolder {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new UserError(
      `image folder ${root} does not exist or is not a directory`,
      'pass the folder of images',
    );
  }
  const ignored = { n: 0 };
  const testDir = TEST_DIRS.find((d) => existsSync(join(root, d)) && statSync(join(root, d)).isDirectory());
  const hasTrain = existsSync(join(root, 'train')) && statSync(join(root, 'train')).isDirectory();
  const split = hasTrain && testDir !== undefined;
  const train = labelled(root, split ? join(root, 'train') : root, rule, ignored);
  const test = split ? labelled(root, join(root, testDir), rule, ignored) : undefined;
  if (train.length === 0) {
    throw new UserError(
      `no images in ${root} (looked for ${IMAGE_EXTENSIONS.join(' ')}; ${ignored.n} other file(s) left out)`,
      'pass the folder that holds the images',
    );
  }
  const classNames = [...new Set(train.map((f) => f.className))].sort();
  if (classNames.length < 2) {
    throw new UserError(
      `the label rule ${describeLabelRule(rule)} finds one class (${classNames[0]}) in ${root}: nothing to learn`,
      'check --labels against the file names',
    );
  }
  const unknown = (test ?? []).filter((f) => !classNames.includes(f.className));
  if (unknown.length > 0) {
    throw new UserError(
      `${unknown.length} test image(s) have a class the training images do not: ${unknown
        .slice(0, 3)
        .map((f) => `${f.rel} (${f.className})`)
        .join(', ')}`,
      'every class of the test split needs training images',
    );
  }
  const hash = createHash('sha256');
  for (const f of [...train, ...(test ?? [])]) hash.update(`${f.rel}\0${f.size}\0${f.mtimeMs}\n`);
  return {
    root,
    train,
    test,
    testDir: split ? testDir : undefined,
    classNames,
    ignored: ignored.n,
    fingerprint: hash.digest('hex'),
  };
}
