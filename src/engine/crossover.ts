/**
 * When the sparse MLP step pays, decided from measurements rather than a constant: per layer shape
 * (in × out at a batch size, optimizer and thread count), the time of one dense step and of one
 * sparse step at a few densities (calibrate.ts measures them on one-layer networks). Between measured
 * densities the sparse time is interpolated linearly (its work is linear in the kept weights).
 *
 * The sparse step runs the whole network (compaction needs every layer), so the decision is for the
 * network: sparse when the layers' predicted sparse times sum to less than their dense times. Each
 * layer's own crossover — the density below which its sparse step is the faster — is what
 * `ticketlab calibrate-sparse` shows.
 *
 * The timings are cached in one small JSON file per user, keyed by the machine (CPU model and count),
 * the thread count, the batch size and the optimizer, so each machine measures once.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { cacheRoot } from '../data/locate.js';

/**
 * Densities calibrate.ts tries: from dense down past the sparsity of a 15-level LeNet lottery (3.6%).
 * Here rather than there so `calibrate-sparse --help` can name them without loading the engine.
 */
export const CALIBRATION_DENSITIES = [1, 0.5, 0.3, 0.2, 0.1, 0.05, 0.02];

/** One layer shape's measured step times (ms): dense, and sparse at each density tried. */
export interface ShapeTiming {
  inFeatures: number;
  outFeatures: number;
  denseMs: number;
  /** [density (kept fraction), ms], any order. */
  sparseMs: [number, number][];
}

/** What the timings were measured under: they hold only for the same key. */
export interface CalibrationKey {
  machine: string;
  threads: number;
  batchSize: number;
  optimizer: string;
}

export interface LayerDensity {
  inFeatures: number;
  outFeatures: number;
  /** Kept fraction of the layer's weight. */
  density: number;
}

export const shapeKey = (inFeatures: number, outFeatures: number): string => `${inFeatures}x${outFeatures}`;

/** This machine, as the cache names it. */
export function machineName(): string {
  const list = cpus();
  return `${list[0]?.model.trim() ?? 'unknown cpu'} ×${list.length}`;
}

export const calibrationKeyString = (k: CalibrationKey): string =>
  `${k.machine} | threads ${k.threads} | batch ${k.batchSize} | ${k.optimizer}`;

/** The sparse step's time at `density`, interpolated between the measured densities (clamped outside). */
export function predictedSparseMs(t: ShapeTiming, density: number): number {
  const points = [...t.sparseMs].sort((a, b) => a[0] - b[0]);
  if (!points.length) throw new Error(`no sparse timings for ${shapeKey(t.inFeatures, t.outFeatures)}`);
  if (density <= points[0][0]) return points[0][1];
  for (let i = 1; i < points.length; i++) {
    const [d1, m1] = points[i];
    if (density <= d1) {
      const [d0, m0] = points[i - 1];
      return m0 + ((density - d0) * (m1 - m0)) / (d1 - d0);
    }
  }
  return points[points.length - 1][1];
}

/**
 * The density below which this shape's sparse step is faster than its dense step: the highest
 * measured density where it is (interpolated towards the next higher one, where it is not); 1 when it
 * wins at every density tried; 0 when it never does.
 */
export function crossoverDensity(t: ShapeTiming): number {
  const points = [...t.sparseMs].sort((a, b) => a[0] - b[0]);
  let k = points.length;
  // the highest density from which down the sparse step is never slower
  let low = 0;
  while (low < k && points[low][1] < t.denseMs) low++;
  if (low === 0) return 0;
  if (low === k) return points[k - 1][0] >= 1 ? 1 : points[k - 1][0];
  k = low;
  const [d0, m0] = points[k - 1];
  const [d1, m1] = points[k];
  return d0 + ((t.denseMs - m0) * (d1 - d0)) / (m1 - m0);
}

export interface SparseDecision {
  sparse: boolean;
  predictedSparseMs: number;
  predictedDenseMs: number;
}

/**
 * Whether a network whose layers have these shapes and densities should step sparse, by the timings
 * in `table` (by shapeKey). Throws when a layer's shape was not measured (calibrate first).
 */
export function decideSparse(
  layers: readonly LayerDensity[],
  table: ReadonlyMap<string, ShapeTiming>,
): SparseDecision {
  let sparseMs = 0;
  let denseMs = 0;
  for (const l of layers) {
    const t = table.get(shapeKey(l.inFeatures, l.outFeatures));
    if (!t) throw new Error(`no calibration for layer shape ${shapeKey(l.inFeatures, l.outFeatures)}`);
    sparseMs += predictedSparseMs(t, l.density);
    denseMs += t.denseMs;
  }
  return { sparse: sparseMs < denseMs, predictedSparseMs: sparseMs, predictedDenseMs: denseMs };
}

// ---------------------------------------------------------------------------------------------------
// the cache file

interface CacheFile {
  version: 1;
  /** By calibrationKeyString, then by shapeKey. */
  entries: Record<string, Record<string, ShapeTiming>>;
}

/** The per-user calibration file ($XDG_CACHE_HOME/ticketlab/sparse-crossover.json or ~/.cache/…). */
export function defaultCalibrationFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), 'sparse-crossover.json');
}

function readCache(file: string): CacheFile {
  if (!existsSync(file)) return { version: 1, entries: {} };
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as CacheFile;
    if (parsed.version === 1 && typeof parsed.entries === 'object') return parsed;
  } catch {
    // unreadable: measured again and rewritten
  }
  return { version: 1, entries: {} };
}

/** The cached timings for `key`, by shapeKey (empty when none). */
export function loadTimings(file: string, key: CalibrationKey): Map<string, ShapeTiming> {
  return new Map(Object.entries(readCache(file).entries[calibrationKeyString(key)] ?? {}));
}

/** Adds (or replaces) timings for `key` in the file, written whole (temporary file, then rename). */
export function saveTimings(file: string, key: CalibrationKey, timings: readonly ShapeTiming[]): void {
  const cache = readCache(file);
  const k = calibrationKeyString(key);
  const entry = (cache.entries[k] ??= {});
  for (const t of timings) entry[shapeKey(t.inFeatures, t.outFeatures)] = t;
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(cache, null, 1) + '\n');
  renameSync(tmp, file);
}
