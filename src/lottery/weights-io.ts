/**
 * The tensor files of a lottery run: weight sets (parameters, and buffers as `buffer:<name>`), masks,
 * and a unit's mid-training checkpoint. A checkpoint records the intra-op thread count it was computed
 * with; resuming it under another count would silently mix two float orders, so that is refused.
 */
import { existsSync, rmSync } from 'node:fs';
import type { Masks, PrunableLayer } from '../prune/index.js';
import { loadTensors, readJson, saveTensors, writeJsonAtomic } from '../store/index.js';
import type { TrainCheckpoint } from '../train/trainer.js';
import { UserError } from '../util/errors.js';
import type { WeightSet } from './types.js';

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
// checkpoints inside a unit

interface CheckpointMeta {
  iteration: number;
  elapsedSeconds?: number;
  step: number;
  sampler: { epoch: number; index: number };
  curve: TrainCheckpoint['curve'];
  bestIteration: number | null;
  hasRewind: boolean;
  /** Absent in checkpoints written before thread counts were recorded. */
  threads?: number;
}

export function saveCheckpoint(dir: string, c: TrainCheckpoint, threads: number): void {
  const tensors = new Map<string, Float32Array>();
  for (const [k, v] of c.engine.tensors) tensors.set(`engine:${k}`, v);
  if (c.best)
    for (const [k, v] of [...c.best.weights, ...prefixed(c.best.buffers)]) tensors.set(`best:${k}`, v);
  if (c.rewind)
    for (const [k, v] of [...c.rewind.weights, ...prefixed(c.rewind.buffers)]) tensors.set(`rewind:${k}`, v);
  // tensors first, then the JSON that refers to them: a checkpoint.json always has its tensors
  saveTensors(`${dir}/checkpoint.safetensors`, tensors);
  const meta: CheckpointMeta = {
    iteration: c.iteration,
    elapsedSeconds: c.elapsedSeconds,
    step: c.engine.step,
    sampler: c.sampler,
    curve: c.curve,
    bestIteration: c.best?.iteration ?? null,
    hasRewind: c.rewind !== null,
    threads,
  };
  writeJsonAtomic(`${dir}/checkpoint.json`, meta);
}

function prefixed(buffers: Map<string, Float32Array>): [string, Float32Array][] {
  return [...buffers].map(([k, v]) => [`buffer:${k}`, v]);
}

/**
 * The unit's checkpoint, if any. Throws a UserError if it was computed with another thread count
 * than `threads` (float sums are ordered by thread: the resumed unit would mix two results).
 */
export function loadCheckpoint(dir: string, threads: number): TrainCheckpoint | undefined {
  const jsonPath = `${dir}/checkpoint.json`;
  if (!existsSync(jsonPath)) return undefined;
  const meta = readJson(jsonPath) as CheckpointMeta;
  if (meta.threads !== undefined && meta.threads !== threads) {
    throw new UserError(
      `${dir} holds a checkpoint at iteration ${meta.iteration} computed with ${meta.threads} threads, ` +
        `but this process uses ${threads}; results depend on the thread count, so resuming would mix two ` +
        'different computations',
      `run again with --threads ${meta.threads} to resume it, or delete ${jsonPath} to recompute the unit ` +
        `from its start with ${threads} threads`,
    );
  }
  const all = loadTensors(`${dir}/checkpoint.safetensors`);
  const group = (prefix: string): WeightSet => {
    const weights = new Map<string, Float32Array>();
    const buffers = new Map<string, Float32Array>();
    for (const [k, v] of all) {
      if (!k.startsWith(prefix)) continue;
      const name = k.slice(prefix.length);
      if (name.startsWith('buffer:')) buffers.set(name.slice(7), v as Float32Array);
      else weights.set(name, v as Float32Array);
    }
    return { weights, buffers };
  };
  const engineTensors = new Map<string, Float32Array>();
  for (const [k, v] of all) if (k.startsWith('engine:')) engineTensors.set(k.slice(7), v as Float32Array);
  return {
    iteration: meta.iteration,
    elapsedSeconds: meta.elapsedSeconds ?? 0,
    engine: { step: meta.step, tensors: engineTensors },
    sampler: meta.sampler,
    curve: meta.curve,
    best: meta.bestIteration === null ? null : { iteration: meta.bestIteration, ...group('best:') },
    rewind: meta.hasRewind ? group('rewind:') : null,
  };
}

export function removeCheckpoint(dir: string): void {
  rmSync(`${dir}/checkpoint.json`, { force: true });
  rmSync(`${dir}/checkpoint.safetensors`, { force: true });
}
