/**
 * Downloading a dataset into a data root (by default the per-user cache). Files are fetched from the
 * dataset's mirrors in turn, streamed to a staging directory inside the root while their md5 is
 * computed, checked against the registry's size and md5, and only then renamed into place, so a failed
 * or interrupted download never leaves a half-written file where ticketlab looks for data.
 * The fetch function and the mirror list are injectable (tests serve files from 127.0.0.1).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip as gunzipCallback } from 'node:zlib';
import { UserError } from '../util/errors.js';
import { readCifarBatch } from './cifar.js';
import { md5 } from './files.js';
import { extractCifarMembers } from './cifar-archive.js';
import { cacheRoot, datasetDir, readManifest } from './locate.js';
import type { CifarDatasetSpec, DatasetSpec, IdxDatasetSpec } from './registry.js';

const gunzip = promisify(gunzipCallback);

export type FetchFn = (url: string, init: RequestInit) => Promise<Response>;

export interface DownloadProgress {
  file: string;
  url: string;
  received: number;
  total: number;
}

export interface DownloadOptions {
  /** Data root to download into (default: the per-user cache). */
  root?: string;
  env?: NodeJS.ProcessEnv;
  /** Base URLs tried in turn (default: the dataset's public mirrors). */
  mirrors?: string[];
  /** Replaces the global fetch. */
  fetchFn?: FetchFn;
  /** Give up on a mirror after this long without receiving data (default 30 s). */
  idleTimeoutMs?: number;
  /** Download even when a verified copy is already in the root. */
  force?: boolean;
  onProgress?: (p: DownloadProgress) => void;
  /** One line per event (default: stderr). */
  log?: (line: string) => void;
}

export interface DownloadResult {
  dir: string;
  /** Files fetched, with the mirror that served each. */
  downloaded: { name: string; url: string; bytes: number }[];
  /** Files already present and verified. */
  skipped: string[];
  /** Every failed attempt, in order. */
  failures: { url: string; reason: string }[];
}

const defaultLog = (line: string) => process.stderr.write(`${line}\n`);

