// Fast unit tests of the training loop's bookkeeping, written to kill the mutants StrykerJS left alive
// in src/train (see docs/mutation.md). A scripted stand-in engine and sampler replace onnxruntime, so
// each test checks one rule of the protocol exactly: which iterations are evaluated, which one is the
// early-stopping point, what a checkpoint holds, what a resume restores, the learning rate per step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BatchSampler } from '../src/data/index.js';
import type { TrainingEngine } from '../src/engine/engine.js';
import type { TrainData } from '../src/train/data.js';
import { learningRateAt } from '../src/train/schedule.js';
import {
  type EvalPoint,
  type TrainCallback,
  type TrainCheckpoint,
  type TrainContext,
  type TrainOptions,
  checkpointing,
  divergenceCheck,
  evaluateAll,
  evaluation,
  rewindCapture,
  runTraining,
  trainResult,
} from '../src/train/trainer.js';

/** An engine whose single weight counts the steps taken; it records each step's learning rate and input. */
class ScriptedEngine {
  steps = 0;
  learningRates: number[] = [];
  inputs: number[] = [];
  labels: number[] = [];
  restoredFrom: unknown;
  readonly inputBuffer = new Float32Array(2);
  readonly labelBuffer = new Int32Array(1);
  constructor(private readonly lossAt: (step: number) => number = () => 1) {}
  async step(learningRate: number) {
    this.learningRates.push(learningRate);
    this.inputs.push(this.inputBuffer[0]);
    this.labels.push(this.labelBuffer[0]);
    this.steps++;
    return { loss: this.lossAt(this.steps) };
  }
  getWeights = () => new Map([['w', Float32Array.of(this.steps)]]);
  getBuffers = () => new Map([['b', Float32Array.of(-this.steps)]]);
  getState = () => ({ step: this.steps, tensors: this.getWeights() });
  async setState(state: { step: number }) {
    this.restoredFrom = state;
    this.steps = state.step;
  }
}

/** A sampler whose batch k is filled with the value k. */
class ScriptedSampler {
  drawn = 0;
  seekedTo: unknown;
  readonly x = new Float32Array(2);
  readonly y = new Int32Array(1);
  next() {
    this.drawn++;
    this.x.fill(this.drawn);
    this.y.fill(this.drawn + 100);
  }
  seek(position: { epoch: number; index: number }) {
    this.seekedTo = position;
    this.drawn = position.index;
  }
  position = () => ({ epoch: 0, index: this.drawn });
}

const OPTIONS: TrainOptions = {
  iterations: 6,
  learningRate: 0.1,
  schedule: { warmup: 2, milestones: [4], gamma: 0.5 },
  evalEvery: 3,
  checkpointEvery: 0,
  divergenceLoss: 100,
};

const asEngine = (e: ScriptedEngine) => e as unknown as TrainingEngine;
const asSampler = (s: ScriptedSampler) => s as unknown as BatchSampler;
const noData = {} as TrainData;

/** A callback that logs every call it gets. */
function logger(name = 'log', stopAt?: number) {
  const calls: string[] = [];
  const callback: TrainCallback = {
    name,
    onIteration: (it, c) => {
      calls.push(`${it}:${c.loss ?? '-'}`);
      return it === stopAt ? 'stop' : 'continue';
    },
    onEnd: (it) => void calls.push(`end:${it}`),
  };
  return { calls, callback };
}

const point = (iteration: number, validationLoss: number, testAccuracy = iteration / 100): EvalPoint => ({
  iteration,
  validationLoss,
  validationAccuracy: 0.5,
  testLoss: 1,
  testAccuracy,
  trainAccuracy: iteration / 1000,
});

test('learning rate: linear warmup from lr/warmup, then step decay by gamma at each milestone', () => {
  const schedule = { warmup: 4, milestones: [6, 8], gamma: 0.5 };
  const lrs = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => learningRateAt(1, schedule, i));
  assert.deepEqual(lrs, [0.25, 0.5, 0.75, 1, 1, 1, 0.5, 0.5, 0.25, 0.25]);
  assert.equal(learningRateAt(2, { warmup: 0, milestones: [], gamma: 0.1 }, 0), 2);
  assert.equal(learningRateAt(2, { warmup: 1, milestones: [0], gamma: 0.1 }, 0), 2 * 0.1);
});

