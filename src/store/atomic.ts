/**
 * Crash-safe files. A file written here is either its old complete content or its new complete
 * content, never half of either: data goes to a temporary file in the same directory, is fsynced,
 * and is renamed over the target (rename is atomic within a file system); then the directory is
 * fsynced so the rename itself survives a power cut. All functions are synchronous.
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { ZodType } from 'zod';
import { UserError } from '../util/errors.js';

/** Temporary files are named `.<target>.<pid>.<random>.tmp`. */
const TEMP_RE = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/;

export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Atomically replaces `path` with `data` (a string is written as UTF-8; an array of chunks is
 * written in order without concatenating). Creates the parent directory if needed. On failure the
 * temporary file is removed and `path` is untouched. `verify` checks the written temporary file (by
 * its path) before it takes `path`'s place, throwing to keep `path` as it was (a verified copy).
 */
export function writeFileAtomic(
  path: string,
  data: string | Uint8Array | readonly Uint8Array[],
  options: { verify?: (writtenPath: string) => void } = {},
): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = tempPathFor(path);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx');
    const chunks =
      typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data;
    for (const chunk of chunks) {
      let off = 0;
      while (off < chunk.byteLength) off += writeSync(fd, chunk, off, chunk.byteLength - off);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    options.verify?.(tmp);
    renameSync(tmp, path);
  } catch (error) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // already failing; the original error is the one to report
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or already gone
    }
    throw error;
  }
  fsyncDir(dir);
}

/** `writeFileAtomic` of `JSON.stringify(value, null, 2)` plus a newline. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // some platforms and file systems cannot fsync a directory; the rename is still atomic
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Reads and parses a JSON file, optionally validating it with a zod schema. A missing file, bad
 * JSON, or a schema mismatch is a UserError that names the file.
 */
export function readJson<T = unknown>(path: string, schema?: ZodType<T>): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError(`${path} does not exist`);
    throw new UserError(`cannot read ${path}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UserError(
      `${path} is corrupt: not valid JSON (${(error as Error).message})`,
      `restore ${path} from a backup, or delete it (for a run directory, delete the unit or run so it is recomputed)`,
    );
  }
  if (!schema) return value as T;
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
      .join('; ');
    throw new UserError(
      `${path} does not have the expected contents: ${issues}`,
      `restore or delete ${path}`,
    );
  }
  return parsed.data;
}

/**
 * Removes temporary files left in `dir` (recursively) by writers that died mid-write: those whose
 * pid is not running, or all of them if `all` (when the caller holds a lock that excludes every
 * other writer). With `olderThanMs`, only files not modified for that long: a directory shared by
 * several hosts holds other hosts' files in flight, whose pids mean nothing here. Returns the paths
 * removed (with `dryRun`, those that would be, removing nothing).
 */
export function removeStaleTempFiles(dir: string, all = false, olderThanMs = 0, dryRun = false): string[] {
  const removed: string[] = [];
  const walk = (d: string): void => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        walk(p);
        continue;
      }
      const m = TEMP_RE.exec(e.name);
      if (!m) continue;
      const pid = Number(m[1]);
      if (all || (pid !== process.pid && !pidAlive(pid) && untouchedFor(p, olderThanMs))) {
        if (dryRun) {
          removed.push(p);
          continue;
        }
        try {
          unlinkSync(p);
          removed.push(p);
        } catch {
          // raced with another cleaner
        }
      }
    }
  };
  walk(dir);
  return removed;
}

function untouchedFor(path: string, ms: number): boolean {
  if (ms <= 0) return true;
  try {
    return Date.now() - statSync(path).mtimeMs >= ms;
  } catch {
    return false; // gone already
  }
}

/** Whether a process with this pid exists on this machine (EPERM counts as alive). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
