/**
 * --sparse-kernels (issue 17): the crossover decision from injected timings, the per-machine cache,
 * the engine's 'auto' choice and pin, and lottery runs — each unit records the step it ran, a resumed
 * unit keeps its checkpoint's step (so a unit never mixes two roundings), the sparse step agrees with
 * the dense one to float32 rounding, and a model that is not an MLP is refused with one message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calibratedTimings, calibrationKey } from '../src/engine/calibrate.js';
import {
  type ShapeTiming,
  crossoverDensity,
  decideSparse,
  loadTimings,
  predictedSparseMs,
  saveTimings,
  shapeKey,
} from '../src/engine/crossover.js';
import { TrainingEngine } from '../src/engine/engine.js';
import { isPrunable, type LotteryConfig } from '../src/lottery/config.js';
import { unitKey } from '../src/lottery/procedure.js';
import { runIdentity } from '../src/lottery/resolve.js';
import type { LevelResult } from '../src/lottery/summary.js';
import { mlp } from '../src/models/lenet.js';
import { MODELS } from '../src/models/zoo.js';
import { Rng } from '../src/util/rng.js';
import { runOpened, smallConfig, smallSetup, withoutTimes } from './helpers/small-lottery.js';

const timing = (inF: number, outF: number, denseMs: number, sparseMs: [number, number][]): ShapeTiming => ({
  inFeatures: inF,
  outFeatures: outF,
  denseMs,
  sparseMs,
});

test('crossover: interpolated sparse time, the density where it meets the dense time, the network decision', () => {
  const t = timing(784, 300, 1.5, [
    [1, 30],
    [0.4, 10],
    [0.15, 6],
    [0.05, 1],
    [0.015, 0.5],
  ]);
  assert.equal(predictedSparseMs(t, 0.1), 1 + (0.05 / 0.1) * 5);
  assert.equal(predictedSparseMs(t, 0.001), 0.5); // clamped below the lowest measured density
  assert.equal(predictedSparseMs(t, 0.05), 1);
  // sparse wins at 0.015 and 0.05, loses at 0.15: 1.5 ms is reached at 0.05 + 0.1 · (0.5 / 5)
  assert.ok(Math.abs(crossoverDensity(t) - 0.06) < 1e-12);
  assert.equal(crossoverDensity(timing(1, 1, 1, [[1, 0.5]])), 1);
  assert.equal(crossoverDensity(timing(1, 1, 1, [[0.5, 0.2]])), 0.5);
  assert.equal(crossoverDensity(timing(1, 1, 0.1, [[0.01, 0.2]])), 0);
  // a noisy point above a loss does not count: 0.4 wins, 0.15 loses → only below 0.15 counts
  const noisy = timing(1, 1, 1, [
    [0.4, 0.9],
    [0.15, 1.1],
    [0.05, 0.5],
  ]);
  assert.ok(Math.abs(crossoverDensity(noisy) - (0.05 + (0.1 * 0.5) / 0.6)) < 1e-12);
  const table = new Map([
    [shapeKey(784, 300), t],
    [
      shapeKey(300, 100),
      timing(300, 100, 0.25, [
        [1, 1],
        [0.01, 0.05],
      ]),
    ],
  ]);
  const at = (d1: number, d2: number) =>
    decideSparse(
      [
        { inFeatures: 784, outFeatures: 300, density: d1 },
        { inFeatures: 300, outFeatures: 100, density: d2 },
      ],
      table,
    );
  assert.deepEqual(at(0.05, 0.01), { sparse: true, predictedSparseMs: 1.05, predictedDenseMs: 1.75 });
  assert.equal(at(0.15, 0.01).sparse, false); // 6 + 0.05 ms against 1.75
  // the decision is the network's: a layer past its own crossover can be outweighed by a larger one
  assert.equal(at(0.015, 0.3).sparse, true); // 0.5 + 0.05 + 0.29·0.95/0.99 ≈ 0.83 < 1.75
  assert.throws(() => decideSparse([{ inFeatures: 5, outFeatures: 5, density: 1 }], table), /calibration/);
});

test('calibration cache: per machine, threads, batch size and optimizer; cached shapes are not measured again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ticketlab-crossover-'));
  try {
    const file = join(dir, 'sparse-crossover.json');
    const options = { batchSize: 60, optimizer: { kind: 'adam' as const }, threads: 2 };
    const key = calibrationKey(options);
    const t = timing(784, 300, 1, [[0.1, 0.5]]);
    saveTimings(file, key, [t]);
    assert.deepEqual(loadTimings(file, key).get('784x300'), t);
    assert.equal(loadTimings(file, { ...key, threads: 1 }).size, 0);
    assert.equal(loadTimings(file, { ...key, optimizer: 'sgd' }).size, 0);
    const measured: string[] = [];
    const heard = (i: number, o: number) => void measured.push(`${i}x${o}`);
    const got = await calibratedTimings([[784, 300]], {
      ...options,
      file,
      onMeasure: heard,
    });
    assert.deepEqual(measured, []);
    assert.deepEqual(got.get('784x300'), t);
    // a shape not cached is measured (tiny, few steps) and added to the file beside the other
    const small = await calibratedTimings(
      [
        [784, 300],
        [8, 3],
      ],
      {
        ...options,
        file,
        steps: 2,
        rounds: 1,
        densities: [1, 0.5],
        onMeasure: heard,
      },
    );
    assert.deepEqual(measured, ['8x3']);
    assert.deepEqual(
      small.get('8x3')!.sparseMs.map(([d]) => d),
      [1, 0.5],
    );
    assert.equal(loadTimings(file, key).size, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** LeNet-300-100's shapes: the sparse step predicted faster at ≤ 90% kept (A) or never (B). */
