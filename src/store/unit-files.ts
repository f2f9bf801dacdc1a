/**
 * The files of one unit of work inside a run directory, and what they say about the unit:
 *
 *   <key>/result.json    the unit's record (written last, atomically): its result, its state (done, or
 *                        diverged: a result that stopped early and is kept as it is), the thread count,
 *                        and every tensor file it produced with the sha256 of that file's data, by path
 *                        relative to the run directory (so a moved run directory stays valid)
 *   <key>/lease          while a live process works on it (./lease.ts)
 *   <key>/failed.json    the error that stopped the last attempt (removed when the unit completes)
 *   <key>/checkpoint.json  a mid-training checkpoint to resume from
 *
 * A unit is done or diverged (a record), running (a live lease), failed (an error recorded, no live
 * lease), interrupted (a checkpoint or a stale lease, no record) or pending (nothing yet).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, relative } from 'node:path';
import { z } from 'zod';
import { UserError } from '../util/errors.js';
import { readJson, writeJsonAtomic } from './atomic.js';
import { inspectLease } from './lease.js';
import { readTensorFile } from './tensors.js';

export const RESULT_FILE = 'result.json';
export const LEASE_FILE = 'lease';
export const FAILED_FILE = 'failed.json';
export const CHECKPOINT_FILE = 'checkpoint.json';
export const SEGMENT_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
// 'lock' was the whole-run lock of earlier versions; still reserved so old directories stay valid
const RESERVED = new Set(['identity.json', 'config.json', 'run.json', 'lock']);

export const resultSchema = z.object({
  key: z.string(),
  completedAt: z.string(),
  /** onnxruntime intra-op threads the unit was computed with (float sums depend on it) */
  threads: z.number().int().positive().optional(),
  /** absent: done; 'diverged': training stopped at a numeric blow-up, kept as it is */
  state: z.enum(['done', 'diverged']).optional(),
  /** The unit's tensor files, relative to the run directory → sha256 of their data. */
  files: z.record(z.string(), z.string()).optional(),
  result: z.unknown(),
});
export type UnitRecord = z.infer<typeof resultSchema>;

export type UnitState = 'done' | 'diverged' | 'running' | 'interrupted' | 'failed' | 'pending';
export const UNIT_STATES: readonly UnitState[] = [
  'done',
  'diverged',
  'running',
  'interrupted',
  'failed',
  'pending',
];

export interface FailureRecord {
  message: string;
  fix?: string;
  at: string;
  pid: number;
  hostname: string;
}

/** What `checkUnit` found: the unit's state, and for a recorded unit what is missing or damaged. */
export interface UnitCheck {
  key: string;
  state: UnitState;
  /** Why the unit cannot be used as recorded (empty: intact, or not recorded at all). */
  problems: string[];
  /** Files present but without a checksum (written by an earlier version): accepted unchecked. */
  unchecked: string[];
  failure?: FailureRecord;
}

/** The state of the unit in `unitDir`, from its files alone (no checksums read). */
export function unitStateIn(unitDir: string): UnitState {
  const recordPath = join(unitDir, RESULT_FILE);
  if (existsSync(recordPath)) {
    try {
      return JSON.parse(readFileSync(recordPath, 'utf8')).state === 'diverged' ? 'diverged' : 'done';
    } catch {
      return 'done'; // a damaged record: checkUnit says what is wrong with it
    }
  }
  const lease = inspectLease(join(unitDir, LEASE_FILE));
  if (lease.state === 'held') return 'running';
  if (existsSync(join(unitDir, FAILED_FILE))) return 'failed';
  if (lease.state === 'stale' || existsSync(join(unitDir, CHECKPOINT_FILE))) return 'interrupted';
  return 'pending';
}

export function recordFailure(unitDir: string, error: unknown): void {
  const record: FailureRecord = {
    message: error instanceof Error ? error.message : String(error),
    ...(error instanceof UserError && error.fix ? { fix: error.fix } : {}),
    at: new Date().toISOString(),
    pid: process.pid,
    hostname: hostname(),
  };
  writeJsonAtomic(join(unitDir, FAILED_FILE), record);
}

export function readFailure(unitDir: string): FailureRecord | undefined {
  const path = join(unitDir, FAILED_FILE);
  if (!existsSync(path)) return undefined;
  try {
    return readJson(path) as FailureRecord;
  } catch {
    return { message: `${path} is unreadable`, at: '', pid: 0, hostname: '' };
  }
}

/** The checksum of a tensor file, for the unit's record (the file is read and checked whole). */
export function fileChecksum(path: string): string {
  const { checksum } = readTensorFile(path);
  if (checksum === null) throw new Error(`${path} has no checksum`);
  return checksum;
}

/** What is wrong with one tensor file of a recorded unit (problem null: intact), and its checksum. */
function checkFile(
  runDir: string,
  rel: string,
  recorded: string | undefined,
): { problem: string | null; checksum: string | null } {
  const path = join(runDir, rel);
  if (!existsSync(path)) return { problem: `${rel} is missing`, checksum: null };
  let checksum: string | null;
  try {
    checksum = readTensorFile(path).checksum;
  } catch (error) {
    const why = error instanceof UserError ? error.message.replace(path, rel) : String(error);
    return { problem: why, checksum: null };
  }
  if (recorded !== undefined && checksum !== recorded)
    return {
      problem: `${rel} is not the file the unit wrote (its checksum differs from the one in ${RESULT_FILE})`,
      checksum,
    };
  return { problem: null, checksum };
}

