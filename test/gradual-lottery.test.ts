/**
 * Pruning during training inside a lottery run: level 0 ends with the schedule's masks (saved as the
 * unit's masks and in its result, with every pruning step), reset_end's untrained accuracy equals
 * level 1's supermask accuracy of the same mask on θ₀, and the run identity only changes when
 * gradual settings are given. Also: BatchNorm on a reset — reinit gives its initial values, rewind θ_k's.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { TrainingEngine } from '../src/engine/engine.js';
import { runIdentity } from '../src/lottery/resolve.js';
import { loadMasks } from '../src/lottery/weights-io.js';
import { MODELS } from '../src/models/zoo.js';
import { gradualPruning } from '../src/train/gradual.js';
import { train } from '../src/train/trainer.js';
import { makeSampler } from '../src/train/data.js';
import { Rng } from '../src/util/rng.js';
import { runSmallLottery, smallConfig, smallSetup } from './helpers/small-lottery.js';

test('a lottery run with gradual reset_end: final masks at level 0, retrained at level 1', async () => {
  const root = mkdtempSync(join(tmpdir(), 'gradual-lottery-'));
  try {
    const config = smallConfig({
      gradualSchedule: 'iterative',
      gradualStart: 0.25,
      gradualSparsity: 0.5,
      gradualResetEnd: true,
      rateFc: 0,
      rateOutput: 0,
      reset: 'init',
      supermask: true,
      checkpointEvery: 15,
    });
    const notices: string[] = [];
    const summary = await runSmallLottery(root, config, { reporter: { notice: (m) => notices.push(m) } });
    const [l0, l1] = [0, 1].map((level) => summary.results.find((r) => r.level === level)!);
    assert.equal(l0.gradual!.events.length, 3);
    assert.deepEqual(
      notices.filter((n) => n.includes('pruned to')).map((n) => n.replace(/ \(.*/, '')),
      [
        'trial 0 level 0 ticket: iteration 11: pruned to 16.7%',
        'trial 0 level 0 ticket: iteration 21: pruned to 33.3%',
        'trial 0 level 0 ticket: iteration 31: pruned to 50.0%',
      ],
    );
    assert.ok(Math.abs(l0.fractionRemaining - 0.5) < 1e-3, `level 0 keeps ${l0.fractionRemaining}`);
    assert.deepEqual(l0.sparsity, l1.sparsity);
    assert.equal(l0.gradual!.resetEnd!.test, l1.supermask!.mask);
    const layers = l0.sparsity.map((s) => ({ name: s.layer, kind: s.kind, shape: [s.total] }));
    const dir = join(summary.dir, 'trial-0', 'level-00', 'ticket');
    const saved = loadMasks(join(dir, 'masks.safetensors'), layers as never);
    for (const s of l0.sparsity)
      assert.equal(
        saved.get(s.layer)!.reduce((a, b) => a + b, 0),
        s.kept,
      );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('gradual settings change the run identity only when given', () => {
  const plain = runIdentity(smallConfig({}));
  assert.deepEqual(runIdentity(smallConfig({ gradualSchedule: 'none' })), plain);
  const gradual = runIdentity(smallConfig({ gradualSchedule: 'agp', gradualSparsity: 0.8 }));
  assert.equal(gradual['gradual.schedule'], 'agp');
  assert.equal(gradual['gradual.sparsity'], 0.8);
  assert.throws(() => smallConfig({ gradualSparsity: 0.8 }), /gradual/);
});

test('BatchNorm on a reset: reinit restores its initial values, rewind the values of θ_k', async () => {
  const config = smallConfig({});
  const { data } = await smallSetup(config);
  const model = MODELS.resnet20.create({ inputShape: [1, 28, 28], classes: 10 });
  for (const bn of ['reinit', 'rewind'] as const) {
    const engine = await TrainingEngine.create(model, {
      batchSize: 20,
      optimizer: config.optimizer,
      threads: 1,
    });
    engine.initialize(0);
    const theta0 = { weights: engine.getWeights(), buffers: engine.getBuffers() };
    const layers = engine.params
      .filter((p) => engine.maskedParams.includes(p.name) && p.layerKind === 'conv')
      .map((p) => ({ name: p.name, kind: p.layerKind!, shape: p.shape }));
    let thetaK: typeof theta0 | undefined;
    const seen: { weights: Map<string, Float32Array>; buffers: Map<string, Float32Array> }[] = [];
    const gradual = gradualPruning({
      schedule: 'one_shot',
      sparsity: 0.3,
      start: 0.5,
      layers,
      strategy: 'large_final',
      scope: 'layerwise',
      seed: 0,
      reset: 'rewind',
      rewindIteration: 2,
      batchNorm: bn,
      onPrune: () => seen.push({ weights: engine.getWeights(), buffers: engine.getBuffers() }),
    });
    const capture = {
      name: 'capture',
      onIteration: (it: number) =>
        void (it === 2 && (thetaK = { weights: engine.getWeights(), buffers: engine.getBuffers() })),
    };
    const sampler = makeSampler(data, 20, Rng.derive(0, 'data-order').uint32());
    const opts = {
      iterations: 6,
      learningRate: 1e-3,
      schedule: { warmup: 0, milestones: [], gamma: 0.1 },
      evalEvery: 6,
      checkpointEvery: 0,
      divergenceLoss: 1e4,
    };
    await train(engine, data, sampler, opts, { callbacks: [capture, gradual] });
    assert.equal(seen.length, 1);
    const want = bn === 'reinit' ? theta0 : thetaK!;
    const bnParams = engine.params.filter((p) => p.role === 'bn_scale' || p.role === 'bn_shift');
    assert.ok(bnParams.length > 0);
    for (const p of bnParams)
      assert.deepEqual(seen[0].weights.get(p.name), want.weights.get(p.name), `${bn} ${p.name}`);
    for (const [name, v] of seen[0].buffers) assert.deepEqual(v, want.buffers.get(name), `${bn} ${name}`);
    // and they differ from the other choice: the test can tell the two apart
    const other = bn === 'reinit' ? thetaK! : theta0;
    assert.notDeepEqual(seen[0].buffers, other.buffers);
    await engine.release();
  }
});