/** Downloads (the missing parts of) a dataset into `opts.root`; returns where it is. */
export async function downloadDataset(
  spec: DatasetSpec,
  opts: DownloadOptions = {},
): Promise<DownloadResult> {
  const root = opts.root ?? cacheRoot(opts.env);
  try {
    await mkdir(root, { recursive: true });
  } catch (error) {
    throw new UserError(
      `${spec.name}: cannot create the data directory ${root}: ${(error as Error).message}`,
      `make it writable, or download into another directory with --data-dir <dir> (or set XDG_CACHE_HOME)`,
    );
  }
  await removeStaleStaging(root);
  const dir = datasetDir(spec, root);
  const staging = await mkdtemp(join(root, `.staging-${spec.name}-${process.pid}-`));
  const result: DownloadResult = { dir, downloaded: [], skipped: [], failures: [] };
  // A copy of the mirror list: a mirror that serves one file well moves to the front for the next ones.
  const run = { ...opts, mirrors: [...(opts.mirrors ?? spec.mirrors)] };
  try {
    if (spec.format === 'idx') await downloadIdx(spec, dir, staging, run, result);
    else await downloadCifar(spec, dir, staging, run, result);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return result;
}

async function downloadIdx(
  spec: IdxDatasetSpec,
  dir: string,
  staging: string,
  opts: DownloadOptions,
  result: DownloadResult,
): Promise<void> {
  const staged: string[] = [];
  for (const file of Object.values(spec.files)) {
    const name = `${file.name}.gz`;
    if (!opts.force && (await fileMd5(join(dir, name))) === file.gzMd5) {
      result.skipped.push(name);
      continue;
    }
    if (!file.gzMd5 || !file.gzSize) throw new Error(`registry: ${spec.name}/${name} has no size or md5`);
    await fetchVerified(
      spec,
      name,
      join(staging, name),
      { size: file.gzSize, md5: file.gzMd5 },
      dir,
      opts,
      result,
    );
    staged.push(name);
  }
  await mkdir(dir, { recursive: true });
  for (const name of staged) await rename(join(staging, name), join(dir, name));
}

async function downloadCifar(
  spec: CifarDatasetSpec,
  dir: string,
  staging: string,
  opts: DownloadOptions,
  result: DownloadResult,
): Promise<void> {
  const names = [...spec.trainFiles, ...spec.testFiles].map((f) => f.name);
  if (!opts.force && (await cifarCopyIntact(dir, names))) {
    result.skipped.push(...names);
    return;
  }
  const { name, size, md5: want } = spec.archive;
  const archive = join(staging, name);
  await fetchVerified(spec, name, archive, { size, md5: want }, dir, opts, result);
  const tar = await gunzip(await readFile(archive));
  const members = extractCifarMembers(
    spec,
    archive,
    new Uint8Array(tar.buffer, tar.byteOffset, tar.byteLength),
  );
  await rm(archive);
  const sums: string[] = [];
  for (const member of names) {
    const data = members.get(member)!;
    readCifarBatch(spec.name, `${name}:${spec.archive.memberDir}/${member}`, data, {
      records: spec.recordsPerFile,
      classes: spec.classes,
    });
    await writeFile(join(staging, member), data);
    sums.push(`${md5(data)}  ${member}\n`);
  }
  await writeFile(join(staging, 'MD5SUMS'), sums.join(''));
  await mkdir(dir, { recursive: true });
  // The checksum list goes last: a copy without it is reported as unverified, never trusted by mistake.
  await rm(join(dir, 'MD5SUMS'), { force: true });
  for (const member of names) await rename(join(staging, member), join(dir, member));
  await rename(join(staging, 'MD5SUMS'), join(dir, 'MD5SUMS'));
  opts.log?.(`${spec.name}: extracted ${names.length} batch files into ${dir}`);
}

/** True when `dir` holds every CIFAR batch file and each matches the MD5SUMS ticketlab wrote. */
async function cifarCopyIntact(dir: string, names: string[]): Promise<boolean> {
  const manifest = readManifest(dir);
  if (!manifest) return false;
  for (const n of names) {
    if (!manifest[n] || (await fileMd5(join(dir, n))) !== manifest[n]) return false;
  }
  return true;
}

async function fileMd5(path: string): Promise<string | undefined> {
  if (!existsSync(path)) return undefined;
  try {
    return md5(await readFile(path));
  } catch {
    return undefined;
  }
}

/**
 * Fetches `name` from each mirror in turn into `dest` until one serves the expected bytes. Every byte
 * goes through the md5 as it arrives; a wrong size or md5 discards the file and moves on.
 */
async function fetchVerified(
  spec: DatasetSpec,
  name: string,
  dest: string,
  expect: { size: number; md5: string },
  finalDir: string,
  opts: DownloadOptions,
  result: DownloadResult,
): Promise<void> {
  const log = opts.log ?? defaultLog;
  const fetchFn: FetchFn = opts.fetchFn ?? ((url, init) => fetch(url, init));
  const mirrors = opts.mirrors ?? spec.mirrors;
  const idle = opts.idleTimeoutMs ?? 30_000;
  const urls = mirrors.map((m) => (m.endsWith('/') ? m : `${m}/`) + name);
  const failures: { url: string; reason: string }[] = [];
  for (const [i, url] of urls.entries()) {
    log(`${spec.name}: downloading ${url} (${formatBytes(expect.size)})`);
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => controller.abort(new Error(`no data for ${idle / 1000} s`)), idle);
    };
    const tmp = `${dest}.part`;
    try {
      arm();
      const response = await fetchFn(url, {
        signal: controller.signal,
        headers: { 'accept-encoding': 'identity' },
        redirect: 'follow',
      });
      if (!response.ok || !response.body) {
        await response.body?.cancel().catch(() => undefined);
        throw new Error(`HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
      }
      const declared = Number(response.headers.get('content-length') ?? NaN);
      if (
        Number.isFinite(declared) &&
        declared !== expect.size &&
        !response.headers.get('content-encoding')
      ) {
        await response.body.cancel().catch(() => undefined);
        throw new Error(`the server offers ${declared} bytes, expected ${expect.size}`);
      }
      const hash = createHash('md5');
      const out = await open(tmp, 'w');
      let received = 0;
      try {
        for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
          arm();
          received += chunk.length;
          if (received > expect.size) throw new Error(`received more than the expected ${expect.size} bytes`);
          hash.update(chunk);
          await out.write(chunk);
          opts.onProgress?.({ file: name, url, received, total: expect.size });
        }
      } finally {
        await out.close();
      }
      if (received !== expect.size) throw new Error(`received ${received} bytes, expected ${expect.size}`);
      const got = hash.digest('hex');
      if (got !== expect.md5) throw new Error(`corrupt download: md5 ${got}, expected ${expect.md5}`);
      await rename(tmp, dest);
      result.downloaded.push({ name, url, bytes: received });
      if (opts.mirrors && i > 0) opts.mirrors.unshift(...opts.mirrors.splice(i, 1));
      log(`${spec.name}: ${name}: ${formatBytes(received)}, md5 verified`);
      return;
    } catch (error) {
      const reason = describeFetchError(error, controller.signal);
      failures.push({ url, reason });
      result.failures.push({ url, reason });
      log(
        `${spec.name}: ${url} failed: ${reason}${url === urls[urls.length - 1] ? '' : '; trying the next mirror'}`,
      );
    } finally {
      clearTimeout(timer);
      await rm(tmp, { force: true });
    }
  }
  throw new UserError(
    `${spec.name}: could not download ${name}: ` +
      (failures.length === 0
        ? 'no mirrors configured'
        : `every mirror failed (${failures.map((f) => `${f.url}: ${f.reason}`).join('; ')})`),
    `check the network connection (and HTTPS_PROXY), or fetch ${name} yourself from ${urls[0] ?? spec.homepage} ` +
      `into ${finalDir} and run \`ticketlab datasets verify ${spec.name}\``,
  );
}

function describeFetchError(error: unknown, signal: AbortSignal): string {
  if (signal.aborted && signal.reason instanceof Error) return signal.reason.message;
  const e = error as Error & { cause?: { code?: string; message?: string } };
  if (e.cause?.code) return `${e.message} (${e.cause.code})`;
  if (e.cause?.message) return `${e.message} (${e.cause.message})`;
  return e.message ?? String(error);
}

function formatBytes(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

/** Removes staging directories left behind by downloads whose process has gone (killed mid-download). */
async function removeStaleStaging(root: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch {
    return;
  }
  for (const entry of entries) {
    const m = /^\.staging-.+-(\d+)-[^-]+$/.exec(entry);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || isAlive(pid)) continue;
    await rm(join(root, entry), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
