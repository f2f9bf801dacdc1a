/**
 * Learned supermasks (Zhou et al. 2019, Section 5): the network's weights stay frozen at θ₀ (or at
 * signed constants sign(θ₀)·std per layer), and only a score per prunable weight is trained, the
 * forward pass sampling its mask m ~ Bernoulli(σ(s)) with a straight-through gradient
 * (models/supermask.ts). Reported: test accuracy of the expected mask's rounding (σ(s) > 0.5) and the
 * mean over sampled masks, the fraction kept, and beside them a random mask of the same per-layer
 * counts on the same weights and the unmasked weights. This file trains and measures; storing,
 * checkpointing and resuming runs is learned-supermask.ts.
 */
import { TrainingEngine } from '../engine/engine.js';
import { initialValues } from '../engine/init.js';
import { isPrunable, type LotteryConfig } from '../lottery/config.js';
import { scoreName, supermaskModel } from '../models/supermask.js';
import type { TrainData } from '../train/data.js';
import type { EvalPoint } from '../train/trainer.js';
import { Rng } from '../util/rng.js';
import { type UnitCheckpointing, trainOnSchedule } from './single-unit-run.js';
import type { SupermaskSettings } from './supermask-settings.js';

export { SUPERMASK_DEFAULTS, type SupermaskSettings } from './supermask-settings.js';

export interface SupermaskLayer {
  name: string;
  total: number;
  /** Weights kept by the expected mask's rounding (σ(s) > 0.5). */
  kept: number;
}

export interface SupermaskResult {
  model: string;
  dataset: string;
  seed: number;
  iterations: number;
  settings: SupermaskSettings;
  /** Test accuracy with the mask σ(s) > 0.5 after training. */
  testAccuracyThresholded: number;
  /** Test accuracy of each sampled mask m ~ Bernoulli(σ(s)), and their mean. */
  testAccuracySampled: number[];
  testAccuracySampledMean: number;
  /** Fraction of the masked weights kept by σ(s) > 0.5, and the mean of σ(s) (the expected fraction). */
  fractionKept: number;
  expectedFractionKept: number;
  layers: SupermaskLayer[];
  /** Controls on the same frozen weights: a random mask with the same per-layer counts, and no mask. */
  testAccuracyRandomMask: number;
  testAccuracyUnmasked: number;
  /** Validation and test accuracy of the thresholded mask during training. */
  curve: EvalPoint[];
  wallSeconds: number;
  threads: number;
}

/** The frozen values: θ₀ of the seed, or per masked layer sign(θ₀)·std(θ₀). */
export function frozenWeights(
  engine: TrainingEngine,
  config: LotteryConfig,
  seed: number,
  signedConstant: boolean,
): Map<string, Float32Array> {
  const frozen = new Map<string, Float32Array>();
  for (const decl of engine.params) {
    const w = initialValues(decl, seed);
    if (signedConstant && isPrunable(config, decl)) {
      let mean = 0;
      for (const v of w) mean += v;
      mean /= w.length;
      let sq = 0;
      for (const v of w) sq += (v - mean) ** 2;
      const std = Math.sqrt(sq / w.length);
      for (let i = 0; i < w.length; i++) w[i] = Math.sign(w[i]) * std;
    }
    frozen.set(decl.name, w);
  }
  return frozen;
}

/**
 * The weights a mask gives the base network: masked parameters W⊙m (× size/Σm with rescaling), the
 * others frozen as they are.
 */
export function maskedWeights(
  frozen: ReadonlyMap<string, Float32Array>,
  masks: ReadonlyMap<string, Uint8Array>,
  rescale: boolean,
): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [name, w] of frozen) {
    const m = masks.get(name);
    if (!m) {
      out.set(name, w);
      continue;
    }
    let kept = 0;
    for (const v of m) kept += v;
    const factor = rescale ? Math.fround(w.length / Math.max(kept, 1)) : 1;
    out.set(
      name,
      w.map((v, i) => (m[i] ? Math.fround(v * factor) : 0)),
    );
  }
  return out;
}

const sigmoid = (s: number) => 1 / (1 + Math.exp(-s));

/**
 * Checkpoints of a learned-supermask training (the caller persists them; see learned-supermask.ts): the
 * scores, optimizer state, step (the mask noise's position), data order and curve.
 */
export type SupermaskCheckpointing = UnitCheckpointing;

export interface SupermaskTrainOptions {
  threads: number;
  onProgress?: (iteration: number, loss: number) => void;
  checkpointing?: SupermaskCheckpointing;
}

/** The learned scores, by masked parameter, with their shapes (mask = score > 0). */
export type SupermaskScores = Map<string, { data: Float32Array; shape: number[] }>;

/**
 * Trains a learned supermask for `config` (model, dataset, optimizer, learning rate, batch size,
 * iterations, evaluation interval, seed: the settings table's) on loaded `data`. The base engine
 * evaluates the final masks on the frozen weights.
 */
