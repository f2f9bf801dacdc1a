/**
 * File-system failures as users' mistakes: a full disk, a read-only mount, a file where a directory
 * belongs, a permission, too many open files. Each Node fs error code becomes one UserError naming
 * the path and the fix, so the CLI prints one message instead of a stack trace.
 */
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UserError } from './errors.js';

/** Exit code of file-system failures (sysexits' EX_IOERR), distinct from bad flags (2) and bugs (70). */
export const FS_ERROR_EXIT_CODE = 74;

/** The fs error codes mapped here; anything else stays a bug report. */
export const FS_ERROR_CODES = [
  'ENOSPC',
  'EDQUOT',
  'EROFS',
  'EACCES',
  'EPERM',
  'ENOTDIR',
  'EISDIR',
  'EMFILE',
  'ENFILE',
  'ENAMETOOLONG',
  'EIO',
] as const;

type FsErrorCode = (typeof FS_ERROR_CODES)[number];

/** A Node fs error (or one wrapped as `cause`, at any depth) with one of the codes above. */
export function findFsError(error: unknown): NodeJS.ErrnoException | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && (FS_ERROR_CODES as readonly string[]).includes(code)) {
      return e as NodeJS.ErrnoException;
    }
    if (code === 'EEXIST' && isFileInTheWay(e as NodeJS.ErrnoException)) {
      // mkdir -p over a file: the same mistake as ENOTDIR further down the path
      return Object.assign(e, { code: 'ENOTDIR' }) as NodeJS.ErrnoException;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function isFileInTheWay(e: NodeJS.ErrnoException): boolean {
  return e.syscall === 'mkdir' && e.path !== undefined && fileInTheWay(e.path) !== undefined;
}

function kindOf(path: string): 'file' | 'dir' | 'other' | undefined {
  try {
    const s = statSync(path);
    return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : 'other';
  } catch {
    return undefined;
  }
}

/** The nearest ancestor of `path` (itself included) that exists but is not a directory. */
function fileInTheWay(path: string): string | undefined {
  for (let p = resolve(path); ; p = dirname(p)) {
    const kind = kindOf(p);
    if (kind === 'file' || kind === 'other') return p;
    if (kind === 'dir' || dirname(p) === p) return undefined;
  }
}

function describe(code: FsErrorCode, path: string, syscall: string | undefined): [string, string] {
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return [
        `no space left on the device holding ${path}${code === 'EDQUOT' ? ' (disk quota exceeded)' : ''}`,
        'free some space (or write to another disk: --runs-dir, --out) and run the same command again; ' +
          'finished work is kept and nothing was left half-written',
      ];
    case 'EROFS':
      return [
        `${path} is on a read-only file system`,
        'write somewhere writable: pass --runs-dir (or --out) a directory on a writable disk',
      ];
    case 'EACCES':
    case 'EPERM':
      return [
        `permission denied${syscall ? ` (${syscall})` : ''}: ${path}`,
        `make it writable for this user (e.g. chmod u+w ${kindOf(path) === undefined ? dirname(path) : path}), ` +
          'or pass --runs-dir (or --out) a directory you own',
      ];
    case 'ENOTDIR': {
      const file = fileInTheWay(path);
      return [
        file === undefined
          ? `${path}: not a directory`
          : `${file} is a file, not a directory${file === resolve(path) ? '' : ` (needed for ${path})`}`,
        file
          ? `pass a directory (--runs-dir, --out, --data-dir), or move ${file} out of the way`
          : 'pass a directory',
      ];
    }
    case 'EISDIR':
      return [
        `${path} is a directory, where a file was expected`,
        'pass a file path (e.g. --out model.onnx), or remove the directory',
      ];
    case 'EMFILE':
    case 'ENFILE':
      return [
        `too many open files (while opening ${path})`,
        'raise the limit (ulimit -n 4096) or run fewer ticketlab processes at once, then run the command again',
      ];
    case 'ENAMETOOLONG':
      return [`path too long: ${path}`, 'use a shorter --runs-dir, --out or run name'];
    case 'EIO':
      return [
        `input/output error on ${path} (the disk or network mount failed)`,
        'check the device (dmesg), then run the same command again',
      ];
  }
}

/**
 * The UserError for a file-system failure, or undefined if `error` is not one. `where` names the
 * path when the error has none (a write to an open file reports no path): the output directory of
 * the command, say.
 */
export function fsUserError(error: unknown, where?: string): UserError | undefined {
  if (error instanceof UserError) return undefined;
  const fsError = findFsError(error);
  if (!fsError) return undefined;
  // a rename's destination is the path the user named (the source is a temporary file beside it)
  const dest = (fsError as { dest?: string }).dest;
  const path = dest ?? fsError.path ?? where ?? '(path not reported)';
  const [message, fix] = describe(fsError.code as FsErrorCode, path, fsError.syscall);
  return new UserError(message, fix, FS_ERROR_EXIT_CODE);
}
