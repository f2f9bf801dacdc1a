/**
 * The built-in callbacks `train` composes: the divergence check, θ_k capture, evaluation with the
 * early-stopping bookkeeping, progress reports and checkpointing. Each keeps its state to itself and
 * saves it into checkpoints (best and rewind keep the fields checkpoints had before callbacks).
 */
import type { TrainingEngine } from '../engine/engine.js';
import { UserError } from '../util/errors.js';
import type { EvalSet, TrainData } from './data.js';
import type {
  CallbackFunction,
  EvalPoint,
  TrainCallback,
  TrainCheckpoint,
  TrainContext,
  TrainProgress,
  TrainResult,
  WeightSnapshot,
} from './types.js';

/** Evaluates the engine on validation, test and (if present) the training sample. */
export async function evaluateAll(
  engine: TrainingEngine,
  data: TrainData,
  iteration: number,
): Promise<EvalPoint> {
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

export const snapshot = (engine: TrainingEngine): WeightSnapshot => ({
  weights: engine.getWeights(),
  buffers: engine.getBuffers(),
});

/** What to change when training diverges (running the same settings again diverges again). */
export const DIVERGENCE_FIX =
  'lower the learning rate (--lr), add warmup (--warmup), or check the data normalization';

/**
 * Training blew up (exit code 3). `train` attaches what was learned up to that point — the curve,
 * the early-stopping point among the evaluations before the blow-up — so the caller can keep it.
 */
export class DivergedError extends UserError {
  /** The evaluations before the divergence (set by `runTraining`). */
  curve?: EvalPoint[];
  /** The run up to the divergence (set by `train`). */
  partial?: TrainResult;

  constructor(
    readonly iteration: number,
    readonly loss: number,
  ) {
    super(`training diverged at iteration ${iteration}: the loss is ${loss}`, DIVERGENCE_FIX, 3);
  }
}

/** Throws a DivergedError when the last step's loss is not finite or above options.divergenceLoss. */
export function divergenceCheck(): TrainCallback {
  return {
    name: 'divergence',
    onIteration(iteration, { loss, options }) {
      if (loss !== undefined && (!Number.isFinite(loss) || loss > options.divergenceLoss))
        throw new DivergedError(iteration, loss);
      return 'continue';
    },
  };
}

export interface RewindCapture extends TrainCallback {
  /** θ_k once iteration k has been reached (or restored from a checkpoint), else null. */
  readonly captured: WeightSnapshot | null;
}

/** Captures the weights and buffers after `iteration` steps (θ_k); undefined = never. */
export function rewindCapture(iteration: number | undefined): RewindCapture {
  let captured: WeightSnapshot | null = null;
  return {
    name: 'rewind',
    get captured() {
      return captured;
    },
    onIteration(it, { engine }) {
      if (it === iteration) captured = snapshot(engine);
      return 'continue';
    },
    // snapshots are never mutated after they are taken, so sharing them is safe
    save: (c) => void (c.rewind = captured),
    restore: (c) => void (captured = c.rewind),
  };
}

export interface Evaluation extends TrainCallback {
  /** The early-stopping point so far: the EARLIEST evaluation of minimum validation loss. */
  readonly best: ({ iteration: number } & WeightSnapshot) | null;
}

/**
 * Evaluates every options.evalEvery iterations, at the last iteration, and (onEnd) at the iteration a
 * callback stopped training if that was not an evaluation point; appends each point to the curve and
 * snapshots the weights whenever the validation loss is strictly below the best so far, so ties keep
 * the earliest. `evaluate` is replaceable for tests of the bookkeeping.
 */
export function evaluation(evaluate = evaluateAll): Evaluation {
  let best: Evaluation['best'] = null;
  const evaluateAt = async (iteration: number, { engine, data, curve }: TrainContext) => {
    const point = await evaluate(engine, data, iteration);
    curve.push(point);
    const bestLoss = best ? curve.find((c) => c.iteration === best!.iteration)!.validationLoss : Infinity;
    if (point.validationLoss < bestLoss) best = { iteration, ...snapshot(engine) };
  };
  return {
    name: 'evaluation',
    get best() {
      return best;
    },
    async onIteration(iteration, context) {
      const { evalEvery, iterations } = context.options;
      if (iteration % evalEvery === 0 || iteration === iterations) await evaluateAt(iteration, context);
      return 'continue' as const;
    },
    async onEnd(iteration, context) {
      if (context.curve.at(-1)?.iteration !== iteration) await evaluateAt(iteration, context);
    },
    save: (c) => void (c.best = best),
    restore: (c) => void (best = c.best),
  };
}

/**
 * Reports each evaluation point (loss = validation loss) and, between them, the training loss every
 * `every` iterations. Runs after the evaluation callback.
 */
export function progressReport(
  onProgress: ((p: TrainProgress) => void) | undefined,
  every = 50,
): TrainCallback {
  let evalReported = -1;
  const report = (iteration: number, { curve, options, loss }: TrainContext, betweenEvals: boolean) => {
    const last = curve.at(-1);
    if (last?.iteration === iteration) {
      if (evalReported === iteration) return;
      evalReported = iteration;
      onProgress?.({ iteration, iterations: options.iterations, loss: last.validationLoss, lastEval: last });
    } else if (betweenEvals && iteration % every === 0 && loss !== undefined) {
      onProgress?.({ iteration, iterations: options.iterations, loss, lastEval: last });
    }
  };
  return {
    name: 'progress',
    onIteration(iteration, context) {
      report(iteration, context, true);
      return 'continue';
    },
    // the evaluation made at a stop
    onEnd: (iteration, context) => report(iteration, context, false),
  };
}

/**
 * Hands a checkpoint to `saveCheckpoint` every `every` iterations, except at iteration 0, at the last
 * iteration and when a callback asked to stop (training ends there; the result follows). Must run
 * last, so the checkpoint holds everything the other callbacks did at this iteration.
 */
export function checkpointing(
  every: number,
  saveCheckpoint: ((c: TrainCheckpoint) => void) | undefined,
): TrainCallback {
  return {
    name: 'checkpoint',
    onIteration(iteration, context) {
      if (
        every > 0 &&
        iteration > 0 &&
        iteration % every === 0 &&
        iteration < context.options.iterations &&
        context.stopRequestedBy === undefined &&
        saveCheckpoint
      )
        saveCheckpoint(context.checkpoint());
      return 'continue';
    },
  };
}

/** Gives a plain callback function a name (and so a place in the run's list of callbacks). */
export function namedCallback(name: string, onIteration: CallbackFunction): TrainCallback {
  return { name, onIteration };
}