export async function trainLearnedSupermask(
  config: LotteryConfig,
  settings: SupermaskSettings,
  data: TrainData,
  base: TrainingEngine,
  opts: SupermaskTrainOptions,
): Promise<SupermaskResult> {
  return (await learnSupermaskScores(config, settings, data, base, opts)).result;
}

/** `trainLearnedSupermask`, also returning the learned scores. */
export async function learnSupermaskScores(
  config: LotteryConfig,
  settings: SupermaskSettings,
  data: TrainData,
  base: TrainingEngine,
  opts: SupermaskTrainOptions,
): Promise<{ result: SupermaskResult; scores: SupermaskScores }> {
  const seed = config.seed;
  const masked = (decl: { role: string; layerKind?: string }) => isPrunable(config, decl);
  const frozen = frozenWeights(base, config, seed, settings.signedConstant);
  const maskedNames = base.params.filter(masked).map((d) => d.name);
  const model = supermaskModel(base.model, {
    frozen,
    masked,
    scoreInit: settings.scoreInit,
    rescale: settings.rescale,
  });
  const engine = await TrainingEngine.create(model, {
    batchSize: config.batchSize,
    optimizer: config.optimizer,
    threads: opts.threads,
    masked: () => false, // every score trains; the frozen weights are constants of the graph
  });
  try {
    // θ = the scores' init; the mask noise's stream is (seed, step, layer): a checkpoint's step resumes it
    engine.initialize(seed);
    const result = await trainOnSchedule(engine, data, config, {
      ...(opts.onProgress ? { onProgress: (p) => opts.onProgress!(p.iteration, p.loss) } : {}),
      ...(opts.checkpointing ? { checkpointing: opts.checkpointing } : {}),
    });
    const scores = new Map(maskedNames.map((n) => [n, engine.getParam(scoreName(n))]));
    const accuracyOf = async (masks: ReadonlyMap<string, Uint8Array>) => {
      base.setWeights(maskedWeights(frozen, masks, settings.rescale));
      return (await base.evaluate(data.test.x, data.test.y, data.test.count)).accuracy;
    };
    const thresholded = new Map([...scores].map(([n, s]) => [n, Uint8Array.from(s, (v) => (v > 0 ? 1 : 0))]));
    const layers = maskedNames.map((name) => ({
      name,
      total: thresholded.get(name)!.length,
      kept: thresholded.get(name)!.reduce((a, b) => a + b, 0),
    }));
    const total = layers.reduce((a, l) => a + l.total, 0);
    let expected = 0;
    for (const s of scores.values()) for (const v of s) expected += sigmoid(v);
    const sampled: number[] = [];
    for (let k = 0; k < settings.samples; k++) {
      const rng = Rng.derive(seed, 'supermask-sample', k);
      const masks = new Map(
        [...scores].map(([n, s]) => [n, Uint8Array.from(s, (v) => (rng.float() < sigmoid(v) ? 1 : 0))]),
      );
      sampled.push(await accuracyOf(masks));
    }
    const rng = Rng.derive(seed, 'supermask-random');
    const random = new Map(layers.map((l) => [l.name, randomMask(l.total, l.kept, rng)]));
    const full = new Map(layers.map((l) => [l.name, new Uint8Array(l.total).fill(1)]));
    const shapes = new Map(base.params.map((d) => [d.name, d.shape]));
    const learned: SupermaskScores = new Map(
      [...scores].map(([n, data]) => [n, { data, shape: shapes.get(n)! }]),
    );
    const summary: SupermaskResult = {
      model: config.model,
      dataset: config.dataset,
      seed,
      iterations: config.iterations,
      settings,
      testAccuracyThresholded: await accuracyOf(thresholded),
      testAccuracySampled: sampled,
      testAccuracySampledMean: sampled.length ? sampled.reduce((a, b) => a + b, 0) / sampled.length : NaN,
      fractionKept: layers.reduce((a, l) => a + l.kept, 0) / total,
      expectedFractionKept: expected / total,
      layers,
      testAccuracyRandomMask: await accuracyOf(random),
      testAccuracyUnmasked: await accuracyOf(full),
      curve: result.curve,
      wallSeconds: result.wallSeconds,
      threads: engine.threads,
    };
    return { result: summary, scores: learned };
  } finally {
    await engine.release();
  }
}

/** `kept` ones at uniformly random positions among `total` (a partial Fisher–Yates shuffle). */
function randomMask(total: number, kept: number, rng: Rng): Uint8Array {
  const order = Uint32Array.from({ length: total }, (_, i) => i);
  const mask = new Uint8Array(total);
  for (let i = 0; i < kept; i++) {
    const j = i + rng.int(total - i);
    [order[i], order[j]] = [order[j], order[i]];
    mask[order[i]] = 1;
  }
  return mask;
}
