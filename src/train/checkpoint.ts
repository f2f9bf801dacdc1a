/**
 * A training checkpoint on disk: <dir>/checkpoint.safetensors (engine state, best weights, θ_k and
 * the tensors of callbacks' state) and <dir>/checkpoint.json (everything else). The format is the one
 * the lottery procedure has written since before callbacks; callbacks' records and state are added
 * only when there are some, so a checkpoint without them is byte-for-byte what it was.
 */
import { existsSync, rmSync } from 'node:fs';
import { readJson, readTensorFile, saveTensors, TensorFileError, writeJsonAtomic } from '../store/index.js';
import type { CallbackState, RecordedValue, TrainCheckpoint, WeightSnapshot } from './types.js';

interface CheckpointJson {
  iteration: number;
  elapsedSeconds?: number;
  step: number;
  sampler: { epoch: number; index: number };
  curve: TrainCheckpoint['curve'];
  bestIteration: number | null;
  hasRewind: boolean;
  records?: RecordedValue[];
  /** sha256 of checkpoint.safetensors' data: the pair was written by one save (absent in older ones) */
  tensorsSha256?: string;
  /** Per callback: its JSON state and the names of its tensors (stored as callback:<name>:<tensor>). */
  callbacks?: Record<string, { json?: unknown; tensors: string[] }>;
}

const callbackTensor = (callback: string, tensor: string) => `callback:${callback}:${tensor}`;

function snapshotEntries(prefix: string, s: WeightSnapshot): [string, Float32Array][] {
  return [
    ...[...s.weights].map(([k, v]): [string, Float32Array] => [`${prefix}${k}`, v]),
    ...[...s.buffers].map(([k, v]): [string, Float32Array] => [`${prefix}buffer:${k}`, v]),
  ];
}

/**
 * Saves `c` in `dir`. `extra` fields (e.g. the caller's thread count) go into checkpoint.json after
 * the trainer's own, in the same atomic write, so the file never exists without them.
 */
export function saveTrainCheckpoint(
  dir: string,
  c: TrainCheckpoint,
  extra: Record<string, unknown> = {},
): void {
  const tensors = new Map<string, Float32Array>();
  for (const [k, v] of c.engine.tensors) tensors.set(`engine:${k}`, v);
  if (c.best) for (const [k, v] of snapshotEntries('best:', c.best)) tensors.set(k, v);
  if (c.rewind) for (const [k, v] of snapshotEntries('rewind:', c.rewind)) tensors.set(k, v);
  const meta: CheckpointJson = {
    iteration: c.iteration,
    elapsedSeconds: c.elapsedSeconds,
    step: c.engine.step,
    sampler: c.sampler,
    curve: c.curve,
    bestIteration: c.best?.iteration ?? null,
    hasRewind: c.rewind !== null,
  };
  if (c.records?.length) meta.records = c.records;
  const states = Object.entries(c.callbacks ?? {});
  if (states.length) {
    meta.callbacks = {};
    for (const [name, state] of states) {
      const names = [...(state.tensors?.keys() ?? [])];
      for (const t of names) tensors.set(callbackTensor(name, t), state.tensors!.get(t)!);
      meta.callbacks[name] = { ...(state.json === undefined ? {} : { json: state.json }), tensors: names };
    }
  }
  // tensors first, then the JSON that refers to them (by checksum: a process killed between the two
  // writes leaves new tensors beside an old checkpoint.json, which must not be resumed as a pair)
  meta.tensorsSha256 = saveTensors(`${dir}/checkpoint.safetensors`, tensors);
  writeJsonAtomic(`${dir}/checkpoint.json`, { ...meta, ...extra });
}

/** The checkpoint saved in `dir`, or undefined if there is none. */
export function loadTrainCheckpoint(dir: string): TrainCheckpoint | undefined {
  const jsonPath = `${dir}/checkpoint.json`;
  if (!existsSync(jsonPath)) return undefined;
  const meta = readJson(jsonPath) as CheckpointJson;
  const tensorPath = `${dir}/checkpoint.safetensors`;
  const file = readTensorFile(tensorPath);
  if (meta.tensorsSha256 !== undefined && file.checksum !== meta.tensorsSha256)
    throw new TensorFileError(
      tensorPath,
      'corrupt',
      `${tensorPath} does not belong to ${dir}/checkpoint.json (another save wrote it: the process was ` +
        'stopped between the two writes of a checkpoint)',
    );
  const all = new Map([...file.tensors].map(([k, t]) => [k, t.data as Float32Array]));
  const group = (prefix: string): WeightSnapshot => {
    const weights = new Map<string, Float32Array>();
    const buffers = new Map<string, Float32Array>();
    for (const [k, v] of all) {
      if (!k.startsWith(prefix)) continue;
      const name = k.slice(prefix.length);
      if (name.startsWith('buffer:')) buffers.set(name.slice(7), v);
      else weights.set(name, v);
    }
    return { weights, buffers };
  };
  const engineTensors = new Map<string, Float32Array>();
  for (const [k, v] of all) if (k.startsWith('engine:')) engineTensors.set(k.slice(7), v);
  const checkpoint: TrainCheckpoint = {
    iteration: meta.iteration,
    elapsedSeconds: meta.elapsedSeconds ?? 0,
    engine: { step: meta.step, tensors: engineTensors },
    sampler: meta.sampler,
    curve: meta.curve,
    best: meta.bestIteration === null ? null : { iteration: meta.bestIteration, ...group('best:') },
    rewind: meta.hasRewind ? group('rewind:') : null,
    records: meta.records ?? [],
    callbacks: {},
  };
  for (const [name, saved] of Object.entries(meta.callbacks ?? {})) {
    const state: CallbackState = {};
    if ('json' in saved) state.json = saved.json;
    if (saved.tensors.length) {
      state.tensors = new Map();
      for (const t of saved.tensors) {
        const v = all.get(callbackTensor(name, t));
        if (!v) throw new Error(`${dir}/checkpoint.safetensors lacks tensor ${t} of callback ${name}`);
        state.tensors.set(t, v);
      }
    }
    checkpoint.callbacks![name] = state;
  }
  return checkpoint;
}

export function removeTrainCheckpoint(dir: string): void {
  rmSync(`${dir}/checkpoint.json`, { force: true });
  rmSync(`${dir}/checkpoint.safetensors`, { force: true });
}
