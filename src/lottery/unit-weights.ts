/**
 * The weights of a finished unit of a run, split into trainable weights and buffers (BatchNorm running
 * statistics): its final or best weights, or the trial's θ_k snapshot. Used by `ticketlab slim` and the
 * experiments that slim a trained network.
 */
import { existsSync } from 'node:fs';
import type { LotteryConfig } from './config.js';
import { type Run, loadTensors } from '../store/index.js';
import { trialKey } from './types.js';
import { UserError } from '../util/errors.js';

/** Which weights of a unit: final, best (at the early-stopping iteration) or the trial's θ_k. */
export interface UnitWeightsChoice {
  trial: number;
  weights: 'final' | 'best' | 'rewind';
}

/** The weights to slim: a unit's final or best, or the trial's θ_k snapshot (an earlier point of training). */
export function unitWeights(run: Run, o: UnitWeightsChoice, key: string, config: LotteryConfig) {
  const weights = new Map<string, Float32Array>();
  const buffers = new Map<string, Float32Array>();
  let tensors: Map<string, unknown>;
  if (o.weights === 'rewind') {
    const path = run.path(trialKey(o.trial), 'rewind.safetensors');
    if (!existsSync(path))
      throw new UserError(
        `${run.dir} has no rewind snapshot θ_k for trial ${o.trial} (the run's --reset is ${config.reset})`,
        'train with --reset rewind (or weight-rewind, lr-rewind, finetune) and --rewind-iteration k, or use --weights final',
      );
    tensors = loadTensors(path);
  } else {
    tensors = new Map(
      [...run.readUnitTensors(key, `${o.weights}.safetensors`).tensors].map(([k, t]) => [k, t.data]),
    );
  }
  for (const [k, v] of tensors)
    (k.startsWith('buffer:') ? buffers : weights).set(k.replace(/^buffer:/, ''), v as Float32Array);
  return { weights, buffers };
}