test('runTraining: steps with the scheduled rate on the sampler’s batches, callbacks at 0..N, then onEnd', async () => {
  const engine = new ScriptedEngine((s) => s * 10);
  const sampler = new ScriptedSampler();
  const { calls, callback } = logger();
  const outcome = await runTraining(asEngine(engine), noData, asSampler(sampler), OPTIONS, [callback]);
  assert.deepEqual(sampler.seekedTo, { epoch: 0, index: 0 });
  assert.deepEqual(calls, ['0:-', '1:10', '2:20', '3:30', '4:40', '5:50', '6:60', 'end:6']);
  assert.deepEqual(
    engine.learningRates,
    [0, 1, 2, 3, 4, 5].map((i) => learningRateAt(0.1, OPTIONS.schedule, i)),
  );
  assert.deepEqual(engine.inputs, [1, 2, 3, 4, 5, 6], 'each step sees the batch drawn for it');
  assert.deepEqual(engine.labels, [101, 102, 103, 104, 105, 106]);
  assert.equal(outcome.iteration, 6);
  assert.equal(outcome.stoppedBy, undefined);
  assert.ok(outcome.wallSeconds >= 0 && outcome.wallSeconds < 60);
});

test('runTraining: the first callback to ask stops training at that iteration; later requests do not rename it', async () => {
  const engine = new ScriptedEngine();
  const first = logger('first', 2);
  const second = logger('second', 2);
  const laterStop: TrainCallback = { name: 'later', onIteration: (it) => (it >= 2 ? 'stop' : 'continue') };
  const outcome = await runTraining(asEngine(engine), noData, asSampler(new ScriptedSampler()), OPTIONS, [
    first.callback,
    second.callback,
    laterStop,
  ]);
  assert.equal(outcome.iteration, 2);
  assert.equal(outcome.stoppedBy, 'first');
  assert.equal(engine.steps, 2);
  assert.deepEqual(second.calls, ['0:-', '1:1', '2:1', 'end:2'], 'every callback still runs at the stop');
});

test('runTraining: context.record and context.checkpoint hold the iteration, state, curve and records', async () => {
  const saved: TrainCheckpoint[] = [];
  const recorder: TrainCallback = {
    name: 'recorder',
    onIteration(it, c: TrainContext) {
      c.record('twice', it * 2);
      if (it === 4) {
        c.curve.push(point(4, 1));
        saved.push(structuredClone(c.checkpoint()));
      }
      return 'continue';
    },
    save: (c) => void (c.callbacks!.recorder = { json: 'mine' }),
  };
  const engine = new ScriptedEngine();
  const outcome = await runTraining(
    asEngine(engine),
    noData,
    asSampler(new ScriptedSampler()),
    { ...OPTIONS, iterations: 5 },
    [recorder],
  );
  assert.deepEqual(
    outcome.records.map((r) => [r.iteration, r.name, r.value]),
    [0, 1, 2, 3, 4, 5].map((i) => [i, 'twice', i * 2]),
  );
  const c = saved[0];
  assert.equal(c.iteration, 4);
  assert.equal(c.engine.step, 4);
  assert.deepEqual(c.sampler, { epoch: 0, index: 4 });
  assert.deepEqual(
    c.curve.map((p) => p.iteration),
    [4],
  );
  assert.equal(c.records!.length, 5);
  assert.equal(c.best, null);
  assert.equal(c.rewind, null);
  assert.deepEqual(c.callbacks, { recorder: { json: 'mine' } });
  assert.ok(c.elapsedSeconds >= 0);
});

test('runTraining: a resume restores engine, sampler, curve, records and callbacks, and skips iteration 0', async () => {
  const engine = new ScriptedEngine();
  const sampler = new ScriptedSampler();
  const restored: TrainCheckpoint[] = [];
  const { calls, callback } = logger();
  const checkpoint: TrainCheckpoint = {
    iteration: 4,
    elapsedSeconds: 1000,
    engine: { step: 4, tensors: new Map() } as unknown as TrainCheckpoint['engine'],
    sampler: { epoch: 0, index: 4 },
    curve: [point(3, 2)],
    best: null,
    rewind: null,
    records: [{ iteration: 1, name: 'r', value: 1 }],
    callbacks: {},
  };
  const resumed = await runTraining(
    asEngine(engine),
    noData,
    asSampler(sampler),
    OPTIONS,
    [{ ...callback, restore: (c) => void restored.push(c) }],
    checkpoint,
  );
  assert.equal(engine.restoredFrom, checkpoint.engine);
  assert.deepEqual(sampler.seekedTo, { epoch: 0, index: 4 });
  assert.deepEqual(restored, [checkpoint]);
  assert.deepEqual(calls, ['5:1', '6:1', 'end:6'], 'no call at iteration 0 or again at 4');
  assert.equal(resumed.iteration, 6);
  assert.equal(resumed.curve, checkpoint.curve);
  assert.equal(resumed.records, checkpoint.records);
  assert.ok(resumed.wallSeconds >= 1000, 'wall time continues from the checkpoint');
  assert.deepEqual(engine.inputs, [5, 6], 'the batches after the checkpoint');
});

