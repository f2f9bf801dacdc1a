/**
 * Canonical JSON and content hashes of run configurations. A run's directory is named after the
 * hash of its fully resolved hyperparameters, so the hash must not depend on key order, on the
 * process, or on how a number was written, and must change whenever any value does.
 */
import { createHash } from 'node:crypto';

/** Length of the hex hash used in run directory names (48 bits). */
export const HASH_LENGTH = 12;

/**
 * JSON with object keys sorted (by UTF-16 code units) at every depth and no whitespace. Follows
 * JSON.stringify where that is unambiguous: object properties that are undefined are left out,
 * undefined array elements become null, −0 is written 0, `toJSON` (e.g. Date) is honoured.
 * Anything JSON would silently lose or mangle is an error instead: NaN and ±Infinity (JSON writes
 * null), functions and symbols, bigints, Maps, Sets, typed arrays, cycles.
 *
 * JSON.parse(stableStringify(x)) hashes the same as x, so a config read back from config.json
 * matches the run's hash.
 */
export function stableStringify(value: unknown): string {
  const out: string[] = [];
  write(value, '$', out, new Set());
  return out.join('');
}

function write(value: unknown, path: string, out: string[], stack: Set<object>): void {
  if (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  ) {
    value = (value as { toJSON: (key: string) => unknown }).toJSON('');
  }
  switch (typeof value) {
    case 'string':
      out.push(JSON.stringify(value));
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'number':
      if (!Number.isFinite(value))
        throw new TypeError(`cannot hash ${value} at ${path}: not a finite number`);
      out.push(Object.is(value, -0) ? '0' : JSON.stringify(value));
      return;
    case 'object':
      break;
    default:
      throw new TypeError(`cannot hash a ${typeof value} at ${path}`);
  }
  if (value === null) {
    out.push('null');
    return;
  }
  const obj = value as object;
  if (obj instanceof Map || obj instanceof Set || ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer) {
    throw new TypeError(`cannot hash a ${obj.constructor.name} at ${path}; use plain objects and arrays`);
  }
  if (stack.has(obj)) throw new TypeError(`cannot hash a cyclic structure (at ${path})`);
  stack.add(obj);
  if (Array.isArray(obj)) {
    out.push('[');
    for (let i = 0; i < obj.length; i++) {
      if (i > 0) out.push(',');
      const v: unknown = obj[i];
      if (v === undefined) out.push('null');
      else write(v, `${path}[${i}]`, out, stack);
    }
    out.push(']');
  } else {
    out.push('{');
    let first = true;
    for (const key of Object.keys(obj).sort()) {
      const v = (obj as Record<string, unknown>)[key];
      if (v === undefined) continue;
      if (!first) out.push(',');
      first = false;
      out.push(JSON.stringify(key), ':');
      write(v, `${path}.${key}`, out, stack);
    }
    out.push('}');
  }
  stack.delete(obj);
}

/** Full SHA-256 (hex) of the canonical JSON of `config`. */
export function fullConfigHash(config: unknown): string {
  return createHash('sha256').update(stableStringify(config), 'utf8').digest('hex');
}

/** The first HASH_LENGTH hex digits of `fullConfigHash`: the hash in run directory names. */
export function hashConfig(config: unknown): string {
  return fullConfigHash(config).slice(0, HASH_LENGTH);
}

/**
 * Paths (like `$.train.lr`) where two JSON values differ, at most `limit` of them; for error
 * messages that say what changed between two configs.
 */
export function configDifferences(a: unknown, b: unknown, limit = 5): string[] {
  const diffs: string[] = [];
  const walk = (x: unknown, y: unknown, path: string): void => {
    if (diffs.length >= limit) return;
    const xo = x !== null && typeof x === 'object';
    const yo = y !== null && typeof y === 'object';
    if (xo && yo && Array.isArray(x) === Array.isArray(y)) {
      const keys = new Set([...Object.keys(x as object), ...Object.keys(y as object)]);
      for (const k of [...keys].sort()) {
        const child = Array.isArray(x) ? `${path}[${k}]` : `${path}.${k}`;
        walk((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], child);
      }
    } else if (canon(x) !== canon(y)) {
      diffs.push(path);
    }
  };
  walk(a, b, '$');
  return diffs;
}

function canon(v: unknown): string {
  return v === undefined ? '(absent)' : stableStringify(v);
}
