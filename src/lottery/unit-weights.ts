/**
 * The weights of a finished unit of a run, split into trainable weights and buffers (BatchNorm running
 * statistics): its final or best weights, the trial's θ_k snapshot, the weights it kept at a point of
 * its training (`--save-weights-at`) or where Early-Bird stopped it. Used by `ticketlab slim` and the
 * experiments that slim a trained network.
 */
import { existsSync } from 'node:fs';
import type { LotteryConfig } from './config.js';
import { type Run, loadTensors } from '../store/index.js';
import { trialKey } from './types.js';
import { UserError } from '../util/errors.js';
import { toIterations } from '../spec/durations.js';
import { EARLY_BIRD_FILE, describePoint, epochIterationsOf, snapshotFile } from './snapshots.js';

/**
 * Which weights of a unit: final, best (at the early-stopping iteration), the trial's θ_k, early-bird
 * (where --early-bird-stop stopped it), or a point of its training it kept (`30ep`, `1200`, `1200it`).
 */
export interface UnitWeightsChoice {
  trial: number;
  weights: 'final' | 'best' | 'rewind' | 'early-bird' | (string & {});
}

/** The file of a unit holding the chosen weights (other than θ_k), refused when the unit did not keep them. */
function unitWeightsFile(run: Run, weights: string, key: string, config: LotteryConfig): string {
  if (weights === 'final' || weights === 'best') return `${weights}.safetensors`;
  const result = run.unitRecord(key)?.result as { snapshots?: number[] } | undefined;
  if (weights === 'early-bird') {
    if (existsSync(run.path(key, EARLY_BIRD_FILE))) return EARLY_BIRD_FILE;
    throw new UserError(
      `${key} of ${run.dir} has no Early-Bird weights: its training was not stopped by --early-bird-stop`,
      'train level 0 with --early-bird-stop 0.5 (0.3 or 0.7), or keep the weights at that epoch with --save-weights-at and give --weights <epoch>ep',
    );
  }
  const iteration = toIterations(weights, epochIterationsOf(config), '--weights');
  const file = snapshotFile(iteration);
  if (existsSync(run.path(key, file))) return file;
  const kept = (result?.snapshots ?? []).map((i) => describePoint(config, i));
  throw new UserError(
    `${key} of ${run.dir} kept no weights at ${describePoint(config, iteration)} ` +
      `(${kept.length ? `it kept ${kept.join(', ')}` : 'it kept none'})`,
    `give one of those, final, best or rewind, or train with --save-weights-at ${weights}`,
  );
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
    const file = unitWeightsFile(run, o.weights, key, config);
    tensors = new Map([...run.readUnitTensors(key, file).tensors].map(([k, t]) => [k, t.data]));
  }
  for (const [k, v] of tensors)
    (k.startsWith('buffer:') ? buffers : weights).set(k.replace(/^buffer:/, ''), v as Float32Array);
  return { weights, buffers };
}

/**
 * The unit's unstructured mask (masks.safetensors, by parameter, 1 = kept) when it prunes anything:
 * a ticket or control at level ≥ 1, or a unit pruned during training. Undefined for a dense unit
 * (level 0), whose all-ones mask asks nothing of a retraining.
 */
export function unitPrunedMasks(run: Run, key: string): Map<string, Uint8Array> | undefined {
  if (!existsSync(run.path(key, 'masks.safetensors'))) return undefined;
  const masks = new Map(
    [...run.readUnitTensors(key, 'masks.safetensors').tensors].map(([k, t]) => [k, t.data as Uint8Array]),
  );
  return [...masks.values()].some((m) => m.includes(0)) ? masks : undefined;
}