test('evaluation: at every evalEvery, at the last iteration, and at a stop; early stop = earliest strict minimum', async () => {
  const losses = new Map([
    [0, 5],
    [3, 2],
    [6, 2],
    [7, 1],
  ]);
  const evaluated: number[] = [];
  const evaluate: typeof evaluateAll = async (_e, _d, it) => (evaluated.push(it), point(it, losses.get(it)!));
  const engine = new ScriptedEngine();
  const curve: EvalPoint[] = [];
  const context = (steps: number) => {
    engine.steps = steps;
    return { engine, data: noData, curve, options: { ...OPTIONS, iterations: 7 } } as unknown as TrainContext;
  };
  const callback = evaluation(evaluate);
  assert.equal(callback.best, null);
  for (let it = 0; it <= 6; it++) assert.equal(await callback.onIteration(it, context(it)), 'continue');
  assert.deepEqual(evaluated, [0, 3, 6]);
  assert.equal(callback.best!.iteration, 3, 'the tie at 6 keeps the earlier point');
  assert.deepEqual(callback.best!.weights, new Map([['w', Float32Array.of(3)]]));
  assert.deepEqual(callback.best!.buffers, new Map([['b', Float32Array.of(-3)]]));
  await callback.onEnd!(6, context(6));
  assert.deepEqual(evaluated, [0, 3, 6], 'no second evaluation at an evaluated iteration');
  await callback.onIteration(7, context(7));
  assert.deepEqual(evaluated, [0, 3, 6, 7], 'the last iteration is evaluated');
  assert.equal(callback.best!.iteration, 7);

  const saved = { best: null } as TrainCheckpoint;
  callback.save!(saved);
  assert.equal(saved.best, callback.best);
  const other = evaluation(evaluate);
  other.restore!(saved);
  assert.equal(other.best, saved.best);

  // a stop between evaluation points is evaluated at the stop
  const stopped = evaluation(async (_e, _d, it) => point(it, 1));
  const c2 = { engine, data: noData, curve: [point(3, 1)], options: OPTIONS } as unknown as TrainContext;
  await stopped.onEnd!(4, c2);
  // and with nothing evaluated yet (a callback before it stopped training at once)
  const empty = { engine, data: noData, curve: [], options: OPTIONS } as unknown as TrainContext;
  await evaluation(async (_e, _d, it) => point(it, 1)).onEnd!(0, empty);
  assert.deepEqual(
    empty.curve.map((p) => p.iteration),
    [0],
  );
  assert.deepEqual(
    c2.curve.map((p) => p.iteration),
    [3, 4],
  );
});

test('evaluateAll: validation loss from the validation set, test accuracy from the test set, train from its sample', async () => {
  const sets = {
    validation: { x: Float32Array.of(1), y: Int32Array.of(0), count: 1 },
    test: { x: Float32Array.of(2), y: Int32Array.of(0), count: 2 },
    trainEval: { x: Float32Array.of(3), y: Int32Array.of(0), count: 3 },
  };
  const engine = {
    evaluate: async (x: Float32Array, _y: Int32Array, count: number) => ({
      loss: x[0] * 10 + count,
      accuracy: x[0] / 10,
    }),
  } as unknown as TrainingEngine;
  const withTrain = await evaluateAll(engine, sets as unknown as TrainData, 7);
  assert.deepEqual(withTrain, {
    iteration: 7,
    validationLoss: 11,
    validationAccuracy: 0.1,
    testLoss: 22,
    testAccuracy: 0.2,
    trainLoss: 33,
    trainAccuracy: 0.3,
  });
  const { trainEval: _t, ...noTrain } = sets;
  const without = await evaluateAll(engine, noTrain as unknown as TrainData, 7);
  assert.equal('trainLoss' in without, false);
  assert.equal('trainAccuracy' in without, false);
});

