import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type TrainCallback,
  type TrainCheckpoint,
  type TrainOptions,
  type TrainResult,
  evaluateAll,
  evaluation,
  runTraining,
  train,
  trainResult,
} from '../src/train/trainer.js';
import { CONSTANT } from '../src/train/schedule.js';
import {
  OPTIONS,
  fingerprintCheckpoint,
  fingerprintResult,
  hashJson,
  hashTensors,
  progressLog,
  recordingHooks,
  setup,
} from './helpers/train-fixture.js';

/**
 * Recorded with the trainer as it was before callbacks (commit fdeb1ad): what the results, the
 * checkpoints and the progress reports of these runs must stay, bit for bit (hashes of the exact
 * bytes of every tensor and of the curve's JSON).
 */
const PINNED: { name: string; options: TrainOptions; expected: unknown }[] = [
  {
    name: 'warmup and a milestone, θ_k at 25, checkpoints at 20 and 40',
    options: OPTIONS,
    expected: {
      result: {
        curve: '0ff37bf66f5acbb1',
        evaluated: [0, 15, 30, 45, 60],
        earlyStopIteration: 15,
        validationLossAtEarlyStop: 2.4350099182128906,
        testAccuracyAtEarlyStop: 0.085,
        trainAccuracyAtEarlyStop: 0.18,
        finalTestAccuracy: 0.095,
        finalTrainAccuracy: 0.62,
        best: '3374b9a92c41d6c8',
        rewind: '4cacd4224af5f38b',
      },
      final: '88a8aff950b204a9',
      checkpoints: [
        {
          iteration: 20,
          step: 20,
          engine: '366fe6774bd12e80',
          sampler: { epoch: 1, index: 590 },
          curve: '734d20d5a30b2fbd',
          bestIteration: 15,
          best: '3374b9a92c41d6c8',
          rewind: '29d7a9e04047a19a',
        },
        {
          iteration: 40,
          step: 40,
          engine: 'd19c34bdac452d37',
          sampler: { epoch: 3, index: 570 },
          curve: '5ad7c43d60bcf512',
          bestIteration: 15,
          best: '3374b9a92c41d6c8',
          rewind: '4cacd4224af5f38b',
        },
      ],
      progress: 'dc3b16fb41724535',
      progressIterations: [0, 15, 30, 45, 50, 60],
    },
  },
  {
    name: 'evaluation interval not dividing the run, θ_k at 0, no checkpoints',
    options: {
      ...OPTIONS,
      iterations: 35,
      evalEvery: 25,
      rewindIteration: 0,
      checkpointEvery: 0,
      schedule: CONSTANT,
    },
    expected: {
      result: {
        curve: '0f30a52f7b552801',
        evaluated: [0, 25, 35],
        earlyStopIteration: 35,
        validationLossAtEarlyStop: 2.462427673339844,
        testAccuracyAtEarlyStop: 0.07,
        trainAccuracyAtEarlyStop: 0.42,
        finalTestAccuracy: 0.07,
        finalTrainAccuracy: 0.42,
        best: '05cb2c854eac2884',
        rewind: '05c506b13cc6b292',
      },
      final: '05cb2c854eac2884',
      checkpoints: [],
      progress: '1be10bffe2b7cc4a',
      progressIterations: [0, 25, 35],
    },
  },
];

for (const pinned of PINNED) {
  test(`pinned (${pinned.name}): results, checkpoints and progress are those recorded before callbacks`, async () => {
    const { hooks, checkpoints, progress } = recordingHooks();
    const { engine, data, sampler } = await setup();
    const result = await train(engine, data, sampler, pinned.options, hooks);
    const final = hashTensors(engine.getWeights(), engine.getBuffers());
    await engine.release();
    const observed = {
      result: fingerprintResult(result),
      final,
      checkpoints: checkpoints.map(fingerprintCheckpoint),
      progress: hashJson(progressLog(progress)),
      progressIterations: progress.map((p) => p.iteration),
    };
    assert.deepEqual(observed, pinned.expected);
    // resuming from any checkpoint on a fresh engine ends where the uninterrupted run ended
    for (const checkpoint of checkpoints) {
      const resumed = recordingHooks();
      const s = await setup();
      const r = await train(
        s.engine,
        s.data,
        s.sampler,
        pinned.options,
        resumed.hooks,
        structuredClone(checkpoint),
      );
      assert.deepEqual(fingerprintResult(r), observed.result, `resumed from ${checkpoint.iteration}`);
      assert.equal(hashTensors(s.engine.getWeights(), s.engine.getBuffers()), final);
      await s.engine.release();
      assert.deepEqual(
        resumed.checkpoints.map(fingerprintCheckpoint),
        observed.checkpoints.filter((c) => c.iteration > checkpoint.iteration),
      );
      assert.deepEqual(
        progressLog(resumed.progress),
        progressLog(progress).filter(([it]) => (it as number) > checkpoint.iteration),
      );
    }
  });
}

