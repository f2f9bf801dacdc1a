/**
 * Retraining a slimmed network starts where it should: from the slimmed weights (the retraining
 * engine's forward pass equals the channel-masked wide network's on a batch) for VGG, the basic-block
 * ResNet, the pre-activation bottleneck ResNet and Conv-2 without BatchNorm (filter norms), or from a
 * fresh init of the thin architecture (scratch). Its settings are the source run's unless given, and
 * its run directory is named by everything that changes its result, never reused for other settings.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initialValues } from '../src/engine/init.js';
import { buildRunModel } from '../src/experiments/execute.js';
import {
  type SlimRetrainConfig,
  openSlimRetrainRun,
  retrainConfig,
  slimEngine,
  slimRetrainIdentity,
} from '../src/experiments/slim-retrain.js';
import { resolveConfig } from '../src/lottery/resolve.js';
import { type SlimSource, analyseChannels, slimNetwork } from '../src/prune/structured/index.js';
import { UserError } from '../src/util/errors.js';
import { Rng } from '../src/util/rng.js';
import { logits, randomWeights } from './helpers/channel-weights.js';

const CASES: { model: string; from: SlimSource }[] = [
  { model: 'vgg11', from: 'bn' },
  { model: 'resnet20', from: 'bn' },
  { model: 'preresnet20-bottleneck', from: 'bn' },
  { model: 'conv2', from: 'filter-norm' },
];

/** A run's configuration on CIFAR-10, at 16×16 pixels to keep the graphs small. */
const sourceOf = (model: string) => ({
  ...resolveConfig({ model, dataset: 'cifar10', batchSize: 4, iterations: 10, levels: 0 }),
  inputShape: [3, 16, 16],
});

function slimmed(model: string, from: SlimSource, seed = 3) {
  const config = sourceOf(model);
  const wide = buildRunModel(config, 10);
  const weights = randomWeights(analyseChannels(wide), seed);
  return { config, wide, weights, slim: slimNetwork(wide, weights, { ratio: 0.5, from }) };
}

describe('the retraining engine starts from exactly the slimmed weights', () => {
  for (const { model, from } of CASES)
    test(`${model} (--from ${from})`, async () => {
      const { config, wide, slim } = slimmed(model, from);
      const batch = 3;
      const rng = new Rng(11);
      const x = Float32Array.from({ length: batch * 3 * 16 * 16 }, () => rng.normal());
      const engine = await slimEngine(config, slim, 'slimmed', 1);
      try {
        const got = await engine.predict(x, batch);
        const expected = await logits(wide, slim.maskedWide, x, batch);
        const scale = Math.max(...expected.map(Math.abs));
        const maxDiff = Math.max(...expected.map((v, i) => Math.abs(v - got[i])));
        // float32 sums over fewer terms, in another order: agreement to rounding
        assert.ok(maxDiff <= 1e-5 * scale + 1e-6, `max |Δ logits| ${maxDiff} (scale ${scale})`);
        assert.equal(engine.parameterCount, slim.after.parameters);
        assert.ok(slim.after.parameters < slim.before.parameters);
      } finally {
        await engine.release();
      }
    });
});

test('from scratch: a fresh init of the thin network from the seed, with thin shapes', async () => {
  const { config, slim } = slimmed('preresnet20-bottleneck', 'bn');
  const engine = await slimEngine(config, slim, 'scratch', 1);
  try {
    const weights = engine.getWeights();
    for (const decl of engine.params) {
      assert.deepEqual(weights.get(decl.name), initialValues(decl, config.seed), decl.name);
      assert.equal(weights.get(decl.name)!.length, slim.weights.weights.get(decl.name)!.length, decl.name);
    }
    assert.ok(
      slim.groups.some((g) => g.kept < g.channels),
      'some layer lost channels',
    );
    for (const b of engine.buffers)
      assert.equal(engine.getBuffers().get(b.name)!.length, slim.weights.buffers.get(b.name)!.length);
  } finally {
    await engine.release();
  }
});