test('divergence: a loss above the limit, infinite or NaN stops with exit code 3; at the limit it goes on', () => {
  const check = divergenceCheck();
  const at = (loss: number | undefined) => () =>
    check.onIteration(9, { loss, options: OPTIONS } as unknown as TrainContext);
  assert.equal(at(undefined)(), 'continue');
  assert.equal(at(100)(), 'continue');
  assert.equal(at(-1)(), 'continue');
  for (const loss of [100.5, Infinity, -Infinity, NaN])
    assert.throws(at(loss), (e: Error & { exitCode?: number }) => {
      assert.match(e.message, /diverged at iteration 9/);
      assert.equal(e.exitCode, 3);
      return true;
    });
});

test('rewind capture: θ_k at exactly iteration k (never when k is undefined), saved and restored', () => {
  const engine = new ScriptedEngine();
  const ctx = { engine } as unknown as TrainContext;
  const capture = rewindCapture(2);
  for (const it of [0, 1]) {
    engine.steps = it;
    capture.onIteration(it, ctx);
  }
  assert.equal(capture.captured, null);
  engine.steps = 2;
  assert.equal(capture.onIteration(2, ctx), 'continue');
  engine.steps = 3;
  capture.onIteration(3, ctx);
  assert.deepEqual(capture.captured!.weights, new Map([['w', Float32Array.of(2)]]));
  const c = { rewind: null } as TrainCheckpoint;
  capture.save!(c);
  assert.equal(c.rewind, capture.captured);
  const other = rewindCapture(2);
  other.restore!(c);
  assert.equal(other.captured, capture.captured);
  const never = rewindCapture(undefined);
  for (const it of [0, 1, 2]) never.onIteration(it, ctx);
  assert.equal(never.captured, null);
});

test('checkpointing: every N iterations, never at 0, at the end or after a stop request', () => {
  const saved: number[] = [];
  const callback = checkpointing(2, (c) => void saved.push(c.iteration));
  const ctx = (iteration: number, stopRequestedBy?: string) =>
    ({
      options: { ...OPTIONS, iterations: 6 },
      stopRequestedBy,
      checkpoint: () => ({ iteration }),
    }) as unknown as TrainContext;
  for (let it = 0; it <= 6; it++) assert.equal(callback.onIteration(it, ctx(it)), 'continue');
  callback.onIteration(2, ctx(2, 'someone'));
  assert.deepEqual(saved, [2, 4]);
  const never: number[] = [];
  const off = checkpointing(0, (c) => void never.push(c.iteration));
  for (let it = 0; it <= 6; it++) off.onIteration(it, ctx(it));
  assert.deepEqual(never, []);
  assert.doesNotThrow(() => checkpointing(2, undefined).onIteration(2, ctx(2)));
});

test('trainResult: the early-stopping point’s losses and accuracies, the last point’s, and the stop', () => {
  const curve = [point(0, 3), point(10, 1), point(20, 2)];
  const best = { iteration: 10, weights: new Map(), buffers: new Map() };
  const outcome = { iteration: 20, curve, records: [], wallSeconds: 5 };
  const r = trainResult(outcome, best, null);
  assert.equal(r.earlyStopIteration, 10);
  assert.equal(r.validationLossAtEarlyStop, 1);
  assert.equal(r.testAccuracyAtEarlyStop, 0.1);
  assert.equal(r.trainAccuracyAtEarlyStop, 0.01);
  assert.equal(r.finalTestAccuracy, 0.2);
  assert.equal(r.finalTrainAccuracy, 0.02);
  assert.equal(r.best.weights, best.weights);
  assert.equal(r.best.buffers, best.buffers);
  assert.equal(r.rewind, undefined);
  assert.equal(r.wallSeconds, 5);
  assert.equal(r.records, outcome.records);
  assert.equal(r.stopped, undefined);
  assert.equal('stopped' in r, false);
  const theta = { weights: new Map(), buffers: new Map() };
  const s = trainResult({ ...outcome, stoppedBy: 'early' }, best, theta);
  assert.deepEqual(s.stopped, { iteration: 20, by: 'early' });
  assert.equal(s.rewind, theta);
  assert.throws(() => trainResult(outcome, null, null), /no evaluation had a validation loss/);
});