/** The uninterrupted run of OPTIONS with a copy of each checkpoint (computed once, shared by tests). */
let reference: Promise<{ result: TrainResult; checkpoints: TrainCheckpoint[]; final: string }> | undefined;
function referenceRun() {
  reference ??= (async () => {
    const { hooks, checkpoints } = recordingHooks();
    const { engine, data, sampler } = await setup();
    const result = await train(engine, data, sampler, OPTIONS, hooks);
    const final = hashTensors(engine.getWeights(), engine.getBuffers());
    await engine.release();
    return { result, checkpoints, final };
  })();
  return reference;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('a callback that stops at iteration N ends training there, evaluated at N, with the curve up to N', async () => {
  const full = await referenceRun();
  for (const stopAt of [23, 30, 0]) {
    const { hooks, checkpoints } = recordingHooks();
    const seen: number[] = [];
    hooks.callbacks = [
      (iteration) => (iteration === stopAt ? 'stop' : 'continue'),
      // a callback after the one that stopped still sees the stopping iteration, and knows
      { name: 'watcher', onIteration: (it, c) => (seen.push(it), c.stopRequestedBy ? 'stop' : 'continue') },
    ];
    const { engine, data, sampler } = await setup();
    const result = await train(engine, data, sampler, OPTIONS, hooks);
    assert.equal(engine.getState().step, stopAt, 'steps taken');
    await engine.release();
    assert.deepEqual(seen, range(0, stopAt));
    assert.deepEqual(result.stopped, { iteration: stopAt, by: 'callback-0' });
    const evaluated = [0, 15, 30].filter((i) => i < stopAt);
    assert.deepEqual(
      result.curve.map((p) => p.iteration),
      [...evaluated, stopAt],
      `stop at ${stopAt}: evaluated at the stop too, once`,
    );
    // the points before the stop are the uninterrupted run's, bit for bit
    assert.deepEqual(result.curve.slice(0, evaluated.length), full.result.curve.slice(0, evaluated.length));
    assert.equal(result.finalTestAccuracy, result.curve.at(-1)!.testAccuracy);
    // checkpoints before the stop only; none at the stop itself
    assert.deepEqual(
      checkpoints.map((c) => c.iteration),
      [20].filter((i) => i < stopAt),
    );
  }
});

/** A callback that remembers every iteration it saw and keeps that list in checkpoints. */
function countingCallback() {
  let seen: number[] = [];
  return {
    get seen() {
      return seen;
    },
    callback: {
      name: 'counter',
      onIteration(iteration, context) {
        seen.push(iteration);
        if (iteration % 10 === 0) context.record('calls', seen.length);
        return 'continue';
      },
      save: (c) => void (c.callbacks!.counter = { json: [...seen] }),
      restore: (c) => void (seen = [...(c.callbacks!.counter.json as number[])]),
    } satisfies TrainCallback,
  };
}

test('a counting callback sees every iteration exactly once, also across a crash and a checkpoint resume', async () => {
  const full = await referenceRun();
  // uninterrupted
  const whole = countingCallback();
  const s1 = await setup();
  const r1 = await train(s1.engine, s1.data, s1.sampler, OPTIONS, { callbacks: [whole.callback] });
  await s1.engine.release();
  assert.deepEqual(whole.seen, range(0, OPTIONS.iterations));
  assert.deepEqual(
    fingerprintResult(r1),
    fingerprintResult(full.result),
    'a callback that only watches changes nothing',
  );
  const recorded = range(0, 6).map((k) => ({ iteration: k * 10, name: 'calls', value: k * 10 + 1 }));
  assert.deepEqual(r1.records, recorded);

  // killed at iteration 33 (after the checkpoint at 20), then resumed from that checkpoint
  const first = countingCallback();
  const { hooks, checkpoints } = recordingHooks();
  const crash: TrainCallback = {
    name: 'crash',
    onIteration: (it) => {
      if (it === 33) throw new Error('killed');
      return 'continue';
    },
  };
  hooks.callbacks = [first.callback, crash];
  const s2 = await setup();
  await assert.rejects(train(s2.engine, s2.data, s2.sampler, OPTIONS, hooks), /killed/);
  await s2.engine.release();
  assert.deepEqual(
    checkpoints.map((c) => c.iteration),
    [20],
  );
  assert.deepEqual(checkpoints[0].callbacks, { counter: { json: range(0, 20) } });

  const second = countingCallback();
  const s3 = await setup();
  const r3 = await train(
    s3.engine,
    s3.data,
    s3.sampler,
    OPTIONS,
    { callbacks: [second.callback] },
    checkpoints[0],
  );
  const final = hashTensors(s3.engine.getWeights(), s3.engine.getBuffers());
  await s3.engine.release();
  assert.deepEqual(second.seen, range(0, OPTIONS.iterations), 'each iteration once, in order');
  assert.deepEqual(r3.records, recorded, 'records made before the checkpoint survive the resume');
  assert.deepEqual(fingerprintResult(r3), fingerprintResult(full.result));
  assert.equal(final, full.final);
});

test('the early-stopping point is the EARLIEST minimum of validation loss, with the test accuracy and weights of that iteration', async () => {
  // validation losses with a tie at the minimum (30 and 45); distinct test accuracies at every point
  const scripted = new Map([
    [0, { validationLoss: 3, testAccuracy: 0.1 }],
    [15, { validationLoss: 2, testAccuracy: 0.2 }],
    [30, { validationLoss: 1.5, testAccuracy: 0.3 }],
    [45, { validationLoss: 1.5, testAccuracy: 0.45 }],
    [60, { validationLoss: 1.75, testAccuracy: 0.6 }],
  ]);
  const evaluate: typeof evaluateAll = async (engine, data, iteration) => ({
    ...(await evaluateAll(engine, data, iteration)),
    ...scripted.get(iteration)!,
  });
  const weightsAt = new Map<number, string>();
  const capture: TrainCallback = {
    name: 'capture',
    onIteration: (it, c) => (
      scripted.has(it) && weightsAt.set(it, hashTensors(c.engine.getWeights())),
      'continue'
    ),
  };
  const evaluationCallback = evaluation(evaluate);
  const { engine, data, sampler } = await setup();
  const outcome = await runTraining(engine, data, sampler, OPTIONS, [evaluationCallback, capture]);
  await engine.release();
  const result = trainResult(outcome, evaluationCallback.best, null);
  assert.deepEqual(
    result.curve.map((p) => p.validationLoss),
    [3, 2, 1.5, 1.5, 1.75],
  );
  assert.equal(result.earlyStopIteration, 30);
  assert.equal(result.validationLossAtEarlyStop, 1.5);
  assert.equal(result.testAccuracyAtEarlyStop, 0.3);
  assert.equal(result.finalTestAccuracy, 0.6);
  assert.notEqual(weightsAt.get(30), weightsAt.get(45), 'the tied points have different weights');
  assert.equal(hashTensors(result.best.weights), weightsAt.get(30));

  // a real tie through train(): at learning rate 0 every evaluation is identical, so the first wins
  const frozen = await setup();
  const r = await train(frozen.engine, frozen.data, frozen.sampler, { ...OPTIONS, learningRate: 0 });
  const untrained = hashTensors(frozen.engine.getWeights());
  await frozen.engine.release();
  assert.equal(new Set(r.curve.map((p) => p.validationLoss)).size, 1, 'all validation losses tie');
  assert.equal(r.curve.length, 5);
  assert.equal(r.earlyStopIteration, 0);
  assert.equal(r.testAccuracyAtEarlyStop, r.curve[0].testAccuracy);
  assert.equal(hashTensors(r.best.weights), untrained);
});

test('callbacks must have distinct names (their checkpoint state is kept by name)', async () => {
  const noop: TrainCallback = { name: 'same', onIteration: () => 'continue' };
  await assert.rejects(
    runTraining(undefined as never, undefined as never, undefined as never, OPTIONS, [noop, { ...noop }]),
    /two training callbacks are named "same"/,
  );
});

test('a callback can prune during training through the engine, and a resume keeps what it did', async () => {
  // at iteration 30, prune the half of fc1 with the smallest magnitudes (a one-step "gradual" pruning)
  const pruneAt30: TrainCallback = {
    name: 'prune',
    async onIteration(iteration, { engine, record }) {
      if (iteration !== 30) return; // nothing = 'continue'
      const w = engine.getWeights().get('fc1.weight')!;
      const threshold = Float32Array.from(w, Math.abs).sort()[w.length >> 1];
      const masks = engine.getMasks();
      masks.set(
        'fc1.weight',
        Uint8Array.from(w, (v) => (Math.abs(v) >= threshold ? 1 : 0)),
      );
      await engine.setMasks(masks);
      record(
        'fc1 kept',
        masks.get('fc1.weight')!.reduce((a, b) => a + b, 0),
      );
      return 'continue';
    },
  };
  const { hooks, checkpoints } = recordingHooks();
  hooks.callbacks = [pruneAt30];
  const s = await setup();
  const result = await train(s.engine, s.data, s.sampler, OPTIONS, hooks);
  const mask = s.engine.getMasks().get('fc1.weight')!;
  const weights = s.engine.getWeights().get('fc1.weight')!;
  const final = hashTensors(s.engine.getWeights());
  await s.engine.release();
  assert.deepEqual(result.records, [{ iteration: 30, name: 'fc1 kept', value: mask.length / 2 }]);
  weights.forEach((v, i) => mask[i] || assert.equal(v, 0, 'pruned weights stay 0'));
  // the checkpoint at 40 carries the mask; resumed from it without the callback, training ends the same
  const resumed = await setup();
  const r = await train(resumed.engine, resumed.data, resumed.sampler, OPTIONS, {}, checkpoints[1]);
  assert.equal(hashTensors(resumed.engine.getWeights()), final);
  await resumed.engine.release();
  assert.deepEqual(r.curve, result.curve);
  assert.deepEqual(r.records, result.records);
});
