/**
 * Iteration-based training of one network: steps the compiled engine over seeded batches and hands
 * every iteration to a list of callbacks. `train` composes the built-in ones — divergence check, θ_k
 * capture for rewinding, evaluation on validation and test every `evalEvery` iterations with the
 * early-stopping bookkeeping (minimum validation loss, its weights and test accuracy), progress and
 * checkpoints from which a killed run resumes bit-identically — with any the caller adds.
 */
import type { BatchSampler } from '../data/index.js';
import type { TrainingEngine } from '../engine/engine.js';
import {
  type Evaluation,
  type RewindCapture,
  DivergedError,
  checkpointing,
  divergenceCheck,
  evaluation,
  namedCallback,
  progressReport,
  rewindCapture,
} from './callbacks.js';
import type { TrainData } from './data.js';
import { learningRateAt } from './schedule.js';
import type {
  EvalPoint,
  RecordedValue,
  TrainCallback,
  TrainCheckpoint,
  TrainContext,
  TrainHooks,
  TrainOptions,
  TrainResult,
  WeightSnapshot,
} from './types.js';

export type * from './types.js';
export {
  type Evaluation,
  type RewindCapture,
  DIVERGENCE_FIX,
  DivergedError,
  checkpointing,
  divergenceCheck,
  evaluateAll,
  evaluation,
  namedCallback,
  progressReport,
  rewindCapture,
} from './callbacks.js';

/** How a run of callbacks ended (what `runTraining` returns). */
export interface TrainingOutcome {
  /** Steps taken in all (including those before the checkpoint resumed from). */
  iteration: number;
  curve: EvalPoint[];
  records: RecordedValue[];
  /** The first callback that asked to stop, if one did. */
  stoppedBy?: string;
  wallSeconds: number;
}

/**
 * Steps `engine` up to options.iterations times, calling every callback in order once at iteration 0
 * (unless resuming) and after each step, until one asks to stop; then every callback's onEnd. With
 * `resume`, the engine, the sampler, the curve, the records and each callback's state are restored
 * from the checkpoint first. Nothing is evaluated or saved unless a callback does it.
 */
export async function runTraining(
  engine: TrainingEngine,
  data: TrainData,
  sampler: BatchSampler,
  options: TrainOptions,
  callbacks: TrainCallback[],
  resume?: TrainCheckpoint,
): Promise<TrainingOutcome> {
  const names = new Set<string>();
  for (const c of callbacks) {
    if (names.has(c.name)) throw new Error(`two training callbacks are named "${c.name}"`);
    names.add(c.name);
  }
  const started = performance.now();
  const elapsedSeconds = () => (resume?.elapsedSeconds ?? 0) + (performance.now() - started) / 1000;
  let iteration = 0;
  let loss: number | undefined;
  let stopRequestedBy: string | undefined;
  let curve: EvalPoint[] = [];
  let records: RecordedValue[] = [];
  if (resume) {
    await engine.setState(resume.engine);
    sampler.seek(resume.sampler);
    curve = resume.curve;
    records = resume.records ?? [];
    for (const c of callbacks) c.restore?.(resume);
    iteration = resume.iteration;
  } else {
    sampler.seek({ epoch: 0, index: 0 });
  }
  const context: TrainContext = {
    engine,
    data,
    options,
    sampler,
    get curve() {
      return curve;
    },
    get loss() {
      return loss;
    },
    get stopRequestedBy() {
      return stopRequestedBy;
    },
    get records() {
      return records;
    },
    record: (name, value) => void records.push({ iteration, name, value }),
    checkpoint() {
      const c: TrainCheckpoint = {
        iteration,
        elapsedSeconds: elapsedSeconds(),
        engine: engine.getState(),
        sampler: sampler.position(),
        curve,
        best: null,
        rewind: null,
        records,
        callbacks: {},
      };
      for (const callback of callbacks) callback.save?.(c);
      return c;
    },
    elapsedSeconds,
  };
  const runCallbacks = async () => {
    for (const c of callbacks)
      if ((await c.onIteration(iteration, context)) === 'stop') stopRequestedBy ??= c.name;
  };
  try {
    if (iteration === 0) await runCallbacks();
    const x = engine.inputBuffer;
    const y = engine.labelBuffer;
    while (stopRequestedBy === undefined && iteration < options.iterations) {
      sampler.next();
      x.set(sampler.x);
      y.set(sampler.y);
      const position = (options.scheduleOffset ?? 0) + iteration;
      loss = (await engine.step(learningRateAt(options.learningRate, options.schedule, position))).loss;
      iteration++;
      await runCallbacks();
    }
  } catch (error) {
    if (error instanceof DivergedError) error.curve = curve; // the evaluations before the blow-up
    throw error;
  }
  for (const c of callbacks) await c.onEnd?.(iteration, context);
  return { iteration, curve, records, stoppedBy: stopRequestedBy, wallSeconds: elapsedSeconds() };
}

