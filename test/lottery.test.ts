import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LoadedDataset } from '../src/data/index.js';
import { syntheticSet } from './helpers/datasets.js';
import { TrainingEngine } from '../src/engine/engine.js';
import { isPrunable } from '../src/lottery/config.js';
import { type LotteryRequest, resolveConfig } from '../src/lottery/resolve.js';
import { runLottery, unitKey } from '../src/lottery/procedure.js';
import type { LevelResult, RunSummary } from '../src/lottery/summary.js';
import { MODELS } from '../src/models/zoo.js';
import { keptAfterRounds, prunedCount } from '../src/prune/index.js';
import { RunStore, hashConfig, loadTensors } from '../src/store/index.js';
import { makeSampler, prepareData } from '../src/train/data.js';
import { train } from '../src/train/trainer.js';
import { Rng } from '../src/util/rng.js';

const shape = { channels: 1, height: 28, width: 28 };
const loaded: LoadedDataset = {
  name: 'mnist',
  train: syntheticSet(700, shape, 1),
  test: syntheticSet(200, shape, 2),
  classes: 10,
  source: 'synthetic (made by the test)',
} as LoadedDataset;

interface Observed {
  startWeights: Map<string, Map<string, Float32Array>>;
}

async function runSmall(
  request: LotteryRequest,
  root: string,
): Promise<{ summary: RunSummary; observed: Observed; dir: string }> {
  const config = resolveConfig({
    model: 'lenet300',
    dataset: 'mnist',
    iterations: 40,
    evalEvery: 20,
    levels: 2,
    validationSize: 100,
    checkpointEvery: 0,
    ...request,
  });
  const data = await prepareData('mnist', { ...config, trainEvalSize: 0 }, loaded);
  const model = MODELS.lenet300.create({ inputShape: config.inputShape });
  const engine = await TrainingEngine.create(model, {
    batchSize: config.batchSize,
    optimizer: config.optimizer,
    threads: 1,
    masked: (decl) => isPrunable(config, decl),
  });
  const run = new RunStore({ root }).openRun('test', config);
  const observed: Observed = { startWeights: new Map() };
  try {
    const summary = await runLottery({
      config,
      run,
      data,
      engine,
      reporter: {
        // called after the unit's masks and starting weights are installed, before its first step
        unitStart: (u) =>
          observed.startWeights.set(unitKey(u.trial, u.level, u.condition), engine.getWeights()),
      },
    });
    return { summary, observed, dir: run.dir };
  } finally {
    run.close();
    await engine.release();
  }
}

const tmp = () => mkdtempSync(join(tmpdir(), 'ticketlab-lottery-'));
const LAYERS: [string, number, number][] = [
  ['fc1.weight', 235200, 0.2],
  ['fc2.weight', 30000, 0.2],
  ['fc3.weight', 1000, 0.1],
];

function masksOf(dir: string, key: string): Map<string, Uint8Array> {
  return loadTensors(join(dir, key, 'masks.safetensors')) as Map<string, Uint8Array>;
}
const kept = (m: Uint8Array) => m.reduce((a, b) => a + b, 0);

