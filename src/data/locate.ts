/**
 * Where a dataset comes from, in order: --data-dir, the TICKETLAB_DATA environment variable, the
 * per-user cache ($XDG_CACHE_HOME/ticketlab or ~/.cache/ticketlab), then (see download.ts) a download
 * into that cache. Each root holds one directory per dataset: <root>/mnist, <root>/fashion-mnist,
 * <root>/cifar10. The first root that holds any of a dataset's files is the one used.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../util/errors.js';
import { cacheRoot } from './cache-root.js';
import type { CifarDatasetSpec, DatasetSpec, FileSpec } from './registry.js';

export { cacheRoot };

export type Origin = '--data-dir' | 'TICKETLAB_DATA' | 'cache' | 'given files';

export interface SearchRoot {
  root: string;
  origin: Origin;
}

export interface LocateOptions {
  dataDir?: string;
  /** Environment to read TICKETLAB_DATA, XDG_CACHE_HOME and HOME from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Overrides the cache root (default $XDG_CACHE_HOME/ticketlab or ~/.cache/ticketlab). */
  cacheDir?: string;
}

/** The roots searched, in order. */
export function searchRoots(opts: LocateOptions = {}): SearchRoot[] {
  const env = opts.env ?? process.env;
  const roots: SearchRoot[] = [];
  if (opts.dataDir) roots.push({ root: resolve(opts.dataDir), origin: '--data-dir' });
  if (env.TICKETLAB_DATA && env.TICKETLAB_DATA.trim() !== '') {
    roots.push({ root: resolve(env.TICKETLAB_DATA), origin: 'TICKETLAB_DATA' });
  }
  roots.push({ root: opts.cacheDir ? resolve(opts.cacheDir) : cacheRoot(env), origin: 'cache' });
  return roots;
}

/** The files making up a dataset on disk. */
export type FileSet =
  | { format: 'idx'; trainImages: string; trainLabels: string; testImages: string; testLabels: string }
  | { format: 'cifar'; train: string[]; test: string[]; manifest?: Record<string, string> }
  | { format: 'cifar-archive'; archive: string };

export interface Located {
  dir: string;
  origin: Origin;
  files: FileSet;
}

/** What one root holds of a dataset. */
export interface Probe {
  root: SearchRoot;
  /** The dataset directory looked at (the first existing candidate, or the download location). */
  dir: string;
  /** Files of the dataset present. */
  present: string[];
  /** Files absent, with all the names that were tried for each. */
  missing: { file: FileSpec; tried: string[] }[];
  files?: FileSet;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function candidates(dir: string, file: FileSpec, subdirs: string[]): string[] {
  const out: string[] = [];
  for (const sub of ['', ...subdirs]) {
    const base = sub ? join(dir, sub, file.name) : join(dir, file.name);
    out.push(`${base}.gz`, base);
  }
  return out;
}

/** The directory of `spec` under `root`: the first candidate name that exists, else the canonical one. */
export function datasetDir(spec: DatasetSpec, root: string): string {
  for (const name of spec.dirNames) {
    const dir = join(root, name);
    if (isDir(dir)) return dir;
  }
  return join(root, spec.dirNames[0]);
}

/** MD5SUMS files ("<md5>  <name>" lines) written by ticketlab when it extracts CIFAR-10. */
export function readManifest(dir: string): Record<string, string> | undefined {
  const path = join(dir, 'MD5SUMS');
  if (!existsSync(path)) return undefined;
  const out: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^([0-9a-f]{32}) [ *]?(.+)$/.exec(line.trim());
    if (m) out[m[2]] = m[1];
  }
  return out;
}

/** Looks at what `root` holds of a dataset. */
export function probe(spec: DatasetSpec, root: SearchRoot): Probe {
  const dir = datasetDir(spec, root.root);
  const subdirs = spec.format === 'cifar' ? [spec.archive.memberDir] : [];
  const list = spec.format === 'idx' ? Object.values(spec.files) : [...spec.trainFiles, ...spec.testFiles];
  const present: string[] = [];
  const missing: Probe['missing'] = [];
  const found = new Map<FileSpec, string>();
  for (const file of list) {
    const tried = candidates(dir, file, subdirs);
    const hit = tried.find(isFile);
    if (hit) {
      present.push(hit);
      found.set(file, hit);
    } else missing.push({ file, tried });
  }
  const result: Probe = { root, dir, present, missing };
  if (spec.format === 'idx') {
    if (missing.length === 0) {
      result.files = {
        format: 'idx',
        trainImages: found.get(spec.files.trainImages)!,
        trainLabels: found.get(spec.files.trainLabels)!,
        testImages: found.get(spec.files.testImages)!,
        testLabels: found.get(spec.files.testLabels)!,
      };
    }
    return result;
  }
  if (missing.length === 0) {
    const first = found.get(spec.trainFiles[0])!;
    const manifest = readManifest(join(first, '..'));
    result.files = {
      format: 'cifar',
      train: spec.trainFiles.map((f) => found.get(f)!),
      test: spec.testFiles.map((f) => found.get(f)!),
      manifest,
    };
    return result;
  }
  const archive = archivePath(spec, dir);
  if (archive) {
    // The tarball stands in for all the batch files.
    result.present = [archive];
    result.missing = [];
    result.files = { format: 'cifar-archive', archive };
  }
  return result;
}

