/**
 * A lease on one unit of work: a file holding JSON `{ pid, hostname, token, acquiredAt, expiresAt }`,
 * created atomically with its content (a temporary file hard-linked into place, which fails if the
 * lease exists). Its holder renews it (moves `expiresAt` forward) from a heartbeat timer while it
 * works; several processes, on one host or many hosts sharing the run store, can then work on the
 * units of one run without two of them working on the same unit.
 *
 * A lease is stale, and is taken over, when it expired (judged by any host's clock), when its holder
 * is a dead pid on this host, or when it is our own pid but not a lease this process holds (pid reuse
 * across container restarts). Concurrent takeovers are arbitrated as for run locks: the stale file is
 * renamed away and what was renamed is compared with what was judged stale; a lease renewed or taken
 * meanwhile is put back.
 *
 * A holder that cannot renew (its lease was taken over after it expired, e.g. a process stopped for
 * longer than the lease's time to live) learns so from `renew()` or `lost`, and must stop writing.
 */
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { pidAlive, tempPathFor } from './atomic.js';

export interface LeaseInfo {
  pid: number;
  hostname: string;
  token: string;
  acquiredAt: string;
  /** Milliseconds since the epoch after which the lease is stale unless renewed. */
  expiresAt: number;
}

export type LeaseState = { state: 'free' } | { state: 'held' | 'stale'; info: LeaseInfo | null };

export interface LeaseOptions {
  /** How long a lease lives without renewal (ms). Default 60 s. */
  ttlMs?: number;
  /** How often the heartbeat renews it (ms). Default a quarter of the time to live. */
  renewEveryMs?: number;
}

export const DEFAULT_LEASE_TTL_MS = 60_000;

/** Lease paths held by this process, with their tokens. */
const held = new Map<string, string>();
let exitHookInstalled = false;

function readLease(path: string): { text: string; info: LeaseInfo | null } | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const v = JSON.parse(text) as LeaseInfo;
    if (
      Number.isInteger(v.pid) &&
      typeof v.hostname === 'string' &&
      typeof v.token === 'string' &&
      Number.isFinite(v.expiresAt)
    ) {
      return { text, info: v };
    }
  } catch {
    // unreadable lease: treated as stale
  }
  return { text, info: null };
}

function isLive(path: string, info: LeaseInfo | null, now = Date.now()): boolean {
  if (!info) return false;
  if (info.expiresAt < now) return false;
  if (info.hostname !== hostname()) return true; // its pid cannot be checked here; the expiry decides
  if (info.pid === process.pid) return held.get(path) === info.token;
  return pidAlive(info.pid);
}

/** Whether the lease at `path` is free, held by a live holder, or stale. */
export function inspectLease(path: string): LeaseState {
  const r = readLease(path);
  if (!r) return { state: 'free' };
  return { state: isLive(path, r.info) ? 'held' : 'stale', info: r.info };
}

export class Lease {
  private timer: NodeJS.Timeout | null = null;
  private lostFlag = false;
  readonly ttlMs: number;

  private constructor(
    readonly path: string,
    private info: LeaseInfo,
    private readonly options: LeaseOptions,
  ) {
    this.ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  }

  /**
   * Takes the lease at `path`, taking over a stale one; returns null when a live holder has it.
   * The heartbeat starts at once; `release()` stops it.
   */
  static tryAcquire(path: string, options: LeaseOptions = {}): Lease | null {
    const ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
    for (let attempt = 0; attempt < 10; attempt++) {
      const info: LeaseInfo = {
        pid: process.pid,
        hostname: hostname(),
        token: randomBytes(8).toString('hex'),
        acquiredAt: new Date().toISOString(),
        expiresAt: Date.now() + ttlMs,
      };
      const tmp = tempPathFor(path);
      writeFileSync(tmp, `${JSON.stringify(info)}\n`, { flag: 'wx' });
      try {
        linkSync(tmp, path);
        held.set(path, info.token);
        installExitHook();
        const lease = new Lease(path, info, options);
        lease.startHeartbeat();
        return lease;
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
      const existing = readLease(path);
      if (!existing) continue; // released meanwhile
      if (isLive(path, existing.info)) return null;
      takeStaleAway(path, existing.text);
    }
    return null; // contended: someone else keeps getting it first
  }

  get token(): string {
    return this.info.token;
  }

  get expiresAt(): number {
    return this.info.expiresAt;
  }

  /** True once a renewal found the lease taken over (or released): stop writing the unit. */
  get lost(): boolean {
    return this.lostFlag || held.get(this.path) !== this.info.token;
  }

  /**
   * Moves the expiry forward. Returns false (and the lease is lost) if the file no longer holds our
   * token: another process took the lease over after it expired.
   */
  renew(): boolean {
    if (this.lost) return false;
    const current = readLease(this.path);
    if (current?.info?.token !== this.info.token) {
      this.markLost();
      return false;
    }
    const next: LeaseInfo = { ...this.info, expiresAt: Date.now() + this.ttlMs };
    const tmp = tempPathFor(this.path);
    try {
      writeFileSync(tmp, `${JSON.stringify(next)}\n`, { flag: 'wx' });
      renameSync(tmp, this.path);
      this.info = next;
      return true;
    } catch {
      try {
        unlinkSync(tmp);
      } catch {
        // never created
      }
      return !this.lost; // a failed renewal is retried by the next heartbeat
    }
  }

  /** Gives the lease up if this process still holds it. Idempotent. */
  release(): void {
    this.stopHeartbeat();
    if (held.get(this.path) !== this.info.token) return;
    held.delete(this.path);
    if (readLease(this.path)?.info?.token === this.info.token) {
      try {
        unlinkSync(this.path);
      } catch {
        // already gone
      }
    }
  }

  private markLost(): void {
    this.lostFlag = true;
    if (held.get(this.path) === this.info.token) held.delete(this.path);
    this.stopHeartbeat();
  }

  private startHeartbeat(): void {
    const every = this.options.renewEveryMs ?? Math.max(1, Math.floor(this.ttlMs / 4));
    // unref: a heartbeat alone never keeps the process alive
    this.timer = setInterval(() => this.renew(), every).unref();
  }

  private stopHeartbeat(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/** Moves a stale lease aside; puts it back if what moved is not the file judged stale. */
function takeStaleAway(path: string, judgedText: string): void {
  const aside = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
  try {
    renameSync(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = readLease(aside);
  if (moved && moved.text !== judgedText) {
    try {
      linkSync(aside, path); // renewed or taken meanwhile: put it back
    } catch {
      // a third process got in; it holds the lease now
    }
  }
  unlinkSync(aside);
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [path, token] of held) {
      try {
        if (readLease(path)?.info?.token === token) unlinkSync(path);
      } catch {
        // best effort on the way out
      }
    }
    held.clear();
  });
}
