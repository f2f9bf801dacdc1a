/**
 * The tensor files of a lottery run: weight sets (parameters, and buffers as `buffer:<name>`), masks,
 * and a unit's mid-training checkpoint. A checkpoint records the intra-op thread count it was computed
 * with; resuming it under another count would silently mix two float orders, so that is refused.
 */
import { existsSync } from 'node:fs';
import type { Masks, PrunableLayer } from '../prune/index.js';
import { loadTensors, readJson, readTensorFile, saveTensors, TensorFileError } from '../store/index.js';
import { loadTrainCheckpoint, removeTrainCheckpoint, saveTrainCheckpoint } from '../train/checkpoint.js';
import type { TrainCheckpoint } from '../train/trainer.js';
import { UserError } from '../util/errors.js';
import type { WeightSet } from './types.js';

/** Whether a tensor file is present and passes its checksum. */
export function intact(path: string): boolean {
  if (!existsSync(path)) return false;
  try {
    readTensorFile(path);
    return true;
  } catch {
    return false;
  }
}

export function saveWeights(path: string, set: WeightSet): void {
  const tensors = new Map<string, Float32Array>();
  for (const [k, v] of set.weights) tensors.set(k, v);
  for (const [k, v] of set.buffers) tensors.set(`buffer:${k}`, v);
  saveTensors(path, tensors);
}

export function loadWeights(path: string): WeightSet {
  const weights = new Map<string, Float32Array>();
  const buffers = new Map<string, Float32Array>();
  for (const [k, v] of loadTensors(path)) {
    if (k.startsWith('buffer:')) buffers.set(k.slice(7), v as Float32Array);
    else weights.set(k, v as Float32Array);
  }
  return { weights, buffers };
}

export function saveMasks(path: string, masks: Masks, layers: PrunableLayer[]): void {
  saveTensors(path, new Map(layers.map((l) => [l.name, { data: masks.get(l.name)!, shape: l.shape }])));
}

/** Masks in the order of `layers` (random draws over masks depend on the order). */
export function loadMasks(path: string, layers: PrunableLayer[]): Masks {
  const stored = loadTensors(path);
  return new Map(
    layers.map((l) => {
      const m = stored.get(l.name);
      if (!(m instanceof Uint8Array)) throw new UserError(`${path} has no mask for ${l.name}`);
      return [l.name, m];
    }),
  );
}

// ---------------------------------------------------------------------------------------------------
// checkpoints inside a unit: the trainer's checkpoint files (src/train/checkpoint.ts, which keeps
// callbacks' state and records), plus the thread count in checkpoint.json

/** Saves the trainer's checkpoint in `dir` and records in its checkpoint.json the thread count. */
export function saveCheckpoint(
  dir: string,
  c: TrainCheckpoint,
  threads: number,
  kernels?: 'sparse' | 'dense',
): void {
  // threads last, in the same write: a checkpoint.json without it would pass for an older format
  saveTrainCheckpoint(dir, c, { threads, ...(kernels ? { kernels } : {}) });
}

/**
 * The step (sparse kernels or dense) the unit's checkpoint was computed with, when its run uses
 * --sparse-kernels: a resumed unit pins it, so it never mixes the two roundings.
 */
export function checkpointKernels(dir: string): 'sparse' | 'dense' | undefined {
  const jsonPath = `${dir}/checkpoint.json`;
  if (!existsSync(jsonPath)) return undefined;
  try {
    const k = (readJson(jsonPath) as { kernels?: unknown }).kernels;
    return k === 'sparse' || k === 'dense' ? k : undefined;
  } catch {
    return undefined; // unreadable: resumableCheckpoint discards it
  }
}

/**
 * The unit's checkpoint, if any. Throws a UserError if it was computed with another thread count
 * than `threads` (float sums are ordered by thread: the resumed unit would mix two results).
 */
export function loadCheckpoint(dir: string, threads: number): TrainCheckpoint | undefined {
  const jsonPath = `${dir}/checkpoint.json`;
  if (!existsSync(jsonPath)) return undefined;
  // absent in checkpoints written before thread counts were recorded
  const meta = readJson(jsonPath) as { iteration: number; threads?: number };
  if (meta.threads !== undefined && meta.threads !== threads) {
    throw new UserError(
      `${dir} holds a checkpoint at iteration ${meta.iteration} computed with ${meta.threads} threads, ` +
        `but this process uses ${threads}; results depend on the thread count, so resuming would mix two ` +
        'different computations',
      `run again with --threads ${meta.threads} to resume it, or delete ${jsonPath} to recompute the unit ` +
        `from its start with ${threads} threads`,
    );
  }
  return loadTrainCheckpoint(dir);
}

/**
 * What a unit's checkpoint says without loading it (for a dry run): its iteration and thread count,
 * or 'damaged' when checkpoint.json cannot be read (the real run then discards it and starts over).
 */
export function peekCheckpoint(dir: string): { iteration: number; threads?: number } | 'damaged' | undefined {
  const jsonPath = `${dir}/checkpoint.json`;
  if (!existsSync(jsonPath)) return undefined;
  try {
    const meta = readJson(jsonPath) as { iteration?: unknown; threads?: unknown };
    if (typeof meta.iteration !== 'number') return 'damaged';
    return {
      iteration: meta.iteration,
      ...(typeof meta.threads === 'number' ? { threads: meta.threads } : {}),
    };
  } catch {
    return 'damaged';
  }
}

export function removeCheckpoint(dir: string): void {
  removeTrainCheckpoint(dir);
}

/**
 * The unit's checkpoint if it can be resumed. One that is damaged — checkpoint.safetensors missing,
 * truncated, overwritten (its checksum differs) or from another save than checkpoint.json, or
 * checkpoint.json unreadable — is removed, and `discarded` says why: the unit then starts again from
 * iteration 0, which gives the same result as an uninterrupted run. A thread-count mismatch is still
 * refused (see loadCheckpoint): that checkpoint is sound, and the user chooses.
 */
export function resumableCheckpoint(
  dir: string,
  threads: number,
): { checkpoint?: TrainCheckpoint; discarded?: string } {
  const jsonPath = `${dir}/checkpoint.json`;
  if (!existsSync(jsonPath)) return {};
  try {
    readJson(jsonPath);
  } catch (error) {
    removeTrainCheckpoint(dir);
    return { discarded: (error as Error).message };
  }
  try {
    return { checkpoint: loadCheckpoint(dir, threads) };
  } catch (error) {
    if (!(error instanceof TensorFileError)) throw error;
    removeTrainCheckpoint(dir);
    return { discarded: error.message };
  }
}
