/**
 * The one-batch gradient at θ₀ that `snip` and `grad` score (Zhou et al.'s one-iteration gradient):
 * the first batch of the trial's data order, at the trial's θ₀, saved once per trial beside θ₀
 * (trial-T/gradient.safetensors) so every process prunes from the same values.
 */
import { existsSync } from 'node:fs';
import { batchGradient } from '../engine/gradient.js';
import type { TrainingEngine } from '../engine/engine.js';
import { criterionNamed } from '../prune/index.js';
import type { Run } from '../store/index.js';
import type { TrainData } from '../train/data.js';
import { makeSampler } from '../train/data.js';
import { Rng } from '../util/rng.js';
import type { LotteryConfig } from './config.js';
import { GRADIENT_FILE, type WeightSet, trialKey } from './types.js';
import { saveWeights } from './weights-io.js';

/** Whether the run's criterion scores from the gradient at θ₀. */
export function needsGradient(config: LotteryConfig): boolean {
  return (criterionNamed(config.pruning.strategy).needs ?? []).includes('gradient');
}

/** Computes and saves the trial's gradient at θ₀ unless it is there already. */
export async function ensureTrialGradient(
  run: Run,
  engine: TrainingEngine,
  data: TrainData,
  config: LotteryConfig,
  trial: number,
  seed: number,
  theta0: WeightSet,
): Promise<void> {
  const path = run.path(trialKey(trial), GRADIENT_FILE);
  if (existsSync(path)) return;
  // the batch the trial's first training step sees
  const sampler = makeSampler(data, config.batchSize, Rng.derive(seed, 'data-order').uint32());
  sampler.next();
  const grads = await batchGradient(
    engine.model,
    theta0.weights,
    theta0.buffers,
    { x: Float32Array.from(sampler.x), labels: Int32Array.from(sampler.y), batch: config.batchSize },
    { loss: engine.options.loss, threads: engine.threads },
  );
  saveWeights(path, { weights: grads, buffers: new Map() });
}
