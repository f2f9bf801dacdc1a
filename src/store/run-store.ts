/**
 * The run store: one directory per run, named `<name>-<hash>` where hash = hashConfig(identity) of
 * the run's identity — the settings that affect its results (not how much of it to compute: levels,
 * trials, controls and checkpointing are left out by the caller, so asking for more reuses every unit
 * already done). A run directory holds
 *
 *   identity.json        the identity, canonical (sorted keys); written once, never changed
 *   config.json          the full configuration of the latest invocation that opened the run (the
 *                        identity itself when none is given); runs of earlier versions, named by the
 *                        hash of their whole configuration, have only this file
 *   run.json             { format, name, hash, createdAt, planned? }
 *   <key>/lease          while a process works on the unit (see ./lease.ts)
 *   <key>/result.json    one per completed unit of work, e.g. key `trial-0/level-03`; written last
 *                        and atomically, so its presence means the unit is complete
 *   <key>/...            the unit's other files (checkpoints, masks), written before result.json
 *
 * There is no lock on the whole run: several processes (on one host, or on hosts sharing the
 * directory) work on one run at once, each unit guarded by its own lease. A directory is never
 * reused for a different identity: opening a run whose directory holds another one is an error.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { UserError } from '../util/errors.js';
import { readJson, removeStaleTempFiles, writeJsonAtomic } from './atomic.js';
import { configDifferences, HASH_LENGTH, hashConfig, stableStringify } from './hash.js';
import { inspectLease, Lease, type LeaseOptions } from './lease.js';
import {
  checkKey,
  checkUnit,
  doneKeysIn,
  fileChecksum,
  readUnitTensors,
  scanUnits,
  LEASE_FILE,
  readFailure,
  recordFailure,
  RESULT_FILE,
  resultSchema,
  runRelative,
  type FailureRecord,
  type UnitCheck,
  type UnitRecord,
  type UnitState,
  unitKeysIn,
  unitStateIn,
  FAILED_FILE,
  UNIT_STATES,
} from './unit-files.js';

export const RUN_FORMAT = 1;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const IDENTITY_FILE = 'identity.json';
const DIR_RE = new RegExp(`^([A-Za-z0-9][A-Za-z0-9._-]*)-([0-9a-f]{${HASH_LENGTH}})$`);

const runMetaSchema = z.object({
  format: z.number(),
  name: z.string(),
  hash: z.string(),
  createdAt: z.string(),
  planned: z.number().int().nonnegative().optional(),
});
export type RunMeta = z.infer<typeof runMetaSchema>;

export type { FailureRecord, UnitCheck, UnitRecord, UnitState };

/** The runs root: an explicit directory, else $TICKETLAB_RUNS, else ./runs (resolved to absolute). */
export function defaultRunsRoot(root?: string): string {
  return resolve(root ?? process.env.TICKETLAB_RUNS ?? 'runs');
}

export interface RunSummary {
  name: string;
  hash: string;
  dir: string;
  createdAt: string | null;
  /** The run's identity (identity.json; config.json for runs of earlier versions). */
  identity: unknown;
  /** config.json: the full configuration of the latest invocation. */
  config: unknown;
  progress: { done: number; planned: number | null };
  /** How many of the run's started units are in each state (pending: planned, not started). */
  units: Record<UnitState, number>;
  /** A live process holds the lease of one of the run's units. */
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
   * Opens (creating on first use) the run `name` for `identity`, for writing. The identity (the
   * result-affecting settings) must be plain JSON data (see stableStringify); it names the directory
   * by its hash and is stored canonically in identity.json. `config`, the invocation's whole
   * configuration (identity plus how much to compute), replaces config.json. Throws a UserError if
   * the directory exists with a different identity. Other processes may have the run open too:
   * units are leased one by one (Run.tryLease).
   */
  openRun(name: string, identity: object, config?: object): Run {
    if (!NAME_RE.test(name)) {
      throw new UserError(
        `invalid run name "${name}"`,
        'use letters, digits, ".", "_" and "-" (up to 100 characters), starting with a letter or digit',
      );
    }
    const canonical = stableStringify(identity);
    const hash = hashConfig(identity);
    const configText = config === undefined ? canonical : stableStringify(config);
    const dirName = `${name}-${hash}`;
    const dir = join(this.root, dirName);
    if (!existsSync(dir)) this.create(dir, dirName, { name, hash, canonical, configText });
    const run = loadRun(dir, true);
    if (stableStringify(run.identity) !== canonical) {
      const diffs = configDifferences(run.identity, JSON.parse(canonical));
      throw new UserError(
        `run directory ${dir} holds a different configuration (differs at ${diffs.join(', ') || 'the root'}); ` +
          'a run directory is never reused for other settings',
        `move ${dir} away, or run under another name`,
      );
    }
    // Temporary files of writers that died mid-write (a minute old: another host's writer in flight
    // has a pid that means nothing here, but its file is fresh).
    removeStaleTempFiles(dir, false, 60_000);
    if (config !== undefined && stableStringify(run.config) !== configText) {
      writeJsonAtomic(join(dir, 'config.json'), JSON.parse(configText));
      return loadRun(dir, true);
    }
    return run;
  }

