/**
 * Reading one data file: gzip or raw, md5 via node:crypto, and the user-facing errors for the ways a
 * file goes wrong (missing, truncated, corrupt, wrong checksum). Every error names the file, what was
 * expected, what was found and how to fix it.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip as gunzipCallback } from 'node:zlib';
import { UserError } from '../util/errors.js';
import type { FileSpec } from './registry.js';

const gunzip = promisify(gunzipCallback);

export function md5(data: Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The usual remedy for a bad file of `dataset`. */
export function fixFor(dataset: string, path?: string): string {
  const remove = path ? `delete ${path} and ` : '';
  return (
    `${remove}run \`ticketlab datasets download ${dataset}\` to fetch a verified copy, ` +
    `or point --data-dir / TICKETLAB_DATA at a good copy`
  );
}

export function missingFileError(dataset: string, path: string, alsoTried: string[] = []): UserError {
  const others = alsoTried.length > 0 ? ` (also looked for ${alsoTried.join(', ')})` : '';
  return new UserError(
    `${dataset}: file not found: ${path}${others}`,
    `run \`ticketlab datasets download ${dataset}\`, or put the official file there ` +
      `(\`ticketlab datasets list\` shows where ticketlab looks)`,
  );
}

export function truncatedError(dataset: string, path: string, expected: string, found: string): UserError {
  return new UserError(
    `${dataset}: ${path} is truncated: expected ${expected}, found ${found}`,
    fixFor(dataset, path),
  );
}

export function formatError(dataset: string, path: string, what: string, expected: string, found: string) {
  return new UserError(
    `${dataset}: ${path} is not ${what}: expected ${expected}, found ${found}`,
    fixFor(dataset, path),
  );
}

/** A file as read from disk, decompressed when it is gzip (detected by its magic bytes, not its name). */
export interface DecodedFile {
  path: string;
  /** The bytes on disk. */
  disk: Uint8Array;
  compressed: boolean;
  /** The content: decompressed bytes, or `disk` itself. */
  raw: Uint8Array;
  /** md5 of `disk`, when computed. */
  diskMd5?: string;
}

export async function readRaw(dataset: string, path: string): Promise<Uint8Array> {
  try {
    const buf = await readFile(path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw missingFileError(dataset, path);
    if (code === 'EISDIR') throw new UserError(`${dataset}: ${path} is a directory, expected a data file`);
    if (code === 'EACCES' || code === 'EPERM') {
      throw new UserError(`${dataset}: cannot read ${path}: permission denied`, `make the file readable`);
    }
    throw new UserError(`${dataset}: cannot read ${path}: ${(error as Error).message}`);
  }
}

/**
 * Reads and (if gzip) decompresses a file. With `hash`, the md5 of the on-disk bytes is computed while
 * zlib decompresses on the thread pool. `expectedDiskSize` only improves the message for a cut-off file;
 * `expectedRawSize` sizes zlib's output buffer.
 */
export async function readDataFile(
  dataset: string,
  path: string,
  opts: { hash?: boolean; expectedDiskSize?: number; expectedRawSize?: number } = {},
): Promise<DecodedFile> {
  const disk = await readRaw(dataset, path);
  if (!isGzip(disk)) {
    return { path, disk, compressed: false, raw: disk, diskMd5: opts.hash ? md5(disk) : undefined };
  }
  // One output chunk of the expected size: zlib then writes straight into it (about 2× faster than the
  // default 16 kB chunks, which are concatenated at the end).
  const hint = opts.expectedRawSize;
  const zopts = hint && hint > 0 && hint < 2 ** 30 ? { chunkSize: Math.max(hint + 1, 64 * 1024) } : {};
  const pending = gunzip(disk, zopts).then(
    (buf) => ({ buf, error: undefined }),
    (error: unknown) => ({ buf: undefined, error: error as NodeJS.ErrnoException }),
  );
  const diskMd5 = opts.hash ? md5(disk) : undefined;
  const { buf, error } = await pending;
  if (!buf) {
    const official = opts.expectedDiskSize;
    const endsEarly = error?.code === 'Z_BUF_ERROR' || /unexpected end/i.test(error?.message ?? '');
    if (official ? disk.length < official : endsEarly) {
      throw truncatedError(
        dataset,
        path,
        official ? `${official} bytes of gzip data` : 'a complete gzip stream',
        `${disk.length} bytes, and the gzip stream ends early`,
      );
    }
    throw formatError(
      dataset,
      path,
      'valid gzip data',
      'a gzip stream that decompresses cleanly',
      `a damaged stream (zlib: ${error?.message ?? 'unknown error'})`,
    );
  }
  return {
    path,
    disk,
    compressed: true,
    raw: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength),
    diskMd5,
  };
}

/** How a file was found to be the right one. */
export type CheckedBy = 'md5 (.gz)' | 'md5 (content)' | 'md5 (MD5SUMS)' | 'size + structure';

/**
 * Checks a decoded file's checksum against the registry (or a manifest md5 of its content). Throws a
 * UserError naming both the expected and the found md5 when neither the file nor its content matches.
 */
export function checkChecksum(
  dataset: string,
  file: DecodedFile,
  spec: FileSpec,
  manifestMd5?: string,
): CheckedBy {
  if (file.compressed && spec.gzMd5 && file.disk.length === spec.gzSize) {
    const diskMd5 = file.diskMd5 ?? md5(file.disk);
    if (diskMd5 === spec.gzMd5) return 'md5 (.gz)';
  }
  const wantContent = spec.rawMd5 ?? manifestMd5;
  if (!wantContent) return 'size + structure';
  const rawMd5 = !file.compressed && file.diskMd5 ? file.diskMd5 : md5(file.raw);
  if (rawMd5 === spec.rawMd5) return 'md5 (content)';
  if (manifestMd5 && rawMd5 === manifestMd5) return 'md5 (MD5SUMS)';
  const expected: string[] = [];
  const found: string[] = [];
  if (file.compressed && spec.gzMd5) {
    expected.push(`md5 ${spec.gzMd5} for the .gz file (${spec.gzSize} bytes)`);
    found.push(`${file.diskMd5 ?? md5(file.disk)} (${file.disk.length} bytes)`);
  }
  expected.push(`md5 ${wantContent} for the content (${spec.rawSize} bytes)`);
  found.push(`${rawMd5} (${file.raw.length} bytes)`);
  throw new UserError(
    `${dataset}: ${file.path} has the wrong checksum: expected ${expected.join(' or ')}, found ${found.join(' and ')}` +
      (spec.rawMd5 ? '' : ' (md5 recorded in MD5SUMS when ticketlab extracted it)'),
    fixFor(dataset, file.path),
  );
}
