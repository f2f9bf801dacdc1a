/**
 * Cleaning up a runs root: removing runs by name (`ticketlab runs rm`), and finding what is left over
 * (`ticketlab runs gc`): directories that never became runs, runs that failed to start (no unit
 * done, none running or resumable), temporary files of writers that died mid-write, and leases
 * whose holder is gone. Nothing a live process works on is touched.
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../util/errors.js';
import { pidAlive, removeStaleTempFiles } from './atomic.js';
import { HASH_LENGTH } from './hash.js';
import { inspectLease } from './lease.js';
import { defaultRunsRoot } from './run-store.js';
import { CHECKPOINT_FILE, LEASE_FILE, type UnitState, unitKeysIn, unitStateIn } from './unit-files.js';

const RUN_DIR_RE = new RegExp(`^[A-Za-z0-9][A-Za-z0-9._-]*-[0-9a-f]{${HASH_LENGTH}}$`);
/** A run directory being built by RunStore.create: `.<dir>.<pid>.<random>.creating`. */
const CREATING_RE = /^\..+\.(\d+)\.[0-9a-f]{8}\.creating$/;
/** A stale lease moved aside during a takeover: `lease.<pid>.<random>.stale`. */
const STALE_ASIDE_RE = /^lease\.(\d+)\.[0-9a-f]{8}\.stale$/;
/** Files younger than this may belong to a writer in flight on another host: left alone. */
const GRACE_MS = 60_000;
/** A run this recent with nothing started may still be loading its data: not a failed start. */
const START_GRACE_MS = 10 * 60_000;

export interface Garbage {
  path: string;
  kind: 'orphan directory' | 'failed start' | 'temporary file' | 'expired lease';
  why: string;
}

const isRunDir = (dir: string) =>
  existsSync(join(dir, 'identity.json')) || existsSync(join(dir, 'config.json'));

const ageMs = (path: string) => {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
};

function unitStates(dir: string): Map<string, UnitState> {
  return new Map(unitKeysIn(dir).map((k) => [k, unitStateIn(join(dir, ...k.split('/')))]));
}

/** Why the run at `dir` counts as a failed start (nothing done, running or resumable), or null. */
function failedStart(dir: string): string | null {
  const units = unitStates(dir);
  const states = [...units.values()];
  if (states.some((s) => s === 'done' || s === 'running' || s === 'interrupted')) return null;
  // a failed unit with a checkpoint resumes from it: work worth keeping
  if ([...units.keys()].some((k) => existsSync(join(dir, ...k.split('/'), CHECKPOINT_FILE)))) return null;
  if (ageMs(join(dir, 'run.json')) < START_GRACE_MS && states.length === 0) return null;
  const diverged = states.filter((s) => s === 'diverged').length;
  const failed = states.filter((s) => s === 'failed').length;
  if (diverged) return `no unit done; ${diverged} diverged`;
  if (failed) return `no unit done; ${failed} failed`;
  return 'no unit was ever started';
}

/** What `runs gc` would remove under `root`. */
export function findGarbage(root?: string): Garbage[] {
  const base = defaultRunsRoot(root);
  const out: Garbage[] = [];
  let entries;
  try {
    entries = readdirSync(base, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const dir = join(base, e.name);
    const creating = CREATING_RE.exec(e.name);
    if (creating) {
      if (!pidAlive(Number(creating[1])) && ageMs(dir) >= GRACE_MS)
        out.push({
          path: dir,
          kind: 'orphan directory',
          why: 'a run directory whose creation never finished',
        });
      continue;
    }
    if (!RUN_DIR_RE.test(e.name)) continue; // not ticketlab's: never touched
    if (!isRunDir(dir)) {
      out.push({ path: dir, kind: 'orphan directory', why: 'no identity.json or config.json' });
      continue;
    }
    const failed = failedStart(dir);
    if (failed) {
      out.push({ path: dir, kind: 'failed start', why: failed });
      continue;
    }
    for (const path of removeStaleTempFiles(dir, false, GRACE_MS, true))
      out.push({ path, kind: 'temporary file', why: 'left by a writer that died mid-write' });
    for (const key of unitKeysIn(dir)) {
      const unitDir = join(dir, ...key.split('/'));
      const lease = join(unitDir, LEASE_FILE);
      if (existsSync(lease) && inspectLease(lease).state === 'stale')
        out.push({ path: lease, kind: 'expired lease', why: 'its holder is gone' });
      for (const name of readdirSync(unitDir)) {
        const aside = STALE_ASIDE_RE.exec(name);
        if (aside && !pidAlive(Number(aside[1])) && ageMs(join(unitDir, name)) >= GRACE_MS)
          out.push({
            path: join(unitDir, name),
            kind: 'expired lease',
            why: 'left by an interrupted takeover',
          });
      }
    }
  }
  return out;
}

/** Removes what findGarbage found (a lease is checked again: it may have been taken meanwhile). */
export function removeGarbage(items: Garbage[]): Garbage[] {
  const removed: Garbage[] = [];
  for (const item of items) {
    if (
      item.kind === 'expired lease' &&
      !item.path.endsWith('.stale') &&
      inspectLease(item.path).state !== 'stale'
    )
      continue;
    rmSync(item.path, { recursive: true, force: true });
    removed.push(item);
  }
  return removed;
}

/**
 * Removes the run directory `dirOrName` (a path, or a name under the root). Refused while a live
 * process holds the lease of one of its units, unless `force`. `dryRun`: the checks only.
 */
export function removeRun(
  dirOrName: string,
  options: { root?: string; force?: boolean; dryRun?: boolean } = {},
): string {
  const dir = resolve(defaultRunsRoot(options.root), dirOrName);
  if (!existsSync(dir) || !isRunDir(dir))
    throw new UserError(
      `${dir} is not a run directory (no identity.json or config.json)`,
      'pass run directories listed by `ticketlab runs list` (orphans are removed by `ticketlab runs gc`)',
    );
  const running = [...unitStates(dir)].filter(([, s]) => s === 'running').map(([k]) => k);
  if (running.length > 0 && !options.force)
    throw new UserError(
      `${dir} is being worked on: a live process holds ${running.join(', ')}`,
      'stop that process first, or pass --force to remove the run anyway',
    );
  if (!options.dryRun) rmSync(dir, { recursive: true, force: true });
  return dir;
}
