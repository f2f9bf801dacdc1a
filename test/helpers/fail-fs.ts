/**
 * Loaded with `node --import tsx --import ./test/helpers/fail-fs.ts …` to make writes fail as a full
 * disk or a read-only mount does, without root or a real small file system:
 *
 *   FAIL_FS_UNDER=<dir>   writes to files under <dir> fail (reads still work)
 *   FAIL_FS_CODE=ENOSPC   the error code thrown (ENOSPC, EROFS, EACCES, EIO, …)
 *   FAIL_FS_MATCH=<re>    only files whose path matches (default: every file)
 *   FAIL_FS_AFTER=<n>     let the first n matching files be written first (default 0)
 *
 * ENOSPC fails the write() of an already opened file, with no path, as the kernel reports it;
 * the other codes fail the open(). Node's built-in ESM named exports are updated by
 * syncBuiltinESMExports, so `import { writeSync } from 'node:fs'` sees the patched functions.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { resolve } from 'node:path';

const under = process.env.FAIL_FS_UNDER ? resolve(process.env.FAIL_FS_UNDER) : undefined;
const code = process.env.FAIL_FS_CODE ?? 'ENOSPC';
const match = process.env.FAIL_FS_MATCH ? new RegExp(process.env.FAIL_FS_MATCH) : undefined;
let allowance = Number(process.env.FAIL_FS_AFTER ?? 0);

const MESSAGES: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EIO: 'i/o error',
};

function fsError(syscall: string, path?: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(
    `${code}: ${MESSAGES[code] ?? code}, ${syscall}${path ? ` '${path}'` : ''}`,
  );
  error.code = code;
  error.syscall = syscall;
  if (path) error.path = path;
  return error;
}

function targeted(path: unknown): boolean {
  if (!under || typeof path !== 'string') return false;
  const p = resolve(path);
  if (!p.startsWith(`${under}/`) && p !== under) return false;
  if (match && !match.test(p)) return false;
  if (allowance > 0) {
    allowance--;
    return false;
  }
  return true;
}

const writing = (flags: unknown) => typeof flags === 'string' && /[wax+]/.test(flags);
const doomed = new Set<number>();

const { openSync, writeSync, closeSync, writeFileSync } = fs;
fs.openSync = ((path: fs.PathLike, flags?: fs.OpenMode, mode?: fs.Mode) => {
  const hit = writing(flags) && targeted(path);
  if (hit && code !== 'ENOSPC') throw fsError('open', String(path));
  const fd = openSync(path, flags ?? 'r', mode);
  if (hit) doomed.add(fd);
  return fd;
}) as typeof fs.openSync;
fs.writeSync = ((fd: number, ...rest: unknown[]) => {
  if (doomed.has(fd)) throw fsError('write');
  return (writeSync as (...a: unknown[]) => number)(fd, ...rest);
}) as typeof fs.writeSync;
fs.closeSync = ((fd: number) => {
  doomed.delete(fd);
  return closeSync(fd);
}) as typeof fs.closeSync;
fs.writeFileSync = ((path: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
  if (targeted(path))
    throw fsError(code === 'ENOSPC' ? 'write' : 'open', code === 'ENOSPC' ? undefined : String(path));
  return (writeFileSync as (...a: unknown[]) => void)(path, ...rest);
}) as typeof fs.writeFileSync;
syncBuiltinESMExports();
