/**
 * The CIFAR-10 binary format (https://www.cs.toronto.edu/~kriz/cifar.html): files of records of
 * 1 label byte (0–9) + 3072 pixel bytes (1024 red, 1024 green, 1024 blue, each 32×32 row-major),
 * so each record is already CHW. Also a small reader for the official tarball (ustar/GNU tar).
 */
import { formatError, truncatedError } from './files.js';

export const CIFAR_PIXELS = 3 * 32 * 32;
export const CIFAR_RECORD = 1 + CIFAR_PIXELS;

/**
 * Checks one batch file's length and labels and copies its records into `images`/`labels` starting at
 * record `offset`. Returns the number of records.
 */
export function readCifarBatch(
  dataset: string,
  path: string,
  raw: Uint8Array,
  opts: { records: number; classes: number; images?: Uint8Array; labels?: Uint8Array; offset?: number },
): number {
  const expected = opts.records * CIFAR_RECORD;
  if (raw.length < expected) {
    const whole = Math.floor(raw.length / CIFAR_RECORD);
    throw truncatedError(
      dataset,
      path,
      `${expected} bytes (${opts.records} records of 1 label byte + ${CIFAR_PIXELS} pixel bytes)`,
      `${raw.length} bytes (${whole} whole record${whole === 1 ? '' : 's'})`,
    );
  }
  if (raw.length > expected) {
    throw formatError(
      dataset,
      path,
      'a CIFAR-10 binary batch',
      `${expected} bytes (${opts.records} records of ${CIFAR_RECORD} bytes)`,
      `${raw.length} bytes` +
        (raw.length % (CIFAR_RECORD + 1) === 0 ? ' (records of 3074 bytes: the CIFAR-100 format?)' : ''),
    );
  }
  const offset = opts.offset ?? 0;
  for (let r = 0; r < opts.records; r++) {
    const at = r * CIFAR_RECORD;
    const label = raw[at];
    if (label >= opts.classes) {
      throw formatError(
        dataset,
        path,
        'a CIFAR-10 binary batch',
        `label bytes 0–${opts.classes - 1} at the start of each ${CIFAR_RECORD}-byte record`,
        `label byte ${label} in record ${r} (byte ${at})`,
      );
    }
    if (opts.labels) opts.labels[offset + r] = label;
    if (opts.images) opts.images.set(raw.subarray(at + 1, at + CIFAR_RECORD), (offset + r) * CIFAR_PIXELS);
  }
  return opts.records;
}

/** Builds a CIFAR binary batch from labels and CHW images (tests, exports). */
export function encodeCifarBatch(images: Uint8Array, labels: Uint8Array): Uint8Array {
  const n = labels.length;
  const out = new Uint8Array(n * CIFAR_RECORD);
  for (let r = 0; r < n; r++) {
    out[r * CIFAR_RECORD] = labels[r];
    out.set(images.subarray(r * CIFAR_PIXELS, (r + 1) * CIFAR_PIXELS), r * CIFAR_RECORD + 1);
  }
  return out;
}

export interface TarEntry {
  name: string;
  type: string;
  data: Uint8Array;
}

function readString(block: Uint8Array, start: number, length: number): string {
  let end = start;
  while (end < start + length && block[end] !== 0) end++;
  return Buffer.from(block.subarray(start, end)).toString('utf8');
}

function readOctal(block: Uint8Array, start: number, length: number): number {
  if (block[start] & 0x80) {
    // GNU base-256 for big numbers
    let n = 0;
    for (let i = start + 1; i < start + length; i++) n = n * 256 + block[i];
    return n;
  }
  const s = readString(block, start, length).trim();
  return s === '' ? 0 : parseInt(s, 8);
}

/**
 * The regular files of a tar archive (views into `tar`, no copies). Throws a plain Error describing the
 * problem; callers wrap it with the file name.
 */
export function* tarEntries(tar: Uint8Array): Generator<TarEntry> {
  let pos = 0;
  let longName: string | undefined;
  let paxPath: string | undefined;
  while (pos + 512 <= tar.length) {
    const block = tar.subarray(pos, pos + 512);
    if (block.every((b) => b === 0)) return;
    const stored = readOctal(block, 148, 8);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : block[i];
    if (sum !== stored) throw new Error(`tar header at byte ${pos}: checksum ${stored}, computed ${sum}`);
    const size = readOctal(block, 124, 12);
    const type = String.fromCharCode(block[156] || 0x30);
    let name = readString(block, 0, 100);
    if (readString(block, 257, 5) === 'ustar') {
      const prefix = readString(block, 345, 155);
      if (prefix) name = `${prefix}/${name}`;
    }
    const dataStart = pos + 512;
    if (dataStart + size > tar.length) {
      throw new Error(
        `tar member ${name} needs ${size} bytes at byte ${dataStart}, archive has ${tar.length}`,
      );
    }
    const data = tar.subarray(dataStart, dataStart + size);
    pos = dataStart + Math.ceil(size / 512) * 512;
    if (type === 'L') {
      longName = readString(data, 0, data.length);
      continue;
    }
    if (type === 'x') {
      const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(Buffer.from(data).toString('utf8'));
      if (m) paxPath = m[1];
      continue;
    }
    if (type === 'g') continue;
    const entryName = longName ?? paxPath ?? name;
    longName = undefined;
    paxPath = undefined;
    if (type === '0' || type === '\0' || type === '7') yield { name: entryName, type, data };
  }
  throw new Error(`tar archive ends at byte ${tar.length} without its end-of-archive blocks`);
}

/** Writes a minimal ustar archive (tests build CIFAR tarballs with it). */
export function encodeTar(entries: { name: string; data: Uint8Array }[]): Uint8Array {
  const size = entries.reduce((n, e) => n + 512 + Math.ceil(e.data.length / 512) * 512, 1024);
  const out = new Uint8Array(size);
  let pos = 0;
  const put = (s: string, at: number) => out.set(Buffer.from(s, 'utf8'), at);
  for (const e of entries) {
    if (Buffer.byteLength(e.name) > 100) throw new Error(`encodeTar: name too long: ${e.name}`);
    put(e.name, pos);
    put('0000644\0', pos + 100);
    put('0000000\0', pos + 108);
    put('0000000\0', pos + 116);
    put(e.data.length.toString(8).padStart(11, '0') + '\0', pos + 124);
    put('00000000000\0', pos + 136);
    put('        ', pos + 148);
    out[pos + 156] = 0x30;
    put('ustar\0', pos + 257);
    put('00', pos + 263);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += out[pos + i];
    put(sum.toString(8).padStart(6, '0') + '\0 ', pos + 148);
    out.set(e.data, pos + 512);
    pos += 512 + Math.ceil(e.data.length / 512) * 512;
  }
  return out;
}
