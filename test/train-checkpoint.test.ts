import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrainingEngine } from '../src/engine/engine.js';
import { runLottery, unitKey } from '../src/lottery/procedure.js';
import { resolveConfig } from '../src/lottery/resolve.js';
import { MODELS } from '../src/models/zoo.js';
import { RunStore } from '../src/store/index.js';
import { loadTrainCheckpoint, removeTrainCheckpoint, saveTrainCheckpoint } from '../src/train/checkpoint.js';
import { prepareData } from '../src/train/data.js';
import type { TrainCheckpoint } from '../src/train/trainer.js';
import { loaded } from './helpers/train-fixture.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'ticketlab-train-checkpoint-'));
const f32 = (...v: number[]) => Float32Array.from(v);

test('a checkpoint with callback state and records comes back from disk as it was saved', () => {
  const dir = tmp();
  try {
    const checkpoint: TrainCheckpoint = {
      iteration: 40,
      elapsedSeconds: 1.5,
      engine: { step: 40, tensors: new Map([['theta', f32(1, 2, 3)]]) },
      sampler: { epoch: 2, index: 17 },
      curve: [
        { iteration: 0, validationLoss: 2.3, validationAccuracy: 0.1, testLoss: 2.2, testAccuracy: 0.12 },
      ],
      best: { iteration: 0, weights: new Map([['w', f32(4)]]), buffers: new Map([['bn.mean', f32(5)]]) },
      rewind: { weights: new Map([['w', f32(6)]]), buffers: new Map() },
      records: [{ iteration: 10, name: 'distance', value: 0.25 }],
      callbacks: {
        'early-bird': { json: { masks: 3, last: [1, 2] }, tensors: new Map([['mask:fc1', f32(1, 0, 1)]]) },
        counter: { json: [0, 1, 2] },
        'tensors-only': { tensors: new Map([['a:b', f32(7)]]) },
      },
    };
    saveTrainCheckpoint(dir, checkpoint);
    assert.deepEqual(loadTrainCheckpoint(dir), checkpoint);
    removeTrainCheckpoint(dir);
    assert.equal(loadTrainCheckpoint(dir), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the lottery procedure's checkpoint files are read and rewritten byte for byte", async () => {
  const root = tmp();
  const copy = tmp();
  const config = resolveConfig({
    model: 'lenet300',
    dataset: 'mnist',
    iterations: 60,
    evalEvery: 15,
    levels: 0,
    validationSize: 100,
    checkpointEvery: 20,
    reset: 'rewind',
    rewindIteration: 10,
  });
  const data = await prepareData('mnist', { ...config, trainEvalSize: 0 }, loaded);
  const engine = await TrainingEngine.create(MODELS.lenet300.create({ inputShape: config.inputShape }), {
    batchSize: config.batchSize,
    optimizer: config.optimizer,
    threads: 1,
  });
  const run = new RunStore({ root }).openRun('test', config);
  try {
    // killed after the checkpoint at 40, which holds the best weights and θ_k
    const killed = runLottery({
      config,
      run,
      data,
      engine,
      reporter: {
        progress: (_u, p) => {
          if (p.iteration === 45) throw new Error('killed');
        },
      },
    });
    await assert.rejects(killed, /killed/);
    const dir = run.unitDir(unitKey(0, 0, 'ticket'));
    const checkpoint = loadTrainCheckpoint(dir)!;
    assert.equal(checkpoint.iteration, 40);
    assert.ok(checkpoint.best && checkpoint.rewind, 'the checkpoint holds best weights and θ_k');
    // the lottery adds its thread count to the trainer's fields
    const { threads } = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')) as { threads: number };
    assert.equal(threads, 1);
    saveTrainCheckpoint(copy, checkpoint, { threads });
    for (const file of ['checkpoint.json', 'checkpoint.safetensors'])
      assert.deepEqual(readFileSync(join(copy, file)), readFileSync(join(dir, file)), file);
  } finally {
    run.close();
    await engine.release();
    rmSync(root, { recursive: true, force: true });
    rmSync(copy, { recursive: true, force: true });
  }
});