  /** The directory of run `name` for `identity`, `<root>/<name>-<hash>`, whether it exists or not. */
  dirOf(name: string, identity: object): string {
    return join(this.root, `${name}-${hashConfig(identity)}`);
  }

  /** The run `name` for `identity` read-only, if its directory exists (nothing is created or changed). */
  peekRun(name: string, identity: object): Run | undefined {
    const dir = this.dirOf(name, identity);
    return existsSync(join(dir, 'config.json')) ? loadRun(dir, false) : undefined;
  }

  /** Opens an existing run directory (a path, or a directory name under the root) read-only. */
  loadRun(dirOrName: string): Run {
    // a path as the user typed it (relative to the working directory, as `runs show` takes it), else a
    // name under the root
    const typed = resolve(dirOrName);
    const dir = existsSync(join(typed, 'config.json')) ? typed : resolve(this.root, dirOrName);
    if (!existsSync(join(dir, 'config.json')))
      throw new UserError(
        `${dir} is not a run directory (no config.json)`,
        'give a directory that `ticketlab lottery` wrote (it holds config.json), as `ticketlab runs list` shows them',
      );
    return loadRun(dir, false);
  }

  /** Summaries of every run under the root. */
  list(): RunSummary[] {
    return listRuns(this.root);
  }

  private create(
    dir: string,
    dirName: string,
    {
      name,
      hash,
      canonical,
      configText,
    }: { name: string; hash: string; canonical: string; configText: string },
  ): void {
    // Build the directory under a temporary name, then rename it into place, so a run directory
    // always has its identity.json and config.json.
    mkdirSync(this.root, { recursive: true });
    const tmp = join(this.root, `.${dirName}.${process.pid}.${randomBytes(4).toString('hex')}.creating`);
    mkdirSync(tmp);
    try {
      writeJsonAtomic(join(tmp, IDENTITY_FILE), JSON.parse(canonical));
      writeJsonAtomic(join(tmp, 'config.json'), JSON.parse(configText));
      const meta: RunMeta = { format: RUN_FORMAT, name, hash, createdAt: new Date().toISOString() };
      writeJsonAtomic(join(tmp, 'run.json'), meta);
      renameSync(tmp, dir);
    } catch (error) {
      rmSync(tmp, { recursive: true, force: true });
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw error;
      // another process created it first; openRun goes on to check it
    }
  }
}

function loadRun(dir: string, writable: boolean): Run {
  const config = readJson(join(dir, 'config.json'));
  const identity = readIdentity(dir, config);
  const meta = readJson(join(dir, 'run.json'), runMetaSchema);
  return new Run(dir, meta, identity, config, writable);
}

/** identity.json; in runs of earlier versions (named by their whole config), config.json. */
function readIdentity(dir: string, config: unknown): unknown {
  const path = join(dir, IDENTITY_FILE);
  return existsSync(path) ? readJson(path) : config;
}

export class Run {
  readonly name: string;
  readonly hash: string;
  readonly createdAt: string;
  private closed = false;

  /** @internal use RunStore.openRun / loadRun */
  constructor(
    readonly dir: string,
    private meta: RunMeta,
    /** The identity the directory is named after (identity.json). */
    readonly identity: unknown,
    /** The full configuration of the latest invocation (config.json). */
    readonly config: unknown,
    readonly writable: boolean,
  ) {
    this.name = meta.name;
    this.hash = meta.hash;
    this.createdAt = meta.createdAt;
  }