function archivePath(spec: CifarDatasetSpec, dir: string): string | undefined {
  const path = join(dir, spec.archive.name);
  return isFile(path) ? path : undefined;
}

export interface LocateResult {
  /** The dataset, complete, in the first root that holds any of its files. */
  located?: Located;
  /** Or: the first root that holds some of its files but not all. */
  incomplete?: Probe;
  /** Every root looked at, in order, up to and including the one that holds files. */
  probes: Probe[];
}

/**
 * Finds a dataset: the first root holding any of its files wins (an incomplete copy is reported as
 * such, never silently skipped for a copy further down the list). Neither `located` nor `incomplete`
 * means no root holds anything.
 */
export function locate(spec: DatasetSpec, opts: LocateOptions = {}): LocateResult {
  const probes: Probe[] = [];
  const roots = searchRoots(opts);
  for (const root of roots) checkGivenRoot(root);
  for (const root of roots) {
    const p = probe(spec, root);
    probes.push(p);
    if (p.files) return { located: { dir: p.dir, origin: root.origin, files: p.files }, probes };
    if (p.present.length > 0) return { incomplete: p, probes };
  }
  return { probes };
}

/**
 * A root the user named (--data-dir, TICKETLAB_DATA) must be a directory: a typo would otherwise fall
 * through to the cache or a download, and end in a network error that never names it.
 */
export function checkGivenRoot(root: SearchRoot): void {
  if (root.origin !== '--data-dir' && root.origin !== 'TICKETLAB_DATA') return;
  const given = root.origin === '--data-dir' ? `--data-dir ${root.root}` : `TICKETLAB_DATA=${root.root}`;
  const fix =
    root.origin === '--data-dir'
      ? 'check the path, or create it and put the dataset in it (<dir>/mnist/, <dir>/fashion-mnist/, <dir>/cifar10/)'
      : 'check the path, or unset TICKETLAB_DATA to use the cache (and a download)';
  if (!existsSync(root.root)) throw new UserError(`${given}: the directory does not exist`, fix);
  if (!isDir(root.root)) throw new UserError(`${given}: not a directory`, `${fix}; it must be a directory`);
}

/** Like locate(), but throws the user-facing error when the dataset is incomplete or absent. */
export function locateOrThrow(spec: DatasetSpec, opts: LocateOptions = {}): Located {
  const result = locate(spec, opts);
  if (result.located) return result.located;
  if (result.incomplete) throw incompleteError(spec, result.incomplete);
  throw notFoundError(spec, result.probes);
}

/** The error for a dataset directory that holds some of the files but not all. */
export function incompleteError(spec: DatasetSpec, p: Probe): UserError {
  const { tried } = p.missing[0];
  const more =
    p.missing.length > 1 ? ` (and ${p.missing.length - 1} more file${p.missing.length > 2 ? 's' : ''})` : '';
  const alt = spec.format === 'cifar' ? `, or put ${spec.archive.name} in ${p.dir}` : '';
  return new UserError(
    `${spec.name}: file not found: ${tried[0]} (also looked for ${tried.slice(1).join(', ')})${more}; ` +
      `the copy in ${p.dir} (from ${p.root.origin}) is incomplete`,
    `run \`ticketlab datasets download ${spec.name}\`, or put the official file${more ? 's' : ''} in ${p.dir}${alt}`,
  );
}

/** The error for a dataset found nowhere. */
export function notFoundError(spec: DatasetSpec, probes: Probe[], extra = ''): UserError {
  const where = probes.map((p) => `${p.dir} (${p.root.origin})`).join(', ');
  const hint = probes
    .filter((p) => p.root.origin !== 'cache')
    .map((p) => nestedHint(spec, p.root.root))
    .find((h) => h !== '');
  return new UserError(
    `${spec.name}: dataset not found; looked in ${where}${extra}${hint ?? ''}`,
    `run \`ticketlab datasets download ${spec.name}\`, or pass --data-dir <dir> (or set TICKETLAB_DATA) ` +
      `where <dir>/${spec.dirNames[0]}/ holds the files`,
  );
}

/** When a data root itself holds the dataset's files, the user likely passed the dataset dir, not its parent. */
function nestedHint(spec: DatasetSpec, root: string): string {
  const first = spec.format === 'idx' ? spec.files.trainImages : spec.trainFiles[0];
  const names = [first.name, `${first.name}.gz`];
  if (spec.format === 'cifar') names.push(spec.archive.name);
  return names.some((n) => isFile(join(root, n)))
    ? `; note: ${root} itself holds ${spec.name}-style files — pass its parent directory instead`
    : '';
}
