/**
 * The run store: one directory per run, named `<name>-<hash>` where hash = hashConfig(config) of
 * the fully resolved hyperparameters, holding
 *
 *   config.json          the configuration, canonical (sorted keys); written once, never changed
 *   run.json             { format, name, hash, createdAt, planned? }
 *   lock                 while a process writes the run (see ./lock.ts)
 *   <key>/result.json    one per completed unit of work, e.g. key `trial-0/level-03`; written last
 *                        and atomically, so its presence means the unit is complete
 *   <key>/...            the unit's other files (checkpoints, masks), written before result.json
 *
 * A directory is never reused for different settings: opening a run whose directory holds another
 * configuration is an error. Runs resume by skipping the units that are done.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { UserError } from '../util/errors.js';
import { readJson, removeStaleTempFiles, writeJsonAtomic } from './atomic.js';
import { configDifferences, HASH_LENGTH, hashConfig, stableStringify } from './hash.js';
import { FileLock, inspectLock } from './lock.js';

export const RUN_FORMAT = 1;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const SEGMENT_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const RESERVED = new Set(['config.json', 'run.json', 'lock']);
const RESULT_FILE = 'result.json';
const DIR_RE = new RegExp(`^([A-Za-z0-9][A-Za-z0-9._-]*)-([0-9a-f]{${HASH_LENGTH}})$`);

const runMetaSchema = z.object({
  format: z.number(),
  name: z.string(),
  hash: z.string(),
  createdAt: z.string(),
  planned: z.number().int().nonnegative().optional(),
});
export type RunMeta = z.infer<typeof runMetaSchema>;

const resultSchema = z.object({ key: z.string(), completedAt: z.string(), result: z.unknown() });

/** The runs root: an explicit directory, else $TICKETLAB_RUNS, else ./runs (resolved to absolute). */
export function defaultRunsRoot(root?: string): string {
  return resolve(root ?? process.env.TICKETLAB_RUNS ?? 'runs');
}

export interface RunSummary {
  name: string;
  hash: string;
  dir: string;
  createdAt: string | null;
  config: unknown;
  progress: { done: number; planned: number | null };
  /** A live process holds the run's lock. */
  active: boolean;
  /** Set if the directory is damaged or inconsistent; the other fields are best effort. */
  problem?: string;
}

export class RunStore {
  readonly root: string;

  constructor(options: { root?: string } = {}) {
    this.root = defaultRunsRoot(options.root);
  }

  /**
   * Opens (creating on first use) the run `name` for `config` and locks it for writing. The
   * config must be plain JSON data (see stableStringify); it is stored canonically in config.json.
   * Throws a UserError if the directory exists with a different config, or another live process
   * has the run open.
   */
  openRun(name: string, config: object): Run {
    if (!NAME_RE.test(name)) {
      throw new UserError(
        `invalid run name "${name}"`,
        'use letters, digits, ".", "_" and "-" (up to 100 characters), starting with a letter or digit',
      );
    }
    const canonical = stableStringify(config);
    const hash = hashConfig(config);
    const dirName = `${name}-${hash}`;
    const dir = join(this.root, dirName);
    if (!existsSync(dir)) this.create(dir, dirName, name, hash, canonical);
    const run = loadRun(dir, true);
    if (stableStringify(run.config) !== canonical) {
      const diffs = configDifferences(run.config, JSON.parse(canonical));
      throw new UserError(
        `run directory ${dir} holds a different configuration (differs at ${diffs.join(', ') || 'the root'}); ` +
          'a run directory is never reused for other settings',
        `move ${dir} away, or run under another name`,
      );
    }
    run.lock();
    return run;
  }

  /** Opens an existing run directory (a path, or a directory name under the root) read-only, without locking. */
  loadRun(dirOrName: string): Run {
    const dir = resolve(this.root, dirOrName);
    if (!existsSync(join(dir, 'config.json')))
      throw new UserError(`${dir} is not a run directory (no config.json)`);
    return loadRun(dir, false);
  }

  /** Summaries of every run under the root. */
  list(): RunSummary[] {
    return listRuns(this.root);
  }

  private create(dir: string, dirName: string, name: string, hash: string, canonical: string): void {
    // Build the directory under a temporary name, then rename it into place, so a run directory
    // always has its config.json.
    mkdirSync(this.root, { recursive: true });
    const tmp = join(this.root, `.${dirName}.${process.pid}.${randomBytes(4).toString('hex')}.creating`);
    mkdirSync(tmp);
    try {
      writeJsonAtomic(join(tmp, 'config.json'), JSON.parse(canonical));
      const meta: RunMeta = { format: RUN_FORMAT, name, hash, createdAt: new Date().toISOString() };
      writeJsonAtomic(join(tmp, 'run.json'), meta);
      renameSync(tmp, dir);
    } catch (error) {
      rmSync(tmp, { recursive: true, force: true });
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw error;
      // another process created it first; openRun goes on to check and lock it
    }
  }
}

function loadRun(dir: string, writable: boolean): Run {
  const config = readJson(join(dir, 'config.json'));
  const meta = readJson(join(dir, 'run.json'), runMetaSchema);
  return new Run(dir, meta, config, writable);
}

export class Run {
  readonly name: string;
  readonly hash: string;
  readonly createdAt: string;
  private fileLock: FileLock | null = null;