const LENET_SHAPES: [number, number][] = [
  [784, 300],
  [300, 100],
  [100, 10],
];
const SPARSE_BELOW_90 = new Map(
  LENET_SHAPES.map(([i, o]) => [
    shapeKey(i, o),
    timing(i, o, 1, [
      [1, 1.5],
      [0.9, 0.5],
      [0.01, 0.1],
    ]),
  ]),
);
const NEVER_SPARSE = new Map(
  LENET_SHAPES.map(([i, o]) => [
    shapeKey(i, o),
    timing(i, o, 1, [
      [1, 5],
      [0.01, 2],
    ]),
  ]),
);

test("engine: 'auto' follows the timings, a pin overrides them, 'always' agrees with the dense step to float32 rounding", async () => {
  const model = mlp('m', [24, 12], { inputShape: [16], classes: 4 });
  const table = new Map(
    [
      [16, 24],
      [24, 12],
      [12, 4],
    ].map(([i, o]) => [
      shapeKey(i, o),
      timing(i, o, 1, [
        [1, 2],
        [0.3, 0.5],
      ]),
    ]),
  );
  const auto = await TrainingEngine.create(model, {
    batchSize: 8,
    optimizer: { kind: 'adam' },
    sparseKernels: 'auto',
    crossover: table,
  });
  const always = await TrainingEngine.create(model, {
    batchSize: 8,
    optimizer: { kind: 'adam' },
    sparseKernels: 'always',
  });
  const dense = await TrainingEngine.create(model, { batchSize: 8, optimizer: { kind: 'adam' } });
  try {
    auto.initialize(1);
    assert.equal(auto.kernelPath, 'dense'); // everything kept: 2 ms predicted per layer against 1
    const rng = new Rng(5);
    const masks = new Map(
      [...auto.getMasks()].map(([n, m]) => [n, m.map(() => (rng.float() < 0.2 ? 1 : 0))]),
    );
    await auto.setMasks(masks);
    assert.equal(auto.kernelPath, 'sparse');
    assert.ok(auto.sparseDecision!.predictedSparseMs < auto.sparseDecision!.predictedDenseMs);
    auto.pinKernels('dense');
    assert.equal(auto.kernelPath, 'dense');
    auto.pinKernels(undefined);
    assert.equal(auto.kernelPath, 'sparse');
    for (const e of [always, dense]) {
      e.initialize(1);
      await e.setMasks(masks);
    }
    assert.equal(always.kernelPath, 'sparse');
    assert.equal(dense.kernelPath, 'dense');
    const data = new Rng(9);
    for (let s = 0; s < 10; s++) {
      const x = Float32Array.from({ length: 8 * 16 }, () => data.float() * 2 - 1);
      const y = Int32Array.from({ length: 8 }, () => data.int(4));
      const losses = [];
      for (const e of [always, dense]) {
        e.inputBuffer.set(x);
        e.labelBuffer.set(y);
        losses.push((await e.step(1e-2)).loss);
      }
      assert.ok(Math.abs(losses[0] - losses[1]) <= 1e-5 * Math.max(1, Math.abs(losses[1])), `step ${s}`);
    }
    const a = always.getWeights();
    for (const [name, w] of dense.getWeights())
      w.forEach((v, i) => assert.ok(Math.abs(v - a.get(name)![i]) <= 1e-5, `${name}[${i}]`));
  } finally {
    for (const e of [auto, always, dense]) await e.release();
  }
});

