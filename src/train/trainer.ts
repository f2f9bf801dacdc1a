/**
 * Iteration-based training of one network: steps the compiled engine over seeded batches, evaluates
 * on validation and test every `evalEvery` iterations, records the early-stopping iteration (minimum
 * validation loss) with the test accuracy at it, snapshots θ_k for rewinding and the best weights,
 * and checkpoints so that a killed run resumes bit-identically.
 */
import type { BatchSampler, SamplerPosition } from '../data/index.js';
import type { EngineState, TrainingEngine } from '../engine/engine.js';
import { UserError } from '../util/errors.js';
import type { EvalSet, TrainData } from './data.js';
import { type Schedule, learningRateAt } from './schedule.js';

export interface EvalPoint {
  iteration: number;
  validationLoss: number;
  validationAccuracy: number;
  testLoss: number;
  testAccuracy: number;
  trainLoss?: number;
  trainAccuracy?: number;
}

export interface TrainOptions {
  iterations: number;
  learningRate: number;
  schedule: Schedule;
  evalEvery: number;
  /** Capture the weights after this many steps (θ_k, the rewind point); undefined = don't. */
  rewindIteration?: number;
  /** Save a resumable checkpoint every this many iterations (0 = never). */
  checkpointEvery: number;
  /** Stop with a clear message when the training loss exceeds this or is not finite. */
  divergenceLoss: number;
}

export interface TrainProgress {
  iteration: number;
  iterations: number;
  loss: number;
  lastEval?: EvalPoint;
}

/** Everything saved in a mid-run checkpoint. */
export interface TrainCheckpoint {
  iteration: number;
  /** Training time spent before this checkpoint (so a resumed run reports its whole wall time). */
  elapsedSeconds: number;
  engine: EngineState;
  sampler: SamplerPosition;
  curve: EvalPoint[];
  best: { iteration: number; weights: Map<string, Float32Array>; buffers: Map<string, Float32Array> } | null;
  rewind: { weights: Map<string, Float32Array>; buffers: Map<string, Float32Array> } | null;
}

export interface TrainHooks {
  onProgress?(p: TrainProgress): void;
  /** Persist a checkpoint (called every checkpointEvery iterations). */
  saveCheckpoint?(c: TrainCheckpoint): void;
}

export interface TrainResult {
  curve: EvalPoint[];
  earlyStopIteration: number;
  validationLossAtEarlyStop: number;
  testAccuracyAtEarlyStop: number;
  trainAccuracyAtEarlyStop?: number;
  finalTestAccuracy: number;
  finalTrainAccuracy?: number;
  /** Weights at the early-stopping iteration. */
  best: { weights: Map<string, Float32Array>; buffers: Map<string, Float32Array> };
  /** θ_k, if rewindIteration was set and reached. */
  rewind?: { weights: Map<string, Float32Array>; buffers: Map<string, Float32Array> };
  wallSeconds: number;
}

async function evaluateAll(engine: TrainingEngine, data: TrainData, iteration: number): Promise<EvalPoint> {
  const run = (s: EvalSet) => engine.evaluate(s.x, s.y, s.count);
  const validation = await run(data.validation);
  const test = await run(data.test);
  const point: EvalPoint = {
    iteration,
    validationLoss: validation.loss,
    validationAccuracy: validation.accuracy,
    testLoss: test.loss,
    testAccuracy: test.accuracy,
  };
  if (data.trainEval) {
    const train = await run(data.trainEval);
    point.trainLoss = train.loss;
    point.trainAccuracy = train.accuracy;
  }
  return point;
}

/**
 * Trains `engine` (weights, masks and optimizer state already set up) for `options.iterations` steps.
 * With `resume`, continues from a checkpoint instead (the engine state is restored from it).
 */
export async function train(
  engine: TrainingEngine,
  data: TrainData,
  sampler: BatchSampler,
  options: TrainOptions,
  hooks: TrainHooks = {},
  resume?: TrainCheckpoint,
): Promise<TrainResult> {
  const started = performance.now();
  let curve: EvalPoint[] = [];
  let best: TrainCheckpoint['best'] = null;
  let rewind: TrainCheckpoint['rewind'] = null;
  let start = 0;
  const snapshot = () => ({ weights: engine.getWeights(), buffers: engine.getBuffers() });
  if (resume) {
    await engine.setState(resume.engine);
    sampler.seek(resume.sampler);
    curve = resume.curve;
    best = resume.best;
    rewind = resume.rewind;
    start = resume.iteration;
  } else {
    sampler.seek({ epoch: 0, index: 0 });
  }
  const record = (point: EvalPoint) => {
    curve.push(point);
    const bestLoss = best ? curve.find((c) => c.iteration === best!.iteration)!.validationLoss : Infinity;
    if (point.validationLoss < bestLoss) best = { iteration: point.iteration, ...snapshot() };
    hooks.onProgress?.({
      iteration: point.iteration,
      iterations: options.iterations,
      loss: point.validationLoss,
      lastEval: point,
    });
  };
  if (start === 0) {
    if (options.rewindIteration === 0) rewind = snapshot();
    record(await evaluateAll(engine, data, 0));
  }
  const x = engine.inputBuffer;
  const y = engine.labelBuffer;
  for (let it = start; it < options.iterations;) {
    sampler.next();
    x.set(sampler.x);
    y.set(sampler.y);
    const { loss } = await engine.step(learningRateAt(options.learningRate, options.schedule, it));
    it++;
    if (!Number.isFinite(loss) || loss > options.divergenceLoss) {
      throw new UserError(
        `training diverged at iteration ${it}: the loss is ${loss}`,
        'lower the learning rate (--lr), add warmup (--warmup), or check the data normalization',
        3,
      );
    }
    if (it === options.rewindIteration) rewind = snapshot();
    if (it % options.evalEvery === 0 || it === options.iterations)
      record(await evaluateAll(engine, data, it));
    else if (it % 50 === 0)
      hooks.onProgress?.({ iteration: it, iterations: options.iterations, loss, lastEval: curve.at(-1) });
    if (
      options.checkpointEvery > 0 &&
      it % options.checkpointEvery === 0 &&
      it < options.iterations &&
      hooks.saveCheckpoint
    ) {
      hooks.saveCheckpoint({
        iteration: it,
        elapsedSeconds: (resume?.elapsedSeconds ?? 0) + (performance.now() - started) / 1000,
        engine: engine.getState(),
        sampler: sampler.position(),
        curve,
        best,
        rewind,
      });
    }
  }
  const bestPoint = curve.find((c) => c.iteration === best!.iteration)!;
  const last = curve.at(-1)!;
  return {
    curve,
    earlyStopIteration: bestPoint.iteration,
    validationLossAtEarlyStop: bestPoint.validationLoss,
    testAccuracyAtEarlyStop: bestPoint.testAccuracy,
    trainAccuracyAtEarlyStop: bestPoint.trainAccuracy,
    finalTestAccuracy: last.testAccuracy,
    finalTrainAccuracy: last.trainAccuracy,
    best: { weights: best!.weights, buffers: best!.buffers },
    rewind: rewind ?? undefined,
    wallSeconds: (resume?.elapsedSeconds ?? 0) + (performance.now() - started) / 1000,
  };
}