  /** @internal use RunStore.openRun / loadRun */
  constructor(
    readonly dir: string,
    private meta: RunMeta,
    /** The configuration as stored in config.json. */
    readonly config: unknown,
    readonly writable: boolean,
  ) {
    this.name = meta.name;
    this.hash = meta.hash;
    this.createdAt = meta.createdAt;
  }

  /** @internal */
  lock(): void {
    this.fileLock = FileLock.acquire(join(this.dir, 'lock'), `run ${this.dir}`);
    // Temporary files of writers that died mid-write (never those of live processes).
    removeStaleTempFiles(this.dir);
  }

  /** Releases the run's lock; the Run can no longer write. */
  close(): void {
    this.fileLock?.release();
    this.fileLock = null;
  }

  /** A path inside the run directory (not created). Rejects paths that escape the directory. */
  path(...parts: string[]): string {
    const p = resolve(this.dir, ...parts);
    const rel = relative(this.dir, p);
    if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
      throw new RangeError(`${parts.join('/')} is outside the run directory`);
    }
    return p;
  }

  /** The directory of a unit of work (created). */
  unitDir(key: string): string {
    const dir = this.path(...checkKey(key));
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  isDone(key: string): boolean {
    return existsSync(this.path(...checkKey(key), RESULT_FILE));
  }

  /** Records a completed unit: writes `<key>/result.json` atomically. `result` must be JSON data. */
  markDone(key: string, result: unknown): void {
    this.assertWritable();
    const record = {
      key,
      completedAt: new Date().toISOString(),
      result: JSON.parse(stableStringify(result ?? null)),
    };
    writeJsonAtomic(this.path(...checkKey(key), RESULT_FILE), record);
  }

  /** The result stored by markDone, or undefined if the unit is not done. */
  result<T = unknown>(key: string, schema?: z.ZodType<T>): T | undefined {
    const file = this.path(...checkKey(key), RESULT_FILE);
    if (!existsSync(file)) return undefined;
    const record = readJson(file, resultSchema);
    if (!schema) return record.result as T;
    const parsed = schema.safeParse(record.result);
    if (!parsed.success)
      throw new UserError(`${file} does not hold the expected result: ${parsed.error.message}`);
    return parsed.data;
  }

  /** Keys of all completed units, sorted. */
  doneKeys(): string[] {
    return doneKeysIn(this.dir);
  }

  /** Records how many units the run will have in total (for progress in `runs list`). */
  setPlanned(total: number): void {
    this.assertWritable();
    if (!Number.isInteger(total) || total < 0)
      throw new RangeError(`planned units must be a non-negative integer`);
    this.meta = { ...this.meta, planned: total };
    writeJsonAtomic(join(this.dir, 'run.json'), this.meta);
  }

  get planned(): number | null {
    return this.meta.planned ?? null;
  }

  private assertWritable(): void {
    if (!this.writable) throw new Error(`run ${this.dir} was opened read-only`);
    if (!this.fileLock?.isHeld) throw new Error(`run ${this.dir} is closed`);
  }
}

function checkKey(key: string): string[] {
  const parts = key.split('/');
  if (
    !parts.every((p) => SEGMENT_RE.test(p)) ||
    RESERVED.has(parts[0]) ||
    parts[parts.length - 1] === RESULT_FILE
  ) {
    throw new RangeError(
      `invalid unit key "${key}": use "/"-separated segments of letters, digits, ".", "_", "-" ` +
        `(not starting with "." and not ${[...RESERVED].join(', ')})`,
    );
  }
  return parts;
}

function doneKeysIn(dir: string): string[] {
  const keys: string[] = [];
  const walk = (d: string, prefix: string[]): void => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory() || !SEGMENT_RE.test(e.name)) continue;
      const parts = [...prefix, e.name];
      const sub = join(d, e.name);
      if (existsSync(join(sub, RESULT_FILE))) keys.push(parts.join('/'));
      walk(sub, parts);
    }
  };
  walk(dir, []);
  return keys.sort();
}

/** Summaries of the runs under `root` (default: defaultRunsRoot()), oldest first. */
export function listRuns(root?: string): RunSummary[] {
  const base = defaultRunsRoot(root);
  let entries;
  try {
    entries = readdirSync(base, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const out: RunSummary[] = [];
  for (const e of entries) {
    const m = e.isDirectory() ? DIR_RE.exec(e.name) : null;
    if (!m) continue;
    const dir = join(base, e.name);
    const summary: RunSummary = {
      name: m[1],
      hash: m[2],
      dir,
      createdAt: null,
      config: null,
      progress: { done: 0, planned: null },
      active: inspectLock(join(dir, 'lock')).state === 'held',
    };
    const problems: string[] = [];
    try {
      summary.config = readJson(join(dir, 'config.json'));
      if (hashConfig(summary.config) !== m[2])
        problems.push('config.json does not match the hash in the directory name');
    } catch (error) {
      problems.push(error instanceof UserError ? error.message : String(error));
    }
    try {
      const meta = readJson(join(dir, 'run.json'), runMetaSchema);
      summary.createdAt = meta.createdAt;
      summary.progress.planned = meta.planned ?? null;
    } catch (error) {
      problems.push(error instanceof UserError ? error.message : String(error));
      summary.createdAt = statSync(dir).mtime.toISOString();
    }
    summary.progress.done = doneKeysIn(dir).length;
    if (problems.length) summary.problem = problems.join('; ');
    out.push(summary);
  }
  return out.sort(
    (a, b) => (a.createdAt ?? '').localeCompare(b.createdAt ?? '') || a.dir.localeCompare(b.dir),
  );
}