async function autoSetup(config: LotteryConfig, crossover: Map<string, ShapeTiming>) {
  const { data } = await smallSetup(config);
  const engine = await TrainingEngine.create(MODELS.lenet300.create({ inputShape: config.inputShape }), {
    batchSize: config.batchSize,
    optimizer: config.optimizer,
    threads: 1,
    masked: (decl) => isPrunable(config, decl),
    sparseKernels: config.sparseKernels,
    crossover,
  });
  return { data, engine };
}

async function autoRun(
  root: string,
  config: LotteryConfig,
  crossover: Map<string, ShapeTiming>,
  stopAt?: number,
) {
  const { data, engine } = await autoSetup(config, crossover);
  const stop = new Error('killed by the test');
  try {
    const reporter =
      stopAt === undefined
        ? undefined
        : {
            progress: (u: { level: number }, p: { iteration: number }) => {
              if (u.level === 1 && p.iteration === stopAt) throw stop;
            },
          };
    return await runOpened(root, config, data, engine, reporter ? { reporter } : {});
  } finally {
    await engine.release();
  }
}

const kernelsOf = (rs: LevelResult[]) => rs.map((r) => [r.level, r.provenance?.kernels]);

test('lottery: units record their step; a resumed unit keeps its checkpoint’s step and ends as if never stopped', async () => {
  const config = smallConfig({
    levels: 1,
    iterations: 40,
    evalEvery: 10,
    checkpointEvery: 7,
    sparseKernels: 'auto',
  });
  assert.notEqual(
    runIdentity(config),
    runIdentity(smallConfig({ levels: 1, iterations: 40, evalEvery: 10 })),
  );
  const straight = mkdtempSync(join(tmpdir(), 'ticketlab-sparse-'));
  const resumed = mkdtempSync(join(tmpdir(), 'ticketlab-sparse-'));
  const never = mkdtempSync(join(tmpdir(), 'ticketlab-sparse-'));
  try {
    const expected = await autoRun(straight, config, SPARSE_BELOW_90);
    assert.deepEqual(kernelsOf(expected.results), [
      [0, 'dense'],
      [1, 'sparse'],
    ]);
    // the same settings where the timings say the sparse step never pays: level 1 trains dense
    const dense = await autoRun(never, config, NEVER_SPARSE);
    assert.deepEqual(kernelsOf(dense.results), [
      [0, 'dense'],
      [1, 'dense'],
    ]);
    assert.deepEqual(withoutTimes(dense.results.slice(0, 1)), withoutTimes(expected.results.slice(0, 1)));
    // sparse vs dense level 1: the same training to float32 rounding
    const [s, d] = [expected.results[1], dense.results[1]];
    s.curve.forEach((p, i) =>
      assert.ok(Math.abs(p.validationLoss - d.curve[i].validationLoss) < 1e-4, `eval ${i}`),
    );
    // killed at iteration 20 of level 1 (checkpoint at 14, computed sparse), then resumed on a
    // "machine" whose timings say dense: the unit keeps the sparse step and ends bit for bit the same
    await assert.rejects(autoRun(resumed, config, SPARSE_BELOW_90, 20), /killed by the test/);
    const [dir] = readdirSync(resumed).filter((n) => !n.startsWith('.'));
    const checkpoint = JSON.parse(
      readFileSync(join(resumed, dir, unitKey(0, 1, 'ticket'), 'checkpoint.json'), 'utf8'),
    );
    assert.equal(checkpoint.kernels, 'sparse');
    const after = await autoRun(resumed, config, NEVER_SPARSE);
    assert.deepEqual(kernelsOf(after.results), kernelsOf(expected.results));
    assert.deepEqual(withoutTimes(after.results), withoutTimes(expected.results));
  } finally {
    for (const r of [straight, resumed, never]) rmSync(r, { recursive: true, force: true });
  }
});

const DATA = process.env.TICKETLAB_DATA;
test(
  '--sparse-kernels on a model that is not an MLP: one message, no stack trace',
  { skip: DATA ? false : 'TICKETLAB_DATA is not set' },
  () => {
    const root = mkdtempSync(join(tmpdir(), 'ticketlab-sparse-cli-'));
    try {
      const r = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          'src/cli/entry.ts',
          'train',
          '--model',
          'lenet5',
          '--sparse-kernels',
          'always',
          '--iterations',
          '1',
          '--runs-dir',
          root,
        ],
        { encoding: 'utf8' },
      );
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /the sparse step runs MLPs only .* lenet5 is not one/);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  },
);
