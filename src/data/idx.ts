/**
 * The IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/): a 4-byte magic number
 * (0, 0, type 0x08 = unsigned byte, number of dimensions), one big-endian uint32 per dimension, then the
 * values. Images are idx3 (count, rows, cols), labels idx1 (count).
 */
import { formatError, truncatedError } from './files.js';

export interface IdxArray {
  dims: number[];
  /** The values, a view into the decoded file (no copy). */
  data: Uint8Array;
}

export type IdxKind = 'images' | 'labels';

const NDIMS: Record<IdxKind, number> = { images: 3, labels: 1 };

function hex32(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}

function describeMagic(magic: number): string {
  if (magic === 0x00000803) return `${hex32(magic)} (an IDX image file)`;
  if (magic === 0x00000801) return `${hex32(magic)} (an IDX label file)`;
  if (magic >>> 16 === 0x1f8b) return `${hex32(magic)} (gzip data inside gzip data?)`;
  if (magic === 0x3c21444f || magic === 0x3c68746d || magic === 0x3c48544d)
    return `${hex32(magic)} (an HTML page)`;
  return hex32(magic);
}

/** Parses an IDX file of unsigned bytes, checking its magic number, header and length. */
export function parseIdx(dataset: string, path: string, raw: Uint8Array, kind: IdxKind): IdxArray {
  const ndims = NDIMS[kind];
  const expectedMagic = 0x00000800 | ndims;
  const what = `an IDX ${kind === 'images' ? 'image' : 'label'} file`;
  if (raw.length < 4) {
    throw truncatedError(
      dataset,
      path,
      `an IDX header (magic number ${hex32(expectedMagic)})`,
      `${raw.length} bytes`,
    );
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== expectedMagic) {
    throw formatError(
      dataset,
      path,
      what,
      `magic number ${hex32(expectedMagic)} (unsigned bytes, ${ndims} dimension${ndims > 1 ? 's' : ''})`,
      describeMagic(magic),
    );
  }
  const headerBytes = 4 + 4 * ndims;
  if (raw.length < headerBytes) {
    throw truncatedError(dataset, path, `a ${headerBytes}-byte IDX header`, `${raw.length} bytes`);
  }
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const values = dims.reduce((a, b) => a * b, 1);
  const expectedBytes = headerBytes + values;
  if (raw.length < expectedBytes) {
    throw truncatedError(
      dataset,
      path,
      `${expectedBytes} bytes (its header declares ${dims.join(' × ')} values)`,
      `${raw.length} bytes`,
    );
  }
  if (raw.length > expectedBytes) {
    throw formatError(
      dataset,
      path,
      what,
      `${expectedBytes} bytes (its header declares ${dims.join(' × ')} values)`,
      `${raw.length} bytes, ${raw.length - expectedBytes} more than the header accounts for`,
    );
  }
  return { dims, data: new Uint8Array(raw.buffer, raw.byteOffset + headerBytes, values) };
}

/** Encodes an IDX file (used by tests to build small datasets, and handy for exporting subsets). */
export function encodeIdx(dims: number[], data: Uint8Array): Uint8Array {
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x00000800 | dims.length, false);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, header);
  return out;
}
