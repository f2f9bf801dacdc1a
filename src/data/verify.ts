/**
 * Verification reports for `ticketlab datasets list` and `verify`: which copy of each dataset would be
 * used, and whether each of its files is the official one. A file whose md5 matches is accepted without
 * decoding; any other file is decoded and checked so that the report says what exactly is wrong.
 */
import { basename } from 'node:path';
import { UserError } from '../util/errors.js';
import { readCifarBatch } from './cifar.js';
import { checkChecksum, md5, readDataFile, readRaw, type CheckedBy } from './files.js';
import { parseIdx, type IdxKind } from './idx.js';
import { checkArchive, extractCifarMembers } from './cifar-archive.js';
import {
  incompleteError,
  locate,
  notFoundError,
  type LocateOptions,
  type Origin,
  type Probe,
} from './locate.js';
import type { CifarDatasetSpec, DatasetSpec, FileSpec, IdxDatasetSpec } from './registry.js';

export interface FileReport {
  role: string;
  path: string;
  bytes?: number;
  md5?: string;
  ok: boolean;
  checkedBy?: CheckedBy;
  error?: UserError;
}

export interface DatasetReport {
  spec: DatasetSpec;
  status: 'verified' | 'failed' | 'incomplete' | 'not found' | 'found';
  origin?: Origin;
  dir?: string;
  files: FileReport[];
  probes: Probe[];
  /** The first problem, ready to show the user. */
  error?: UserError;
}

/** Locates a dataset and (with `verify`, the default) checks every file of the copy that would be used. */
export async function verifyDataset(
  spec: DatasetSpec,
  opts: LocateOptions & { verify?: boolean } = {},
): Promise<DatasetReport> {
  const { located, incomplete, probes } = locate(spec, opts);
  if (!located) {
    if (incomplete) {
      return {
        spec,
        status: 'incomplete',
        origin: incomplete.root.origin,
        dir: incomplete.dir,
        files: [
          ...incomplete.present.map((path) => ({ role: 'present', path, ok: true })),
          ...incomplete.missing.map((m) => ({
            role: 'missing',
            path: m.tried[0],
            ok: false,
            error: new UserError(`missing: ${m.tried[0]}`),
          })),
        ],
        probes,
        error: incompleteError(spec, incomplete),
      };
    }
    return { spec, status: 'not found', files: [], probes, error: notFoundError(spec, probes) };
  }
  const report: DatasetReport = {
    spec,
    status: 'found',
    origin: located.origin,
    dir: located.dir,
    files: [],
    probes,
  };
  if (opts.verify === false) return report;
  const files = located.files;
  if (files.format === 'idx') {
    const s = spec as IdxDatasetSpec;
    const items: [string, string, FileSpec, IdxKind, number][] = [
      ['train images', files.trainImages, s.files.trainImages, 'images', s.trainCount],
      ['train labels', files.trainLabels, s.files.trainLabels, 'labels', s.trainCount],
      ['test images', files.testImages, s.files.testImages, 'images', s.testCount],
      ['test labels', files.testLabels, s.files.testLabels, 'labels', s.testCount],
    ];
    for (const [role, path, fileSpec, kind, count] of items) {
      report.files.push(await verifyIdxFile(s, role, path, fileSpec, kind, count));
    }
  } else if (files.format === 'cifar') {
    const s = spec as CifarDatasetSpec;
    const all = [
      ...files.train.map((p, i) => ['train batch', p, s.trainFiles[i]] as const),
      ...files.test.map((p, i) => ['test batch', p, s.testFiles[i]] as const),
    ];
    for (const [role, path, fileSpec] of all) {
      report.files.push(await verifyCifarFile(s, role, path, fileSpec, files.manifest?.[fileSpec.name]));
    }
  } else {
    report.files.push(await verifyArchive(spec as CifarDatasetSpec, files.archive));
  }
  const bad = report.files.find((f) => !f.ok);
  report.status = bad ? 'failed' : 'verified';
  report.error = bad?.error;
  return report;
}

async function guarded(
  role: string,
  path: string,
  body: (r: FileReport) => Promise<void>,
): Promise<FileReport> {
  const report: FileReport = { role, path, ok: false };
  try {
    await body(report);
    report.ok = true;
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    report.error = error;
  }
  return report;
}

async function verifyIdxFile(
  spec: IdxDatasetSpec,
  role: string,
  path: string,
  fileSpec: FileSpec,
  kind: IdxKind,
  count: number,
): Promise<FileReport> {
  return guarded(role, path, async (r) => {
    const disk = await readRaw(spec.name, path);
    r.bytes = disk.length;
    r.md5 = md5(disk);
    if (fileSpec.gzMd5 && r.md5 === fileSpec.gzMd5 && disk.length === fileSpec.gzSize) {
      r.checkedBy = 'md5 (.gz)';
      return;
    }
    if (fileSpec.rawMd5 && r.md5 === fileSpec.rawMd5 && disk.length === fileSpec.rawSize) {
      r.checkedBy = 'md5 (content)';
      return;
    }
    // Not byte-identical to the official file: decode it to say what is wrong (or accept a recompressed copy).
    const file = await readDataFile(spec.name, path, { expectedDiskSize: fileSpec.gzSize });
    file.diskMd5 = r.md5;
    const parsed = parseIdx(spec.name, path, file.raw, kind);
    if (parsed.dims[0] !== count) {
      throw new UserError(
        `${spec.name}: ${path} holds ${parsed.dims[0]} ${kind}, expected ${count}`,
        `this is not the official ${basename(path)}: delete it and run \`ticketlab datasets download ${spec.name}\``,
      );
    }
    r.checkedBy = checkChecksum(spec.name, file, fileSpec);
  });
}

async function verifyCifarFile(
  spec: CifarDatasetSpec,
  role: string,
  path: string,
  fileSpec: FileSpec,
  manifestMd5: string | undefined,
): Promise<FileReport> {
  return guarded(role, path, async (r) => {
    const file = await readDataFile(spec.name, path, {
      hash: true,
      expectedDiskSize: fileSpec.gzSize,
      expectedRawSize: fileSpec.rawSize,
    });
    r.bytes = file.disk.length;
    r.md5 = file.diskMd5;
    readCifarBatch(spec.name, path, file.raw, { records: spec.recordsPerFile, classes: spec.classes });
    r.checkedBy = checkChecksum(spec.name, file, fileSpec, manifestMd5);
  });
}

async function verifyArchive(spec: CifarDatasetSpec, path: string): Promise<FileReport> {
  return guarded('archive', path, async (r) => {
    const disk = await readRaw(spec.name, path);
    r.bytes = disk.length;
    r.md5 = md5(disk);
    if (r.md5 === spec.archive.md5 && disk.length === spec.archive.size) {
      r.checkedBy = 'md5 (.gz)';
      return;
    }
    const file = await readDataFile(spec.name, path, { expectedDiskSize: spec.archive.size });
    file.diskMd5 = r.md5;
    const members = extractCifarMembers(spec, path, file.raw);
    for (const f of [...spec.trainFiles, ...spec.testFiles]) {
      readCifarBatch(spec.name, `${path}:${spec.archive.memberDir}/${f.name}`, members.get(f.name)!, {
        records: spec.recordsPerFile,
        classes: spec.classes,
      });
    }
    r.checkedBy = checkArchive(spec, file);
  });
}
