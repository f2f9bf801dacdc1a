/**
 * The versions a result was computed with: ticketlab's own (package.json) and onnxruntime-node's,
 * recorded with every unit (float results may change between versions of either).
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function versionOf(specifier: string): string {
  try {
    return (require(specifier) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

let cached: { ticketlab: string; onnxruntime: string } | undefined;

/** ticketlab's version (its package.json, two levels up from src/util or dist/util) and onnxruntime-node's. */
export function versions(): { ticketlab: string; onnxruntime: string } {
  cached ??= {
    ticketlab: versionOf('../../package.json'),
    onnxruntime: versionOf('onnxruntime-node/package.json'),
  };
  return cached;
}