test("retraining settings: the source run's, the given ones replacing them; seed of the trial; refusals", () => {
  const source = resolveConfig({
    model: 'vgg11',
    dataset: 'cifar10',
    levels: 0,
    optimizer: 'sgd',
    nesterov: true,
    learningRate: 0.05,
    milestones: [5, 8],
    iterations: 10,
    bnL1: 1e-4,
    earlyBird: true,
    seed: 4,
  });
  const same = retrainConfig(source, 2, {}, 'slimmed');
  assert.equal(same.learningRate, 0.05);
  assert.deepEqual(same.schedule.milestones, [5, 8]);
  assert.ok(same.optimizer.kind === 'sgd' && same.optimizer.nesterov);
  assert.equal(same.seed, 6); // trial 2 of seed 4
  assert.equal(same.bnL1, 0); // no penalty while retraining unless given
  assert.equal(same.earlyBird, false);
  assert.equal(same.levels, 0);
  const given = retrainConfig(source, 0, { learningRate: 0.01, iterations: 20, bnL1: 1e-5 }, 'slimmed');
  assert.equal(given.learningRate, 0.01);
  assert.equal(given.iterations, 20);
  assert.equal(given.bnL1, 1e-5);
  // another optimizer gets its own momentum rules (nesterov would be refused with adam)
  const adam = retrainConfig(source, 0, { optimizer: 'adam', learningRate: 1e-3 }, 'scratch');
  assert.equal(adam.optimizer.kind, 'adam');
  assert.ok(!('nesterov' in adam.optimizer));
  assert.throws(
    () => retrainConfig(source, 0, { dataset: 'mnist' }, 'slimmed'),
    (e: unknown) => e instanceof UserError && /dataset cannot be set/.test(e.message),
  );
  assert.throws(
    () => retrainConfig(source, 0, { init: 'kaiming_normal' }, 'slimmed'),
    (e: unknown) => e instanceof UserError && /--retrain-from scratch/.test(e.fix ?? e.message),
  );
  assert.equal(retrainConfig(source, 0, { init: 'kaiming_normal' }, 'scratch').init, 'kaiming_normal');
});

test('the run identity covers the source, unit, weights, ratio, kept channels, start and training; a directory is never reused', () => {
  const source = sourceOf('vgg11');
  const base: SlimRetrainConfig = {
    kind: 'slim-retrain',
    source: { dir: '/somewhere/vgg11-run', config: source },
    trial: 0,
    level: 0,
    condition: 'ticket',
    weights: 'final',
    ratio: 0.5,
    from: 'bn',
    retrainFrom: 'slimmed',
    keptChannels: { 'conv1.out': [0, 2, 3] },
    training: retrainConfig(source, 0, {}, 'slimmed'),
  };
  const id = JSON.stringify(slimRetrainIdentity(base));
  const variants: Partial<SlimRetrainConfig>[] = [
    { source: { dir: base.source.dir, config: sourceOf('vgg13') } },
    { trial: 1 },
    { level: 1 },
    { condition: 'random-reinit' },
    { weights: 'best' },
    { ratio: 0.3 },
    { from: 'filter-norm' },
    { retrainFrom: 'scratch' },
    { keptChannels: { 'conv1.out': [0, 1, 3] } },
    // a pruned unit's unstructured mask (absent for a dense one, whose identity stays as it was)
    { unitMask: { kept: 3, total: 9 } },
    { training: retrainConfig(source, 0, { learningRate: 0.01 }, 'slimmed') },
    { training: retrainConfig(source, 0, { seed: 9 }, 'slimmed') },
  ];
  for (const v of variants)
    assert.notEqual(
      JSON.stringify(slimRetrainIdentity({ ...base, ...v })),
      id,
      JSON.stringify(Object.keys(v)),
    );
  // how often to checkpoint, and where the source run lies, change nothing
  const moved = { ...base, source: { dir: '/elsewhere', config: source } };
  const checkpoints = { ...base, training: retrainConfig(source, 0, { checkpointEvery: 7 }, 'slimmed') };
  for (const same of [moved, checkpoints]) assert.equal(JSON.stringify(slimRetrainIdentity(same)), id);

  const runs = mkdtempSync(join(tmpdir(), 'ticketlab-slim-identity-'));
  try {
    const run = openSlimRetrainRun(runs, base);
    run.close();
    assert.match(run.dir, /slim\/vgg11-cifar10-slim0\.5-slimmed-[0-9a-f]{12}$/);
    openSlimRetrainRun(runs, moved).close(); // the same run
    // stored settings that differ (a default of the model changed since): refused, naming the setting
    const path = join(run.dir, 'config.json');
    const stored = JSON.parse(readFileSync(path, 'utf8'));
    stored.training.learningRate = 0.5;
    writeFileSync(path, JSON.stringify(stored));
    assert.throws(
      () => openSlimRetrainRun(runs, base),
      (e: unknown) =>
        e instanceof UserError &&
        /other settings \(training\.learningRate\)/.test(e.message) &&
        /never reused/.test(e.message),
    );
  } finally {
    rmSync(runs, { recursive: true, force: true });
  }
});
