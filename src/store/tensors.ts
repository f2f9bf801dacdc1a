/**
 * Binary tensor files (checkpoints, masks), in the safetensors format
 * (https://github.com/huggingface/safetensors), so the reference PyTorch scripts can read them:
 *
 *   bytes 0..8      N, the header length, unsigned 64-bit little-endian
 *   bytes 8..8+N    UTF-8 JSON header, padded with spaces so the data starts at a multiple of 8:
 *                   { "__metadata__": { string: string },          (optional)
 *                     "<name>": { "dtype": "F32", "shape": [784, 300], "data_offsets": [begin, end] }, ... }
 *   bytes 8+N..     the tensors' raw little-endian data, back to back in header order; offsets are
 *                   relative to the start of this section and together cover it exactly
 *
 * dtypes: F64 F32 I64 I32 I16 I8 U64 U32 U16 U8. Files are written atomically.
 *
 * Integrity: every file written here records the sha256 of its data section in the header's
 * `__metadata__.sha256`, and every read checks it, so a damaged or overwritten tensor is an error
 * naming the file, never a silently different number. Files of earlier versions have no checksum:
 * they are read as before, and `checksum` says so.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic.js';
import { UserError } from '../util/errors.js';

/** The `__metadata__` key holding the sha256 (hex) of the data section. */
export const CHECKSUM_KEY = 'sha256';

/** What is wrong with a tensor file that cannot be used: absent, unreadable or damaged. */
export class TensorFileError extends UserError {
  constructor(
    readonly path: string,
    readonly reason: 'missing' | 'corrupt',
    message: string,
  ) {
    super(
      message,
      reason === 'missing'
        ? `if it belongs to a run, \`ticketlab runs repair <run-dir>\` (or the same lottery command) recomputes its unit`
        : `if it belongs to a run, \`ticketlab runs repair <run-dir>\` (or the same lottery command) recomputes its unit; ` +
            'otherwise restore it from a backup',
    );
  }
}

export type TypedArray =
  | Float64Array
  | Float32Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | BigUint64Array
  | Uint32Array
  | Uint16Array
  | Uint8Array;

export type DType = 'F64' | 'F32' | 'I64' | 'I32' | 'I16' | 'I8' | 'U64' | 'U32' | 'U16' | 'U8';

/** A tensor with its shape; a bare typed array is saved as a vector. */
export interface StoredTensor {
  dtype: DType;
  shape: number[];
  data: TypedArray;
}

type Ctor = { new (buffer: ArrayBuffer): TypedArray; BYTES_PER_ELEMENT: number };

const CTORS: Record<DType, Ctor> = {
  F64: Float64Array,
  F32: Float32Array,
  I64: BigInt64Array,
  I32: Int32Array,
  I16: Int16Array,
  I8: Int8Array,
  U64: BigUint64Array,
  U32: Uint32Array,
  U16: Uint16Array,
  U8: Uint8Array,
};

export function dtypeOf(data: TypedArray): DType {
  for (const [dtype, ctor] of Object.entries(CTORS) as [DType, Ctor][]) {
    if (data instanceof ctor) return dtype;
  }
  throw new TypeError(`unsupported array type ${(data as object).constructor.name} for a tensor file`);
}

function assertLittleEndian(): void {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new Error('tensor files are little-endian; big-endian machines are not supported');
  }
}

/**
 * Writes tensors (by name, in map order) and optional string metadata to `path`, atomically.
 * A value may be a typed array (saved with shape [length]) or `{ data, shape }`.
 */
