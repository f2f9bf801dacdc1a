/**
 * `reproduce resnet20-pruning-study`: its runs and settings at both scales (the study's schedule, the
 * exact per-round rates and densities, Renda's methods and budget), and `--densities`, the explicit
 * per-level densities its one-shot experiment needs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PRESETS } from '../src/experiments/presets.js';
import { studyRunTag } from '../src/experiments/study-preset.js';
import { resolveConfig, runIdentity } from '../src/lottery/resolve.js';
import { pruneSpecFor } from '../src/lottery/tickets.js';
import { UserError } from '../src/util/errors.js';
import { rendaRowNear } from '../src/report/study-numbers.js';

const preset = PRESETS['resnet20-pruning-study'];
const configs = (scale: 'quick' | 'paper', dataset?: string) =>
  preset.runs({ scale, dataset }).map((r) => ({ run: r, config: resolveConfig(r.request) }));
const byName = (runs: ReturnType<typeof configs>, part: string) => {
  const found = runs.find((r) => r.run.name.includes(part));
  assert.ok(found, `a run named …${part}…`);
  return found;
};

test('paper scale: nine lottery runs on the study’s network and schedule, global pruning of the conv weights only', () => {
  const all = configs('paper');
  assert.deepEqual(
    all.map((r) => r.run.name),
    [
      'one-shot-retrain',
      'lottery-pruned50',
      'lottery-pruned70',
      'lottery-pruned90',
      'renda-finetune',
      'renda-weight-rewind',
      'renda-lr-rewind',
      'slimming-sparsity',
      'slimming-early-bird-stop',
    ].map((n) => `resnet20-pruning-study-${n}-cifar10-paper`),
  );
  // the structured experiment's two runs train level 0 only (tested below)
  const runs = all.filter((r) => !r.run.name.includes('-slimming-'));
  for (const { config: c, run } of all) {
    assert.equal(c.model, 'preresnet20-bottleneck');
    assert.equal(c.iterations, 160 * 703, '160 epochs of 45,000 examples at batch 64');
    assert.deepEqual(c.schedule.milestones, [80 * 703, 120 * 703]);
    assert.equal(
      studyRunTag(run.name)?.experiment,
      /-(one-shot|lottery|renda|slimming)-/.exec(run.name)?.[1],
    );
  }
  for (const { config: c, run } of runs) {
    assert.equal(c.model, 'preresnet20-bottleneck');
    assert.equal(c.dataset, 'cifar10');
    assert.deepEqual(c.optimizer, { kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 1e-4 });
    assert.equal(c.learningRate, 0.1);
    assert.equal(c.batchSize, 64);
    assert.equal(c.iterations, 160 * 703, '160 epochs of 45,000 examples at batch 64');
    assert.deepEqual(c.schedule.milestones, [80 * 703, 120 * 703]);
    assert.equal(c.schedule.gamma, 0.1);
    assert.equal(c.augment, true);
    assert.equal(c.pruning.scope, 'global');
    assert.deepEqual(Object.keys(c.pruning.rates), ['conv'], 'the fc layer is not pruned');
    assert.equal(c.trials, 1);
    assert.equal(run.labels.standIn, undefined);
    assert.equal(run.labels.preset, 'resnet20-pruning-study');
  }
});

test('experiment 1: one run, one-shot to 50/30/10% remaining, the trained weights retrained for the full schedule', () => {
  const { config: c } = byName(configs('paper'), 'one-shot');
  assert.equal(c.pruning.schedule, 'one-shot');
  assert.deepEqual(c.densities, [0.5, 0.3, 0.1]);
  assert.equal(c.levels, 3);
  // lr-rewind from k = 0: the trained weights, the schedule replayed from step 0 for all T steps
  assert.equal(c.reset, 'lr-rewind');
  assert.equal(c.rewindIteration, 0);
  // each level prunes the dense network straight to its density
  const specs = [1, 2, 3].map((level) => pruneSpecFor(c, level));
  assert.deepEqual(
    specs.map((x) => [x.fromFull, x.spec.scope, x.spec.rates.conv, x.spec.rates.fc, x.spec.rates.output]),
    [0.5, 0.7, 0.9].map((rate) => [true, 'global', rate, undefined, undefined]),
  );
});

test('experiment 2: 4 rounds at exactly 1 − (1 − pr)^(1/4) to 50, 70 and 90% pruned, reset to θ₀', () => {
  const runs = configs('paper');
  for (const pr of [0.5, 0.7, 0.9]) {
    const { config: c } = byName(runs, `lottery-pruned${pr * 100}`);
    assert.equal(c.pruning.rates.conv, 1 - (1 - pr) ** (1 / 4));
    assert.equal(c.levels, 4);
    assert.equal(c.pruning.schedule, 'iterative');
    assert.equal(c.reset, 'init');
    assert.ok(Math.abs((1 - c.pruning.rates.conv!) ** 4 - (1 - pr)) < 1e-12);
  }
  assert.equal(byName(runs, 'pruned90').config.pruning.rates.conv, 1 - 0.1 ** 0.25);
});

test("experiment 3: Renda's three methods, 20% per level over 10 levels, the same budget T − k", () => {
  const runs = configs('paper').filter((r) => r.run.name.includes('renda'));
  assert.deepEqual(
    runs.map((r) => r.config.reset),
    ['finetune', 'weight-rewind', 'lr-rewind'],
  );
  for (const { config: c } of runs) {
    assert.equal(c.pruning.rates.conv, 0.2);
    assert.equal(c.levels, 10);
    assert.equal(c.rewindIteration, 7030, 'k = 10 of 160 epochs');
  }
  assert.equal(runs[0].config.finetuneLearningRate, 0.001);
  // levels 1, 4, 7 and 10 are Renda's densities 0.80, 0.41, 0.21, 0.107
  const matched = Array.from({ length: 10 }, (_, i) => i + 1).filter((k) => rendaRowNear(0.8 ** k));
  assert.deepEqual(matched, [1, 4, 7, 10]);
});

test('experiment 4, paper: a sparsity run (s = 1e-4, early-bird masks, weights at epochs 10/30/50/100), an early-bird stop, 11 slimmed networks', () => {
  const runs = configs('paper');
  const sparsity = byName(runs, 'slimming-sparsity').config;
  assert.equal(sparsity.levels, 0);
  assert.equal(sparsity.bnL1, 1e-4);
  assert.equal(sparsity.earlyBird, true);
  assert.deepEqual(
    sparsity.saveWeightsAt,
    [10, 30, 50, 100].map((e) => e * 703),
  );
  assert.equal(sparsity.earlyBirdStop, undefined);
  const stop = byName(runs, 'slimming-early-bird-stop').config;
  assert.equal(stop.earlyBirdStop, 0.5);
  assert.equal(stop.bnL1, 1e-4);
  assert.equal(stop.levels, 0);
  // the same training as the sparsity run but for the stop (and the recording and snapshots it implies)
  const { earlyBird: _e, saveWeightsAt: _s, earlyBirdStop: _t, ...same } = sparsity;
  const { earlyBird: _e2, saveWeightsAt: _s2, earlyBirdStop: _t2, ...sameStop } = stop;
  assert.deepEqual(sameStop, same);

  const slim = preset.slimRetrainRuns!({ scale: 'paper' });
  const name = (v: string) => `resnet20-pruning-study-slimming-${v}-cifar10-paper`;
  assert.deepEqual(
    slim.map((r) => [r.name, r.source, r.request.ratio, r.request.weights]),
    [
      ...[0.3, 0.5].flatMap((ratio) =>
        [10, 30, 50, 100, 160].map((e) => [
          name(`prune${ratio * 100}-epoch${e}`),
          name('sparsity'),
          ratio,
          e === 160 ? 'final' : String(e * 703),
        ]),
      ),
      [name('prune50-early-bird'), name('early-bird-stop'), 0.5, 'early-bird'],
    ],
  );
  for (const r of slim) {
    assert.equal(r.kind, 'slim-retrain');
    // slimmed at one global |γ| threshold, retrained from the surviving weights with the source's schedule
    assert.deepEqual(
      {
        from: r.request.from,
        retrainFrom: r.request.retrainFrom,
        trial: r.request.trial,
        training: r.request.training,
      },
      { from: 'bn', retrainFrom: 'slimmed', trial: 0, training: undefined },
    );
    assert.equal(studyRunTag(r.name)?.experiment, 'slimming');
    assert.deepEqual(r.labels, { scale: 'paper', preset: 'resnet20-pruning-study' });
  }
});

test('experiment 4, quick: the same fractions of 400 iterations, ratio 0.5 only, no early-bird stop (under one epoch)', () => {
  const runs = configs('quick').filter((r) => r.run.name.includes('-slimming-'));
  assert.deepEqual(
    runs.map((r) => r.run.name),
    ['resnet20-pruning-study-slimming-sparsity-fashion-mnist-quick'],
  );
  const c = runs[0].config;
  assert.deepEqual(c.saveWeightsAt, [25, 75, 125, 250]);
  assert.equal(c.bnL1, 1e-4);
  assert.ok(c.earlyBird);
  const slim = preset.slimRetrainRuns!({ scale: 'quick' });
  assert.deepEqual(
    slim.map((r) => [
      r.name.replace(/^resnet20-pruning-study-slimming-|-fashion-mnist-quick$/g, ''),
      r.request.ratio,
      r.request.weights,
    ]),
    [
      ['prune50-epoch10', 0.5, '25'],
      ['prune50-epoch30', 0.5, '75'],
      ['prune50-epoch50', 0.5, '125'],
      ['prune50-epoch100', 0.5, '250'],
      ['prune50-epoch160', 0.5, 'final'],
    ],
  );
  assert.ok(slim.every((r) => r.source === runs[0].run.name));
  // 1 + 5 units beside experiments 1-3; the quick note counts them
  assert.match(preset.quickNote, /40 units \(35 trained/);
  assert.doesNotMatch(preset.description, /not yet/);
});

test('quick scale: the Fashion-MNIST stand-in, said so, 400 iterations with the drops at 1/2 and 3/4, Renda’s four densities', () => {
  const runs = configs('quick');
  // 7 of experiments 1-3 and the structured experiment's sparsity training (no early-bird stop: below)
  assert.equal(runs.length, 8);
  for (const { config: c, run } of runs) {
    assert.equal(c.dataset, 'fashion-mnist');
    assert.deepEqual(c.inputShape, [1, 28, 28]);
    assert.equal(c.iterations, 400);
    assert.deepEqual(c.schedule.milestones, [200, 300]);
    assert.equal(c.validationSize, 1000);
    assert.match(run.labels.standIn ?? '', /fashion-mnist standing in for cifar10/);
    assert.match(run.name, /-fashion-mnist-quick$/);
  }
  const renda = runs.filter((r) => r.run.name.includes('renda'));
  for (const { config: c } of renda) {
    // Renda's four densities exactly, in 4 iterative levels
    assert.deepEqual(c.densities, [0.8, 0.41, 0.21, 0.107]);
    assert.equal(c.levels, 4);
    assert.equal(c.pruning.schedule, 'iterative');
    assert.equal(c.rewindIteration, 25);
    assert.ok(Math.abs(pruneSpecFor(c, 2).spec.rates.conv! - (1 - 0.41 / 0.8)) < 1e-15);
  }
  assert.deepEqual(
    renda[0].config.densities!.map((d) => rendaRowNear(d)?.density),
    [0.8, 0.41, 0.21, 0.107],
  );
  assert.match(preset.quickNote, /fashion-mnist .*standing in for cifar10/);
  // the quick runs are not the paper's: their own names and directories
  assert.notDeepEqual(runIdentity(runs[0].config), runIdentity(configs('paper')[0].config));
});

test('the preset takes cifar10 or fashion-mnist, and refuses other data with one message', () => {
  assert.equal(configs('quick', 'cifar10')[0].config.augment, true);
  assert.throws(() => preset.runs({ scale: 'quick', dataset: 'mnist' }), UserError);
});

test('--densities: absent, nothing changes; given, it must match the levels, decrease, and not come with --target', () => {
  const request = { model: 'conv2', dataset: 'fashion-mnist', levels: 3 } as const;
  const plain = resolveConfig(request);
  assert.equal(plain.densities, undefined);
  assert.ok(!('densities' in runIdentity(plain)));
  const iterative = resolveConfig({ ...request, densities: [0.5, 0.3, 0.1] });
  // iterative: each level keeps d_L / d_(L−1) of the previous one; every given kind's rate is replaced
  const rates = [1, 2, 3].map((l) => pruneSpecFor(iterative, l).spec.rates);
  assert.deepEqual(
    rates.map((r) => [r.fc, r.conv, r.output]),
    [0.5, 1 - 0.3 / 0.5, 1 - 0.1 / 0.3].map((p) => [p, p, p]),
  );
  assert.equal(pruneSpecFor(iterative, 2).fromFull, false);
  assert.throws(() => resolveConfig({ ...request, densities: [0.5, 0.3] }), /2 densities for 3 levels/);
  assert.throws(() => resolveConfig({ ...request, densities: [0.5, 0.6, 0.1] }), /must decrease/);
  assert.throws(() => resolveConfig({ ...request, densities: [0.5, 0.3, 0.1], target: 0.1 }), /--target/);
  assert.throws(() => resolveConfig({ ...request, densities: [0.5, 0.3, 1] }), UserError);
});
