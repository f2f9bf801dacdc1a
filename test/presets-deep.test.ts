/** The Section 4 presets: VGG-19 and ResNet-20 with global pruning, the paper's variants side by side. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PRESETS } from '../src/experiments/presets.js';
import { resolveConfig, runIdentity } from '../src/lottery/resolve.js';
import { UserError } from '../src/util/errors.js';

const configs = (name: string, scale: 'quick' | 'paper', dataset?: string) =>
  PRESETS[name].runs({ scale, dataset }).map((r) => ({ run: r, config: resolveConfig(r.request) }));

test("resnet20-global at paper scale: the paper's ResNet-18 settings, lr 0.1, 0.01 and 0.03 with 20K warmup", () => {
  const runs = configs('resnet20-global', 'paper');
  assert.deepEqual(
    runs.map(({ config: c }) => [c.learningRate, c.schedule.warmup, c.pruning.scope]),
    [
      [0.1, 0, 'global'],
      [0.01, 0, 'global'],
      [0.03, 20_000, 'global'],
    ],
  );
  for (const { config: c, run } of runs) {
    assert.equal(c.model, 'resnet20');
    assert.equal(c.dataset, 'cifar10');
    assert.deepEqual(c.inputShape, [3, 32, 32]);
    assert.deepEqual(c.optimizer, { kind: 'sgd', momentum: 0.9, nesterov: false, weightDecay: 1e-4 });
    assert.equal(c.batchSize, 128);
    assert.equal(c.iterations, 30_000);
    assert.deepEqual(c.schedule.milestones, [20_000, 25_000]);
    assert.equal(c.schedule.gamma, 0.1);
    assert.deepEqual(c.pruning.rates, { conv: 0.2 });
    assert.equal(c.levels, 12);
    assert.equal(c.trials, 5);
    assert.deepEqual(c.controls, ['random-reinit']);
    assert.equal(30_000 % c.evalEvery, 0, 'evaluated at 10K, 20K and 30K as the paper plots');
    assert.deepEqual(c.durations, { iterations: '30000it', milestones: ['20000it', '25000it'] });
    assert.equal(run.labels.standIn, undefined);
  }
  // the lr 0.1 run is the model's defaults: only the levels and evaluation differ from them
  assert.deepEqual(runIdentity(runs[0].config), { model: 'resnet20', evalEvery: 2000 });
});

test('vgg19-global at paper scale: 160 epochs at batch 64 (112,480 iterations), warmup 10K, global vs layer-wise', () => {
  const runs = configs('vgg19-global', 'paper');
  assert.deepEqual(
    runs.map(({ config: c }) => [c.learningRate, c.schedule.warmup, c.pruning.scope]),
    [
      [0.1, 0, 'global'],
      [0.01, 0, 'global'],
      [0.1, 10_000, 'global'],
      [0.1, 10_000, 'layerwise'],
    ],
  );
  for (const { config: c } of runs) {
    assert.equal(c.batchSize, 64);
    assert.equal(c.iterations, 112_480);
    assert.deepEqual(c.schedule.milestones, [56_240, 84_360]);
    assert.deepEqual(c.durations, { iterations: '160ep', milestones: ['80ep', '120ep'] });
    assert.deepEqual(c.pruning.rates, { conv: 0.2 });
    assert.equal(c.levels, 20);
    for (const k of [30_000, 60_000]) assert.equal(k % c.evalEvery, 0);
  }
});

test('quick scale: the Fashion-MNIST stand-in at 1×28×28, labelled, schedules scaled, and it says what it changed', () => {
  for (const name of ['resnet20-global', 'vgg19-global']) {
    const runs = configs(name, 'quick');
    const note = PRESETS[name].quickNote;
    assert.match(note, /fashion-mnist \(1×28×28\) standing in for cifar10/);
    for (const { config: c, run } of runs) {
      assert.equal(c.dataset, 'fashion-mnist');
      assert.deepEqual(c.inputShape, [1, 28, 28]);
      assert.match(run.labels.standIn ?? '', /standing in for cifar10/);
      assert.equal(run.labels.scale, 'quick');
      assert.ok(note.includes(`${c.iterations} iterations per level`));
      assert.ok(note.includes(`levels 0-${c.levels}`));
      // the milestones keep the paper's proportions of training
      const paper = configs(name, 'paper')[0].config;
      c.schedule.milestones.forEach((m, i) =>
        assert.equal(m, Math.round((paper.schedule.milestones[i] * c.iterations) / paper.iterations)),
      );
    }
    // the variants stay distinct runs
    assert.equal(new Set(runs.map((r) => r.run.name)).size, runs.length);
  }
  assert.throws(() => PRESETS['vgg19-global'].runs({ scale: 'quick', dataset: 'mnist' }), UserError);
});
