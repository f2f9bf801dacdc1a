/**
 * Learned supermasks (Zhou et al. 2019, Section 5): the network's weights stay frozen at θ₀ (or at
 * signed constants sign(θ₀)·std per layer), and only a score per prunable weight is trained, the
 * forward pass sampling its mask m ~ Bernoulli(σ(s)) with a straight-through gradient
 * (models/supermask.ts). Reported: test accuracy of the expected mask's rounding (σ(s) > 0.5) and the
 * mean over sampled masks, the fraction kept, and beside them a random mask of the same per-layer
 * counts on the same weights and the unmasked weights.
 */
import { join } from 'node:path';
import { TrainingEngine } from '../engine/engine.js';
import { initialValues } from '../engine/init.js';
import { isPrunable, type LotteryConfig } from '../lottery/config.js';
import { resultSettings } from '../lottery/resolve.js';
import { scoreName, supermaskModel } from '../models/supermask.js';
import { defaultRunsRoot, hashConfig, readJson, writeJsonAtomic } from '../store/index.js';
import type { TrainData } from '../train/data.js';
import { makeSampler } from '../train/data.js';
import { type EvalPoint, train } from '../train/trainer.js';
import { Rng } from '../util/rng.js';
import { setUpTraining } from './execute.js';
import { existsSync } from 'node:fs';

export interface SupermaskSettings {
  /** Initial score of every weight (Zhou's --sigmoid_bias): σ(0) = 0.5 keeps each weight half the time. */
  scoreInit: number;
  /** Dynamic weight rescaling: each masked layer × size / Σm. */
  rescale: boolean;
  /** Frozen weights sign(θ₀)·std(θ₀ of the layer) instead of θ₀. */
  signedConstant: boolean;
  /** Sampled masks whose test accuracies are averaged (Zhou: 10). */
  samples: number;
}

export const SUPERMASK_DEFAULTS: SupermaskSettings = {
  scoreInit: 0,
  rescale: false,
  signedConstant: false,
  samples: 10,
};

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
 * Trains a learned supermask for `config` (model, dataset, optimizer, learning rate, batch size,
 * iterations, evaluation interval, seed: the settings table's) on loaded `data`. The base engine
 * evaluates the final masks on the frozen weights.
 */
export async function trainLearnedSupermask(
  config: LotteryConfig,
  settings: SupermaskSettings,
  data: TrainData,
  base: TrainingEngine,
  opts: { threads: number; onProgress?: (iteration: number, loss: number) => void },
): Promise<SupermaskResult> {
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
    engine.initialize(seed);
    const sampler = makeSampler(data, config.batchSize, Rng.derive(seed, 'data-order').uint32());
    const result = await train(
      engine,
      data,
      sampler,
      {
        iterations: config.iterations,
        learningRate: config.learningRate,
        schedule: config.schedule,
        evalEvery: config.evalEvery,
        checkpointEvery: 0,
        divergenceLoss: config.divergenceLoss,
      },
      opts.onProgress ? { onProgress: (p) => opts.onProgress!(p.iteration, p.loss) } : {},
    );
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
    return {
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

/** What names a learned-supermask run: every result-affecting setting and the supermask settings. */
export function supermaskIdentity(
  config: LotteryConfig,
  settings: SupermaskSettings,
): Record<string, unknown> {
  return { kind: 'learned-supermask', settings: resultSettings(config), supermask: settings };
}

/**
 * Trains (or reads back, when the same settings were run before) a learned supermask and stores its
 * result in `<runs>/supermask/<model>-<dataset>-<hash>/result.json`.
 */
export async function learnSupermask(
  config: LotteryConfig,
  settings: SupermaskSettings,
  opts: {
    runsDir?: string;
    dataDir?: string;
    threads: number;
    onProgress?: (iteration: number, loss: number) => void;
  },
): Promise<{ dir: string; result: SupermaskResult; reused: boolean }> {
  const hash = hashConfig(supermaskIdentity(config, settings));
  // under runs/supermask/, beside the lottery runs: `runs list` and `runs gc` leave that folder alone
  const dir = join(defaultRunsRoot(opts.runsDir), 'supermask', `${config.model}-${config.dataset}-${hash}`);
  const path = join(dir, 'result.json');
  if (existsSync(path)) return { dir, result: readJson<SupermaskResult>(path), reused: true };
  const { data, engine } = await setUpTraining(config, opts);
  try {
    const result = await trainLearnedSupermask(config, settings, data, engine, opts);
    writeJsonAtomic(join(dir, 'identity.json'), supermaskIdentity(config, settings));
    writeJsonAtomic(path, result);
    return { dir, result, reused: false };
  } finally {
    await engine.release();
  }
}
