/**
 * The trainer's shared types: its options, results and checkpoints, and the callback protocol that
 * everything acting during training (evaluation, checkpoints, θ_k capture, and later gradual pruning
 * or early-bird detection) goes through. trainer.ts re-exports all of them.
 */
import type { BatchSampler, SamplerPosition } from '../data/index.js';
import type { EngineState, TrainingEngine } from '../engine/engine.js';
import type { TrainData } from './data.js';
import type { Schedule } from './schedule.js';

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
  /**
   * The schedule's position at iteration 0 (default 0): step i trains at the learning rate of step
   * scheduleOffset + i (learning-rate and weight rewinding replay the schedule from k).
   */
  scheduleOffset?: number;
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

/** Weights and buffers (e.g. batch-norm statistics) at one moment. */
export interface WeightSnapshot {
  weights: Map<string, Float32Array>;
  buffers: Map<string, Float32Array>;
}

/** A value a callback recorded at an iteration (see TrainContext.record). */
export interface RecordedValue {
  iteration: number;
  name: string;
  value: number;
}

/**
 * The saved state of a callback that is not built in: JSON-serializable data and named tensors.
 * Whoever persists a checkpoint writes both and gives them back unchanged on resume.
 */
export interface CallbackState {
  json?: unknown;
  tensors?: Map<string, Float32Array>;
}

/** Everything saved in a mid-run checkpoint. */
export interface TrainCheckpoint {
  iteration: number;
  /** Training time spent before this checkpoint (so a resumed run reports its whole wall time). */
  elapsedSeconds: number;
  engine: EngineState;
  sampler: SamplerPosition;
  curve: EvalPoint[];
  /** State of the built-in evaluation callback: the weights at the early-stopping iteration so far. */
  best: ({ iteration: number } & WeightSnapshot) | null;
  /** State of the built-in θ_k capture. */
  rewind: WeightSnapshot | null;
  /** Values recorded by callbacks so far (absent in checkpoints written before callbacks existed). */
  records?: RecordedValue[];
  /** State of the other callbacks, by callback name (see TrainCallback.save). */
  callbacks?: Record<string, CallbackState>;
}

export type CallbackDecision = 'continue' | 'stop';

/** What a callback sees: the engine, the run's settings and data, the curve so far. */
export interface TrainContext {
  /** Weights and masks: engine.getWeights/setWeights/getMasks/setMasks (and getBuffers). */
  readonly engine: TrainingEngine;
  readonly data: TrainData;
  readonly options: TrainOptions;
  readonly sampler: BatchSampler;
  /** The evaluation points so far, oldest first (the built-in evaluation callback appends to it). */
  readonly curve: EvalPoint[];
  /** The training loss of the step just taken; undefined at iteration 0 (before any step). */
  readonly loss: number | undefined;
  /** Name of a callback that already asked to stop at this iteration, if any. */
  readonly stopRequestedBy: string | undefined;
  /** Values recorded so far (in TrainResult.records at the end, and kept in checkpoints). */
  readonly records: readonly RecordedValue[];
  /** Records a named value at the current iteration. */
  record(name: string, value: number): void;
  /** A complete checkpoint of this moment, with every callback's state (TrainCallback.save). */
  checkpoint(): TrainCheckpoint;
  /** Training time so far, including the time before the checkpoint this run resumed from. */
  elapsedSeconds(): number;
}

/**
 * The plain form of a callback: called once at iteration 0 before the first step, then after every
 * step with the number of steps taken; 'stop' ends training after this iteration's callbacks ran.
 * Returning nothing means 'continue'. (TypeScript widens the literal in an async function whose only
 * decision is 'continue': write `'continue' as const` there, or return nothing.)
 */
export type CallbackFunction = (
  iteration: number,
  context: TrainContext,
) => CallbackDecision | void | Promise<CallbackDecision | void>;

/** A callback with a name, an optional end-of-training action and state that survives a resume. */
export interface TrainCallback {
  /** Unique among a run's callbacks: the key of its state in TrainCheckpoint.callbacks. */
  readonly name: string;
  onIteration: CallbackFunction;
  /** Called once after the last iteration (whether training completed or was stopped). */
  onEnd?(iteration: number, context: TrainContext): void | Promise<void>;
  /**
   * Puts this callback's state into a checkpoint being assembled. Built-ins use the checkpoint's own
   * fields (best, rewind); any other callback sets `checkpoint.callbacks[name]` (initialized to {}),
   * with copies, not live references: the checkpoint may be kept after training goes on.
   */
  save?(checkpoint: TrainCheckpoint): void;
  /**
   * Restores the state saved by `save` before training resumes from `checkpoint`. Called for every
   * checkpoint, including ones saved without this callback's state (e.g. by an older writer).
   */
  restore?(checkpoint: TrainCheckpoint): void;
}

export interface TrainHooks {
  onProgress?(p: TrainProgress): void;
  /** Persist a checkpoint (called every checkpointEvery iterations). */
  saveCheckpoint?(c: TrainCheckpoint): void;
  /**
   * Extra callbacks, run in this order after the built-in divergence check, θ_k capture, evaluation
   * and progress report, and before checkpointing (so a checkpoint holds what they did). A plain
   * function is named `callback-<index>` and has no state to save.
   */
  callbacks?: (TrainCallback | CallbackFunction)[];
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
  best: WeightSnapshot;
  /** θ_k, if rewindIteration was set and reached. */
  rewind?: WeightSnapshot;
  wallSeconds: number;
  /** Values recorded by callbacks (TrainContext.record). */
  records?: RecordedValue[];
  /** Set when a callback stopped training: the last iteration run and the callback's name. */
  stopped?: { iteration: number; by: string };
}