test('iterative pruning keeps exact per-layer counts (output layer at half rate); random-prune matches them', async () => {
  const root = tmp();
  try {
    const { dir, summary } = await runSmall({ controls: ['random-reinit', 'random-prune'] }, root);
    for (const level of [1, 2]) {
      const ticket = masksOf(dir, unitKey(0, level, 'ticket'));
      const reinit = masksOf(dir, unitKey(0, level, 'random-reinit'));
      const randomPrune = masksOf(dir, unitKey(0, level, 'random-prune'));
      for (const [name, total, rate] of LAYERS) {
        const expected = keptAfterRounds(total, rate, level);
        assert.equal(kept(ticket.get(name)!), expected, `${name} at level ${level}`);
        assert.deepEqual(reinit.get(name), ticket.get(name), 'random re-init keeps the ticket mask');
        assert.equal(kept(randomPrune.get(name)!), expected, `random-prune ${name} at level ${level}`);
        assert.notDeepEqual(randomPrune.get(name), ticket.get(name));
      }
      // masks only shrink
      if (level === 2) {
        const previous = masksOf(dir, unitKey(0, 1, 'ticket'));
        for (const [name] of LAYERS)
          ticket.get(name)!.forEach((v, i) => assert.ok(v <= previous.get(name)![i]));
      }
    }
    // 235200 at 20% twice: 188160 then 150528; the report agrees
    const level2 = summary.results.find((r) => r.level === 2 && r.condition === 'ticket')!;
    assert.equal(level2.sparsity.find((s) => s.layer === 'fc1.weight')!.kept, 150528);
    assert.equal(keptAfterRounds(1000, 0.1, 2), 1000 - prunedCount(0.1, 1000) - prunedCount(0.1, 900));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('reset to θ₀: survivors equal θ₀ bit for bit, pruned weights are 0 at the start and after training', async () => {
  const root = tmp();
  try {
    const { dir, observed } = await runSmall({ controls: ['random-reinit'] }, root);
    const theta0 = loadTensors(join(dir, 'trial-0', 'init.safetensors')) as Map<string, Float32Array>;
    for (const level of [1, 2]) {
      const key = unitKey(0, level, 'ticket');
      const masks = masksOf(dir, key);
      const start = observed.startWeights.get(key)!;
      const final = loadTensors(join(dir, key, 'final.safetensors')) as Map<string, Float32Array>;
      const best = loadTensors(join(dir, key, 'best.safetensors')) as Map<string, Float32Array>;
      for (const [name] of LAYERS) {
        const m = masks.get(name)!;
        const w0 = theta0.get(name)!;
        start
          .get(name)!
          .forEach((w, i) => assert.equal(w, m[i] ? w0[i] : 0, `${name}[${i}] at level ${level}`));
        final.get(name)!.forEach((w, i) => m[i] || assert.equal(w, 0));
        best.get(name)!.forEach((w, i) => m[i] || assert.equal(w, 0));
      }
      // biases are not pruned and reset to θ₀ too
      assert.deepEqual(start.get('fc1.bias'), theta0.get('fc1.bias'));
      // the random re-initialization control starts from other values on the same mask
      const reinit = observed.startWeights.get(unitKey(0, level, 'random-reinit'))!.get('fc1.weight')!;
      const m = masks.get('fc1.weight')!;
      let same = 0;
      reinit.forEach((w, i) => (same += m[i] && w === theta0.get('fc1.weight')![i] ? 1 : 0));
      assert.equal(same, 0);
      reinit.forEach((w, i) => m[i] || assert.equal(w, 0));
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('rewind: survivors equal θ_k (the level-0 weights after k steps) bit for bit', async () => {
  const root = tmp();
  try {
    const { dir, observed } = await runSmall({ reset: 'rewind', rewindIteration: 10, levels: 1 }, root);
    const thetaK = loadTensors(join(dir, 'trial-0', 'rewind.safetensors')) as Map<string, Float32Array>;
    const theta0 = loadTensors(join(dir, 'trial-0', 'init.safetensors')) as Map<string, Float32Array>;
    assert.notDeepEqual(thetaK.get('fc1.weight'), theta0.get('fc1.weight'), 'θ_k differs from θ₀');
    // θ_k is what level 0 had after 10 steps: replay them on a fresh engine
    const config = resolveConfig({
      model: 'lenet300',
      dataset: 'mnist',
      iterations: 10,
      evalEvery: 10,
      validationSize: 100,
    });
    const data = await prepareData('mnist', { ...config, trainEvalSize: 0 }, loaded);
    const engine = await TrainingEngine.create(MODELS.lenet300.create({ inputShape: [784] }), {
      batchSize: 60,
      optimizer: config.optimizer,
      threads: 1,
    });
    engine.initialize(0);
    const sampler = makeSampler(data, 60, Rng.derive(0, 'data-order').uint32());
    await train(engine, data, sampler, { ...config, checkpointEvery: 0 });
    const replayed = engine.getWeights();
    await engine.release();
    for (const [name] of LAYERS) assert.deepEqual(replayed.get(name), thetaK.get(name), `replayed ${name}`);
    const key = unitKey(0, 1, 'ticket');
    const masks = masksOf(dir, key);
    const start = observed.startWeights.get(key)!;
    for (const [name] of LAYERS) {
      const m = masks.get(name)!;
      start.get(name)!.forEach((w, i) => assert.equal(w, m[i] ? thetaK.get(name)![i] : 0));
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('one-shot pruning prunes level-0 weights straight to each level target', async () => {
  const root = tmp();
  try {
    const { dir } = await runSmall({ pruningSchedule: 'one-shot' }, root);
    for (const level of [1, 2]) {
      const masks = masksOf(dir, unitKey(0, level, 'ticket'));
      for (const [name, total, rate] of LAYERS) {
        const oneShotRate = 1 - (1 - rate) ** level;
        assert.equal(
          kept(masks.get(name)!),
          total - prunedCount(oneShotRate, total),
          `${name} level ${level}`,
        );
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

const strip = (rs: LevelResult[]) => rs.map(({ wallSeconds: _w, ...rest }) => rest);

test('same seed gives bit-identical metrics; a different seed differs', async () => {
  const roots = [tmp(), tmp(), tmp()];
  try {
    const a = await runSmall({ levels: 1, controls: ['random-prune'] }, roots[0]);
    const b = await runSmall({ levels: 1, controls: ['random-prune'] }, roots[1]);
    const c = await runSmall({ levels: 1, controls: ['random-prune'], seed: 1 }, roots[2]);
    assert.deepEqual(strip(a.summary.results), strip(b.summary.results));
    assert.notDeepEqual(strip(a.summary.results)[0].curve, strip(c.summary.results)[0].curve);
  } finally {
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  }
});

test('running again skips finished units and changes nothing; the config hash tracks every setting', async () => {
  const root = tmp();
  try {
    const first = await runSmall({ levels: 1 }, root);
    const second = await runSmall({ levels: 1 }, root);
    assert.equal(second.observed.startWeights.size, 0, 'no unit trained again');
    assert.deepEqual(second.summary.results, first.summary.results);
    const base = resolveConfig({ model: 'lenet300', iterations: 40 });
    assert.equal(hashConfig(base), hashConfig(resolveConfig({ model: 'lenet300', iterations: 40 })));
    for (const change of [
      { learningRate: 0.01 },
      { levels: 3 },
      { rateOutput: 0.2 },
      { seed: 4 },
      { reset: 'rewind' as const, rewindIteration: 10 },
    ]) {
      assert.notEqual(
        hashConfig(resolveConfig({ model: 'lenet300', iterations: 40, ...change })),
        hashConfig(base),
        JSON.stringify(change),
      );
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('biases are not pruned unless asked; with --prune-biases they lose their layer rate too', async () => {
  const root = tmp();
  try {
    const plain = await runSmall({ levels: 1 }, root);
    const level1 = plain.summary.results.find((r) => r.level === 1)!;
    assert.deepEqual(
      level1.sparsity.map((s) => s.layer),
      ['fc1.weight', 'fc2.weight', 'fc3.weight'],
    );
    const withBiases = await runSmall({ levels: 1, pruneBiases: true }, root);
    const rows = withBiases.summary.results.find((r) => r.level === 1)!.sparsity;
    const kept = Object.fromEntries(rows.map((s) => [s.layer, s.kept]));
    assert.equal(kept['fc1.bias'], 300 - prunedCount(0.2, 300));
    assert.equal(kept['fc3.bias'], 10 - prunedCount(0.1, 10));
    assert.equal(kept['fc1.weight'], 188160);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the one-shot control prunes the level-0 ticket straight to the level, only at the levels asked for', async () => {
  const root = tmp();
  try {
    const { dir, summary } = await runSmall(
      { controls: ['one-shot'], controlLevels: { 'one-shot': [2] } },
      root,
    );
    assert.deepEqual(
      summary.results.map((r) => `${r.level}:${r.condition}`),
      ['0:ticket', '1:ticket', '2:one-shot', '2:ticket'],
    );
    const oneShot = masksOf(dir, unitKey(0, 2, 'one-shot'));
    const iterative = masksOf(dir, unitKey(0, 2, 'ticket'));
    for (const [name, total, rate] of LAYERS) {
      assert.equal(kept(oneShot.get(name)!), total - prunedCount(1 - (1 - rate) ** 2, total), name);
    }
    assert.notDeepEqual(oneShot.get('fc1.weight'), iterative.get('fc1.weight'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