/** The built-in callbacks `train` runs, around the caller's `extra` ones (see TrainHooks.callbacks). */
export function standardCallbacks(
  options: TrainOptions,
  hooks: TrainHooks = {},
): { callbacks: TrainCallback[]; evaluation: Evaluation; rewind: RewindCapture } {
  const evaluationCallback = evaluation();
  const rewind = rewindCapture(options.rewindIteration);
  const extra = (hooks.callbacks ?? []).map((c, i) =>
    typeof c === 'function' ? namedCallback(`callback-${i}`, c) : c,
  );
  const callbacks = [
    divergenceCheck(),
    rewind,
    evaluationCallback,
    progressReport(hooks.onProgress),
    ...extra,
    checkpointing(options.checkpointEvery, hooks.saveCheckpoint),
  ];
  return { callbacks, evaluation: evaluationCallback, rewind };
}

/**
 * Trains `engine` (weights, masks and optimizer state already set up) for `options.iterations` steps,
 * or until a callback in hooks.callbacks stops it. With `resume`, continues from a checkpoint instead
 * (the engine state is restored from it).
 */
export async function train(
  engine: TrainingEngine,
  data: TrainData,
  sampler: BatchSampler,
  options: TrainOptions,
  hooks: TrainHooks = {},
  resume?: TrainCheckpoint,
): Promise<TrainResult> {
  const standard = standardCallbacks(options, hooks);
  const started = performance.now();
  try {
    const outcome = await runTraining(engine, data, sampler, options, standard.callbacks, resume);
    return trainResult(outcome, standard.evaluation.best, standard.rewind.captured);
  } catch (error) {
    // keep the run up to the blow-up: its curve and the early-stopping point before it
    if (error instanceof DivergedError && error.curve && standard.evaluation.best) {
      const wallSeconds = (resume?.elapsedSeconds ?? 0) + (performance.now() - started) / 1000;
      const outcome = { iteration: error.iteration, curve: error.curve, records: [], wallSeconds };
      error.partial = trainResult(outcome, standard.evaluation.best, null);
    }
    throw error;
  }
}

/** The result of a run from its outcome, its early-stopping point and θ_k. */
export function trainResult(
  outcome: TrainingOutcome,
  best: Evaluation['best'],
  rewind: WeightSnapshot | null,
): TrainResult {
  const { curve } = outcome;
  if (!best) throw new Error('no evaluation had a validation loss to select an early-stopping point by');
  const bestPoint = curve.find((c) => c.iteration === best.iteration)!;
  const last = curve.at(-1)!;
  const result: TrainResult = {
    curve,
    earlyStopIteration: bestPoint.iteration,
    validationLossAtEarlyStop: bestPoint.validationLoss,
    testAccuracyAtEarlyStop: bestPoint.testAccuracy,
    trainAccuracyAtEarlyStop: bestPoint.trainAccuracy,
    finalTestAccuracy: last.testAccuracy,
    finalTrainAccuracy: last.trainAccuracy,
    best: { weights: best.weights, buffers: best.buffers },
    rewind: rewind ?? undefined,
    wallSeconds: outcome.wallSeconds,
    records: outcome.records,
  };
  if (outcome.stoppedBy !== undefined)
    result.stopped = { iteration: outcome.iteration, by: outcome.stoppedBy };
  return result;
}
