/**
 * The official CIFAR-10 tarball: its checksum and the batch files inside it. Shared by loading,
 * downloading (which unpacks the tarball into the cache) and verification, so it sits below all three.
 */
import { basename } from 'node:path';
import { UserError } from '../util/errors.js';
import { tarEntries } from './cifar.js';
import { fixFor, formatError, md5, type CheckedBy, type DecodedFile } from './files.js';
import type { CifarDatasetSpec } from './registry.js';

/** Checks the tarball's own md5 (the only checksum the CIFAR-10 authors publish). */
export function checkArchive(spec: CifarDatasetSpec, file: DecodedFile): CheckedBy {
  const got = file.diskMd5 ?? md5(file.disk);
  if (got === spec.archive.md5 && file.disk.length === spec.archive.size) return 'md5 (.gz)';
  throw new UserError(
    `${spec.name}: ${file.path} has the wrong checksum: expected md5 ${spec.archive.md5} ` +
      `(${spec.archive.size} bytes), found ${got} (${file.disk.length} bytes)`,
    fixFor(spec.name, file.path),
  );
}

/** The batch files inside a decompressed CIFAR-10 tarball, by file name. */
export function extractCifarMembers(
  spec: CifarDatasetSpec,
  path: string,
  tar: Uint8Array,
): Map<string, Uint8Array> {
  const wanted = new Set([...spec.trainFiles, ...spec.testFiles].map((f) => f.name));
  const out = new Map<string, Uint8Array>();
  try {
    for (const entry of tarEntries(tar)) {
      const name = basename(entry.name);
      if (wanted.has(name) && entry.name.endsWith(`${spec.archive.memberDir}/${name}`))
        out.set(name, entry.data);
    }
  } catch (error) {
    throw formatError(
      spec.name,
      path,
      'a valid tar archive',
      'well-formed tar headers',
      (error as Error).message,
    );
  }
  const missing = [...wanted].filter((n) => !out.has(n));
  if (missing.length > 0) {
    throw formatError(
      spec.name,
      path,
      `the ${spec.title} tarball`,
      `members ${spec.archive.memberDir}/${missing[0]}` +
        (missing.length > 1 ? ` and ${missing.length - 1} more` : ''),
      `an archive without ${missing.length === 1 ? 'it' : 'them'}`,
    );
  }
  return out;
}
