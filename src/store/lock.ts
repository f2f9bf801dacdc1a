/**
 * A lock file that keeps two processes from writing the same run. The file holds JSON
 * `{ pid, hostname, token, acquiredAt }` and is created atomically with its content (written to a
 * temporary file, then hard-linked into place, which fails if the lock exists).
 *
 * A lock whose process is gone (same host, pid not running, or our own pid while this process does
 * not hold it — pid reuse across container restarts) is stale and is taken over. A lock from another
 * host cannot be checked and is respected. If two processes find the same stale lock at once, the
 * takeover is arbitrated by renaming the stale file away and re-checking what was renamed (putting
 * back a fresh lock moved by mistake), so the two do not both end up holding it.
 */
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { UserError } from '../util/errors.js';
import { pidAlive, tempPathFor } from './atomic.js';

export interface LockInfo {
  pid: number;
  hostname: string;
  token: string;
  acquiredAt: string;
}

export type LockState = { state: 'free' } | { state: 'held' | 'stale'; info: LockInfo | null };

/** Lock paths held by this process, with their tokens. */
const held = new Map<string, string>();
let exitHookInstalled = false;

function readInfo(path: string): { text: string; info: LockInfo | null } | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const v = JSON.parse(text) as LockInfo;
    if (Number.isInteger(v.pid) && typeof v.hostname === 'string' && typeof v.token === 'string') {
      return { text, info: v };
    }
  } catch {
    // unreadable lock: treated as stale
  }
  return { text, info: null };
}

function isLive(path: string, info: LockInfo | null): boolean {
  if (!info) return false;
  if (info.hostname !== hostname()) return true; // cannot tell; respect it
  if (info.pid === process.pid) return held.get(path) === info.token;
  return pidAlive(info.pid);
}

/** Whether the lock at `path` is free, held by a live process, or stale. */
export function inspectLock(path: string): LockState {
  const r = readInfo(path);
  if (!r) return { state: 'free' };
  return { state: isLive(path, r.info) ? 'held' : 'stale', info: r.info };
}

export class FileLock {
  private constructor(
    readonly path: string,
    readonly info: LockInfo,
  ) {}

  /** Takes the lock at `path` or throws a UserError naming `what` and the holder. */
  static acquire(path: string, what: string): FileLock {
    const info: LockInfo = {
      pid: process.pid,
      hostname: hostname(),
      token: randomBytes(8).toString('hex'),
      acquiredAt: new Date().toISOString(),
    };
    for (let attempt = 0; attempt < 10; attempt++) {
      const tmp = tempPathFor(path);
      writeFileSync(tmp, `${JSON.stringify(info)}\n`, { flag: 'wx' });
      try {
        linkSync(tmp, path);
        held.set(path, info.token);
        installExitHook();
        return new FileLock(path, info);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') continue; // our temporary file was cleaned away; try again
        if (code !== 'EEXIST') throw error;
      } finally {
        try {
          unlinkSync(tmp);
        } catch {
          // already gone
        }
      }
      const existing = readInfo(path);
      if (!existing) continue; // released meanwhile
      if (isLive(path, existing.info)) {
        const o = existing.info!;
        const who =
          o.pid === process.pid && o.hostname === info.hostname
            ? 'this process'
            : `process ${o.pid} on ${o.hostname} (since ${o.acquiredAt})`;
        throw new UserError(
          `${what} is in use by ${who}`,
          `wait for it to finish or stop it; if no such process is running, delete ${path}`,
        );
      }
      // Stale: move it aside, and check that what moved is the stale lock we judged, not a fresh
      // one another process created after taking it over first.
      const aside = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
      try {
        renameSync(path, aside);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      const moved = readInfo(aside);
      if (moved && moved.text !== existing.text) {
        try {
          linkSync(aside, path); // put the other process's lock back
        } catch {
          // a third process got in; it holds the lock now
        }
      }
      unlinkSync(aside);
    }
    throw new UserError(`${what}: could not acquire ${path} (contended)`, 'try again');
  }

  /** Releases the lock if this process still holds it. Idempotent. */
  release(): void {
    if (held.get(this.path) !== this.info.token) return;
    held.delete(this.path);
    const r = readInfo(this.path);
    if (r?.info?.token === this.info.token) {
      try {
        unlinkSync(this.path);
      } catch {
        // already gone
      }
    }
  }

  get isHeld(): boolean {
    return held.get(this.path) === this.info.token;
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [path, token] of held) {
      try {
        if (readInfo(path)?.info?.token === token) unlinkSync(path);
      } catch {
        // best effort on the way out
      }
    }
    held.clear();
  });
}