/**
 * Checks a unit: its record parses, and every tensor file it recorded is present with the checksum
 * recorded. A record of an earlier version lists no files: `legacyFiles` (relative to the unit's
 * directory) are checked for presence and readability instead, and named in `unchecked` when they
 * have no checksum.
 */
export function checkUnit(runDir: string, key: string, legacyFiles: string[] = []): UnitCheck {
  const unitDir = join(runDir, ...key.split('/'));
  const state = unitStateIn(unitDir);
  const check: UnitCheck = { key, state, problems: [], unchecked: [] };
  if (state === 'failed') check.failure = readFailure(unitDir);
  if (state !== 'done' && state !== 'diverged') return check;
  let record: UnitRecord;
  try {
    record = readJson(join(unitDir, RESULT_FILE), resultSchema);
  } catch (error) {
    check.problems.push(`${key}/${RESULT_FILE} is damaged: ${(error as Error).message}`);
    return check;
  }
  const files = record.files ?? Object.fromEntries(legacyFiles.map((f) => [`${key}/${f}`, undefined]));
  for (const [rel, sha] of Object.entries(files) as [string, string | undefined][]) {
    const { problem, checksum } = checkFile(runDir, rel, sha);
    if (problem) check.problems.push(problem);
    else if (checksum === null) check.unchecked.push(rel);
  }
  return check;
}

/** Keys of every unit directory under a run (done or not), sorted. */
export function unitKeysIn(runDir: string): string[] {
  const keys: string[] = [];
  const markers = [RESULT_FILE, LEASE_FILE, FAILED_FILE, CHECKPOINT_FILE];
  const walk = (d: string, prefix: string[]): void => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    if (prefix.length > 0 && entries.some((e) => e.isFile() && markers.includes(e.name)))
      keys.push(prefix.join('/'));
    for (const e of entries)
      if (e.isDirectory() && SEGMENT_RE.test(e.name)) walk(join(d, e.name), [...prefix, e.name]);
  };
  walk(runDir, []);
  return keys.sort();
}

/** A path inside the run directory as recorded: relative, with "/" separators. */
export function runRelative(runDir: string, path: string): string {
  return relative(runDir, path).split(/[\\/]/).join('/');
}

/** The segments of a unit key, checked (a RangeError names what is wrong). */
export function checkKey(key: string): string[] {
  const parts = key.split('/');
  if (
    !parts.every((p) => SEGMENT_RE.test(p)) ||
    RESERVED.has(parts[0]) ||
    parts.some((p) => p === RESULT_FILE || p === LEASE_FILE)
  ) {
    throw new RangeError(
      `invalid unit key "${key}": use "/"-separated segments of letters, digits, ".", "_", "-" ` +
        `(not starting with "." and not ${[...RESERVED].join(', ')}, ${RESULT_FILE} or ${LEASE_FILE})`,
    );
  }
  return parts;
}

export function doneKeysIn(dir: string): string[] {
  return scanUnits(dir).done;
}

/** Keys of the done units under a run directory (sorted), and the paths of unit leases in it. */
export function scanUnits(dir: string): { done: string[]; leases: string[] } {
  const done: string[] = [];
  const leases: string[] = [];
  const walk = (d: string, prefix: string[]): void => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isFile() && e.name === LEASE_FILE && prefix.length > 0) leases.push(join(d, e.name));
      if (!e.isDirectory() || !SEGMENT_RE.test(e.name)) continue;
      const parts = [...prefix, e.name];
      const sub = join(d, e.name);
      if (existsSync(join(sub, RESULT_FILE))) done.push(parts.join('/'));
      walk(sub, parts);
    }
  };
  walk(dir, []);
  return { done: done.sort(), leases };
}

/**
 * A tensor file of a recorded unit, verified: the unit is recorded, and the file is present, intact
 * and the one the unit wrote (its checksum in result.json). The read path of everything that uses a
 * unit's tensors after the fact (export, reports). Errors name the file and the repair.
 */
export function readUnitTensors(
  runDir: string,
  key: string,
  file: string,
): ReturnType<typeof readTensorFile> {
  const unitDir = join(runDir, ...checkKey(key));
  const path = join(unitDir, file);
  const repair = `\`ticketlab runs repair ${runDir}\` (or the same lottery command) recomputes the unit`;
  const state = unitStateIn(unitDir);
  if (state !== 'done')
    throw new UserError(
      `${key} in ${runDir} is not done (${state}), so it has no ${file}`,
      state === 'diverged'
        ? 'it diverged: pick another unit (see `ticketlab runs show`)'
        : 'finish the run (run the same command again), or pick a done unit (see `ticketlab runs show`)',
    );
  const record = readJson(join(unitDir, RESULT_FILE), resultSchema);
  if (!existsSync(path))
    throw new UserError(`${key} is recorded as done but its ${file} is missing (${path})`, repair);
  const read = readTensorFile(path); // checks the file's own checksum
  const recorded = record.files?.[runRelative(runDir, path)];
  if (recorded !== undefined && read.checksum !== recorded)
    throw new UserError(
      `${path} is not the file ${key} wrote (its checksum differs from ${RESULT_FILE})`,
      repair,
    );
  return read;
}