  /** Ends writing through this Run (leases taken from it are released by their holders). */
  close(): void {
    this.closed = true;
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

  /**
   * Records a completed unit: writes `<key>/result.json` atomically. `result` must be JSON data;
   * `threads`, the intra-op thread count it was computed with, is recorded beside it, and the
   * checksum of each of its tensor `files` (paths inside the run, read back and checked here), which
   * `checkUnit` verifies later. `state` 'diverged' records a unit whose training blew up.
   */
  markDone(
    key: string,
    result: unknown,
    info: { threads?: number; state?: 'diverged'; files?: string[] } = {},
  ): void {
    this.assertWritable();
    const files: Record<string, string> = {};
    for (const f of info.files ?? []) {
      const path = this.path(f);
      files[runRelative(this.dir, path)] = fileChecksum(path);
    }
    const record: UnitRecord = {
      key,
      completedAt: new Date().toISOString(),
      ...(info.threads === undefined ? {} : { threads: info.threads }),
      ...(info.state === undefined ? {} : { state: info.state }),
      ...(info.files === undefined ? {} : { files }),
      result: JSON.parse(stableStringify(result ?? null)),
    };
    writeJsonAtomic(this.path(...checkKey(key), RESULT_FILE), record);
    rmSync(this.path(...checkKey(key), FAILED_FILE), { force: true });
  }

  /** The unit's state from its files (done, diverged, running, failed, interrupted, pending). */
  unitState(key: string): UnitState {
    return unitStateIn(this.path(...checkKey(key)));
  }

  /**
   * The unit's state, and for a recorded unit whether its record and tensor files are intact (see
   * unit-files.ts; `legacyFiles` are checked for records of earlier versions, which list none).
   */
  checkUnit(key: string, legacyFiles?: string[]): UnitCheck {
    return checkUnit(this.dir, checkKey(key).join('/'), legacyFiles);
  }

  /** Forgets a recorded unit whose files are damaged, so it is computed again (hold its lease). */
  invalidate(key: string): void {
    this.assertWritable();
    rmSync(this.path(...checkKey(key), RESULT_FILE), { force: true });
  }

  /** Records the error that stopped an attempt at the unit (cleared when the unit completes). */
  markFailed(key: string, error: unknown): void {
    this.assertWritable();
    recordFailure(this.unitDir(key), error);
  }

  failure(key: string): FailureRecord | undefined {
    return readFailure(this.path(...checkKey(key)));
  }

  /** A tensor file of a done unit, verified against the unit's record (see unit-files.ts). */
  readUnitTensors(key: string, file: string): ReturnType<typeof readUnitTensors> {
    return readUnitTensors(this.dir, key, file);
  }

  /** Keys of every unit started in this run (done or not), sorted. */
  unitKeys(): string[] {
    return unitKeysIn(this.dir);
  }

  /** The whole record of a done unit (result, completion time, threads), or undefined. */
  unitRecord(key: string): UnitRecord | undefined {
    const file = this.path(...checkKey(key), RESULT_FILE);
    if (!existsSync(file)) return undefined;
    return readJson(file, resultSchema);
  }

  /**
   * Takes the lease of a unit (creating its directory), or returns null while another live process
   * holds it. The lease renews itself from a timer until released; see ./lease.ts.
   */
  tryLease(key: string, options?: LeaseOptions): Lease | null {
    this.assertWritable();
    return Lease.tryAcquire(join(this.unitDir(key), LEASE_FILE), options);
  }

  /** Whether a unit's lease is free, held by a live process, or stale. */
  leaseState(key: string): ReturnType<typeof inspectLease> {
    return inspectLease(this.path(...checkKey(key), LEASE_FILE));
  }

  /** The result stored by markDone, or undefined if the unit is not done. */
  result<T = unknown>(key: string, schema?: z.ZodType<T>): T | undefined {
    const record = this.unitRecord(key);
    if (!record) return undefined;
    if (!schema) return record.result as T;
    const parsed = schema.safeParse(record.result);
    if (!parsed.success)
      throw new UserError(
        `${this.path(key, RESULT_FILE)} does not hold the expected result: ${parsed.error.message}`,
      );
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
    if (this.closed) throw new Error(`run ${this.dir} is closed`);
  }
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
      identity: null,
      config: null,
      progress: { done: 0, planned: null },
      units: Object.fromEntries(UNIT_STATES.map((s) => [s, 0])) as Record<UnitState, number>,
      active: false,
    };
    const problems: string[] = [];
    try {
      summary.config = readJson(join(dir, 'config.json'));
      summary.identity = readIdentity(dir, summary.config);
      if (hashConfig(summary.identity) !== m[2])
        problems.push(
          `${existsSync(join(dir, IDENTITY_FILE)) ? IDENTITY_FILE : 'config.json'} does not match the hash in the directory name`,
        );
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
    const units = scanUnits(dir);
    summary.progress.done = units.done.length;
    summary.active = units.leases.some((p) => inspectLease(p).state === 'held');
    for (const key of unitKeysIn(dir)) summary.units[unitStateIn(join(dir, ...key.split('/')))]++;
    const started = Object.values(summary.units).reduce((a, b) => a + b, 0);
    if (summary.progress.planned !== null)
      summary.units.pending += Math.max(0, summary.progress.planned - started);
    if (problems.length) summary.problem = problems.join('; ');
    out.push(summary);
  }
  return out.sort(
    (a, b) => (a.createdAt ?? '').localeCompare(b.createdAt ?? '') || a.dir.localeCompare(b.dir),
  );
}