export function saveTensors(
  path: string,
  tensors: Map<string, TypedArray | { data: TypedArray; shape: readonly number[] }>,
  metadata?: Record<string, string>,
): string {
  assertLittleEndian();
  const header: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(metadata ?? {})) {
    if (typeof v !== 'string') throw new TypeError(`tensor file metadata "${k}" must be a string`);
    if (k === CHECKSUM_KEY) throw new TypeError(`tensor file metadata "${k}" is reserved for the checksum`);
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, value] of tensors) {
    if (name === '__metadata__') throw new TypeError('"__metadata__" is reserved in tensor files');
    const data = ArrayBuffer.isView(value) ? value : value.data;
    const shape = ArrayBuffer.isView(value) ? [value.length] : [...value.shape];
    const count = shape.reduce((a, b) => a * b, 1);
    if (!shape.every((d) => Number.isInteger(d) && d >= 0) || count !== data.length) {
      throw new RangeError(`tensor ${name}: shape [${shape}] does not match its ${data.length} elements`);
    }
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    header[name] = { dtype: dtypeOf(data), shape, data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  const hash = createHash('sha256');
  for (const chunk of chunks) hash.update(chunk);
  const sha256 = hash.digest('hex');
  // the checksum first, so the metadata comes before the tensors in the header as before
  const ordered: Record<string, unknown> = { __metadata__: { ...metadata, [CHECKSUM_KEY]: sha256 } };
  Object.assign(ordered, header);
  let json = JSON.stringify(ordered);
  const jsonBytes = Buffer.byteLength(json, 'utf8');
  json += ' '.repeat((8 - ((8 + jsonBytes) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerBytes.byteLength));
  writeFileAtomic(path, [prefix, headerBytes, ...chunks]);
  return sha256;
}

/**
 * Reads a tensor file written by `saveTensors` (or any safetensors file with these dtypes), checking
 * its data against the recorded sha256. `metadata` is the caller's (without the checksum);
 * `checksum` is the verified sha256, or null for a file without one (written by an earlier version).
 */
export function readTensorFile(path: string): {
  tensors: Map<string, StoredTensor>;
  metadata: Record<string, string>;
  checksum: string | null;
} {
  assertLittleEndian();
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new TensorFileError(path, 'missing', `${path} does not exist`);
    throw new UserError(`cannot read ${path}: ${(error as Error).message}`);
  }
  const corrupt = (why: string) =>
    new TensorFileError(path, 'corrupt', `${path} is not a valid tensor file: ${why}`);
  if (buf.byteLength < 8) throw corrupt('shorter than its 8-byte header length');
  const n = buf.readBigUInt64LE(0);
  if (n > BigInt(buf.byteLength - 8))
    throw corrupt(`header length ${n} exceeds the file size ${buf.byteLength}`);
  const dataStart = 8 + Number(n);
  let header: unknown;
  try {
    header = JSON.parse(buf.toString('utf8', 8, dataStart));
  } catch (error) {
    throw corrupt(`header is not valid JSON (${(error as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    throw corrupt('header is not an object');
  const dataLength = buf.byteLength - dataStart;
  const tensors = new Map<string, StoredTensor>();
  let metadata: Record<string, string> = {};
  const spans: [number, number][] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (
        entry === null ||
        typeof entry !== 'object' ||
        Object.values(entry).some((v) => typeof v !== 'string')
      ) {
        throw corrupt('__metadata__ must map strings to strings');
      }
      metadata = { ...(entry as Record<string, string>) };
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) throw corrupt(`entry ${name} is not an object`);
    if (typeof e.dtype !== 'string' || !(e.dtype in CTORS))
      throw corrupt(`tensor ${name} has unknown dtype ${String(e.dtype)}`);
    const dtype = e.dtype as DType;
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw corrupt(`tensor ${name} has an invalid shape`);
    }
    const offsets = e.data_offsets;
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isInteger(o) && o >= 0) ||
      offsets[0] > offsets[1]
    ) {
      throw corrupt(`tensor ${name} has invalid data_offsets`);
    }
    const [begin, end] = offsets as [number, number];
    if (end > dataLength)
      throw corrupt(`tensor ${name} ends at byte ${end} but the data section has ${dataLength} (truncated?)`);
    const ctor = CTORS[dtype];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end - begin !== count * ctor.BYTES_PER_ELEMENT) {
      throw corrupt(`tensor ${name}: ${end - begin} bytes for shape [${shape}] of ${dtype}`);
    }
    const start = buf.byteOffset + dataStart + begin;
    const data = new ctor(buf.buffer.slice(start, start + (end - begin)) as ArrayBuffer);
    tensors.set(name, { dtype, shape: shape as number[], data });
    spans.push([begin, end]);
  }
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let covered = 0;
  for (const [begin, end] of spans) {
    if (begin !== covered) throw corrupt('tensor data overlaps or leaves gaps');
    covered = end;
  }
  if (covered !== dataLength) throw corrupt(`${dataLength - covered} bytes of trailing data`);
  const recorded = metadata[CHECKSUM_KEY];
  delete metadata[CHECKSUM_KEY];
  if (recorded === undefined) return { tensors, metadata, checksum: null };
  const actual = createHash('sha256').update(buf.subarray(dataStart)).digest('hex');
  if (actual !== recorded)
    throw corrupt(
      `its data does not match the checksum recorded when it was written (sha256 ${actual.slice(0, 12)}… ` +
        `instead of ${recorded.slice(0, 12)}…): it was changed or damaged since`,
    );
  return { tensors, metadata, checksum: recorded };
}

/** The tensors of a file by name (shapes and metadata dropped; see `readTensorFile`). */
export function loadTensors(path: string): Map<string, TypedArray> {
  const out = new Map<string, TypedArray>();
  for (const [name, t] of readTensorFile(path).tensors) out.set(name, t.data);
  return out;
}
