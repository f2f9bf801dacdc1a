/**
 * Shared by the train-*.test.ts files: a small synthetic MNIST-shaped set, a seeded LeNet-300-100
 * setup, and fingerprints (hashes of exact bytes) of results and checkpoints. Not a test file itself.
 */
import { createHash } from 'node:crypto';
import type { BatchSampler, LoadedDataset } from '../../src/data/index.js';
import { syntheticSet } from '../../src/data/synthetic.js';
import { TrainingEngine } from '../../src/engine/engine.js';
import { resolveConfig } from '../../src/lottery/resolve.js';
import { MODELS } from '../../src/models/zoo.js';
import { type TrainData, makeSampler, prepareData } from '../../src/train/data.js';
import type {
  TrainCheckpoint,
  TrainHooks,
  TrainOptions,
  TrainProgress,
  TrainResult,
} from '../../src/train/trainer.js';
import { Rng } from '../../src/util/rng.js';

export const shape = { channels: 1, height: 28, width: 28 };
export const loaded = {
  name: 'mnist',
  // 610 training examples: no checkpoint falls on an epoch boundary (BatchSampler.seek rejects index = count)
  train: syntheticSet(710, shape, 1),
  test: syntheticSet(200, shape, 2),
  classes: 10,
  source: 'synthetic (made by the test)',
} as LoadedDataset;

export const config = resolveConfig({ model: 'lenet300', dataset: 'mnist', validationSize: 100 });

export const OPTIONS: TrainOptions = {
  iterations: 60,
  learningRate: 1.2e-3,
  schedule: { warmup: 5, milestones: [40], gamma: 0.5 },
  evalEvery: 15,
  rewindIteration: 25,
  checkpointEvery: 20,
  divergenceLoss: 1e4,
};

let prepared: TrainData | undefined;
async function trainData(): Promise<TrainData> {
  prepared ??= await prepareData('mnist', { ...config, trainEvalSize: 50 }, loaded);
  return prepared;
}

/** A fresh LeNet-300-100 engine initialized from seed 0, on one thread (deterministic sums). */
async function freshEngine(): Promise<TrainingEngine> {
  const engine = await TrainingEngine.create(MODELS.lenet300.create({ inputShape: [784] }), {
    batchSize: config.batchSize,
    optimizer: config.optimizer,
    threads: 1,
  });
  engine.initialize(0);
  return engine;
}

/** Everything one training run needs, from the same seeds every time. */
export async function setup(): Promise<{ engine: TrainingEngine; data: TrainData; sampler: BatchSampler }> {
  const data = await trainData();
  const sampler = makeSampler(data, config.batchSize, Rng.derive(0, 'data-order').uint32());
  return { engine: await freshEngine(), data, sampler };
}

export function hashTensors(...maps: (ReadonlyMap<string, Float32Array> | undefined)[]): string {
  const h = createHash('sha256');
  for (const map of maps) {
    if (!map) {
      h.update('none');
      continue;
    }
    for (const name of [...map.keys()].sort()) {
      const v = map.get(name)!;
      h.update(name);
      h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    }
  }
  return h.digest('hex').slice(0, 16);
}

export const hashJson = (v: unknown) =>
  createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, 16);

export function fingerprintResult(r: TrainResult) {
  return {
    curve: hashJson(r.curve),
    evaluated: r.curve.map((p) => p.iteration),
    earlyStopIteration: r.earlyStopIteration,
    validationLossAtEarlyStop: r.validationLossAtEarlyStop,
    testAccuracyAtEarlyStop: r.testAccuracyAtEarlyStop,
    trainAccuracyAtEarlyStop: r.trainAccuracyAtEarlyStop,
    finalTestAccuracy: r.finalTestAccuracy,
    finalTrainAccuracy: r.finalTrainAccuracy,
    best: hashTensors(r.best.weights, r.best.buffers),
    rewind: hashTensors(r.rewind?.weights, r.rewind?.buffers),
  };
}

export function fingerprintCheckpoint(c: TrainCheckpoint) {
  return {
    iteration: c.iteration,
    step: c.engine.step,
    engine: hashTensors(c.engine.tensors),
    sampler: c.sampler,
    curve: hashJson(c.curve),
    bestIteration: c.best?.iteration ?? null,
    best: hashTensors(c.best?.weights, c.best?.buffers),
    rewind: hashTensors(c.rewind?.weights, c.rewind?.buffers),
  };
}

/** Hooks that keep a copy of every checkpoint (a checkpoint shares live state until it is written). */
export function recordingHooks() {
  const checkpoints: TrainCheckpoint[] = [];
  const progress: TrainProgress[] = [];
  const hooks: TrainHooks = {
    onProgress: (p) => progress.push(structuredClone(p)),
    saveCheckpoint: (c) => checkpoints.push(structuredClone(c)),
  };
  return { hooks, checkpoints, progress };
}

export const progressLog = (ps: TrainProgress[]) =>
  ps.map((p) => [p.iteration, p.iterations, p.loss, p.lastEval?.iteration ?? null]);
