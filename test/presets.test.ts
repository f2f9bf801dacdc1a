import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PRESETS, presetRuns } from '../src/experiments/presets.js';
import { UserError } from '../src/util/errors.js';
import { resolveConfig } from '../src/lottery/resolve.js';
import { hashConfig } from '../src/store/index.js';

const configs = (name: string, dataset?: string, scale: 'quick' | 'paper' = 'paper') =>
  PRESETS[name].runs({ scale, dataset }).map((r) => ({ run: r, config: resolveConfig(r.request) }));

test("lenet-iterative at paper scale is the paper's LeNet-300-100 setup (Figure 2 and Section 2)", () => {
  const [{ config, run }] = configs('lenet-iterative');
  assert.equal(config.model, 'lenet300');
  assert.equal(config.dataset, 'mnist');
  assert.deepEqual(config.inputShape, [784]);
  assert.equal(config.optimizer.kind, 'adam');
  assert.equal(config.learningRate, 1.2e-3);
  assert.equal(config.batchSize, 60);
  assert.equal(config.iterations, 50_000);
  assert.deepEqual(config.pruning.rates, { fc: 0.2, output: 0.1 });
  assert.equal(config.pruning.schedule, 'iterative');
  assert.equal(config.pruning.scope, 'layerwise');
  assert.equal(config.reset, 'init');
  assert.equal(config.validationSize, 5000);
  assert.equal(config.trials, 5);
  assert.deepEqual(config.controls, ['random-reinit', 'random-prune', 'one-shot']);
  assert.equal(config.controlLevels, undefined);
  assert.equal(run.labels.scale, 'paper');
  assert.equal(run.labels.standIn, undefined);
});

test("conv-iterative at paper scale: Conv-2/4/6 with the paper's optimizer, rates and iterations", () => {
  const expected: Record<string, { lr: number; iterations: number; conv: number }> = {
    conv2: { lr: 2e-4, iterations: 20_000, conv: 0.1 },
    conv4: { lr: 3e-4, iterations: 25_000, conv: 0.1 },
    conv6: { lr: 3e-4, iterations: 30_000, conv: 0.15 },
  };
  const runs = configs('conv-iterative');
  assert.deepEqual(
    runs.map((r) => r.config.model),
    ['conv2', 'conv4', 'conv6'],
  );
  for (const { config } of runs) {
    const e = expected[config.model];
    assert.equal(config.dataset, 'cifar10');
    assert.deepEqual(config.inputShape, [3, 32, 32]);
    assert.equal(config.optimizer.kind, 'adam');
    assert.equal(config.learningRate, e.lr);
    assert.equal(config.batchSize, 60);
    assert.equal(config.iterations, e.iterations);
    assert.deepEqual(config.pruning.rates, { fc: 0.2, conv: e.conv, output: 0.1 });
    assert.equal(config.validationSize, 5000);
  }
});

test('stand-ins and quick scale are labelled; quick shortens training but keeps the procedure', () => {
  for (const { run, config } of configs('conv-iterative', 'fashion-mnist', 'quick')) {
    assert.match(run.labels.standIn ?? '', /fashion-mnist standing in for cifar10/);
    assert.equal(run.labels.scale, 'quick');
    assert.deepEqual(config.inputShape, [1, 28, 28]);
    // Sized so all three networks finish well under an hour on 2 cores (README "How long").
    assert.equal(config.iterations, 200);
    assert.equal(config.levels, 2);
    assert.deepEqual(config.controlLevels?.['random-prune'], [2]);
  }
  const [{ config }] = configs('lenet-iterative', 'mnist', 'quick');
  assert.deepEqual(config.pruning.rates, { fc: 0.2, output: 0.1 });
  assert.equal(config.learningRate, 1.2e-3);
  assert.equal(config.levels, 16);
});

test('LeNet quick scale trains long enough for early stopping to show, with controls where the paper makes its claims', () => {
  for (const dataset of ['mnist', 'fashion-mnist']) {
    const [{ config }] = configs('lenet-iterative', dataset, 'quick');
    // the dense network's minimum validation loss comes mid-run (around 3,600-5,300), not at the end
    assert.equal(config.iterations, 10_000);
    assert.equal(config.evalEvery, 200);
    assert.equal(config.trials, 2);
    assert.deepEqual(config.controls, ['random-reinit', 'random-prune']);
    assert.deepEqual(config.controlLevels, { 'random-reinit': [3, 7, 9, 15, 16], 'random-prune': [7, 15] });
  }
  const [{ config: paper }] = configs('lenet-iterative', 'mnist', 'paper');
  assert.deepEqual(paper.controls, ['random-reinit', 'random-prune', 'one-shot']);
  assert.equal(paper.controlLevels, undefined);
});

test('figure-1 draws on exactly the runs of the other presets, so the run store computes them once', () => {
  for (const scale of ['quick', 'paper'] as const) {
    const figure1 = configs('figure-1', undefined, scale).map((r) => hashConfig(r.config));
    const others = [
      ...configs('lenet-iterative', undefined, scale),
      ...configs('conv-iterative', undefined, scale),
    ].map((r) => hashConfig(r.config));
    assert.deepEqual(figure1, others);
  }
});

test('--models restricts a preset to some networks, with the same configurations as the full preset', () => {
  const conv = PRESETS['conv-iterative'];
  const full = presetRuns(conv, { scale: 'quick', dataset: 'fashion-mnist' });
  const some = presetRuns(conv, { scale: 'quick', dataset: 'fashion-mnist', models: ['conv4', 'conv2'] });
  assert.deepEqual(
    some.map((r) => r.request.model),
    ['conv2', 'conv4'],
  );
  for (const r of some) {
    const same = full.find((f) => f.name === r.name)!;
    assert.equal(hashConfig(resolveConfig(r.request)), hashConfig(resolveConfig(same.request)));
  }
  assert.equal(presetRuns(conv, { scale: 'quick', models: [] }).length, 3);
  assert.throws(
    () => presetRuns(conv, { scale: 'quick', models: ['conv2', 'lenet300'] }),
    (e: Error) => e instanceof UserError && /has no network lenet300/.test(e.message),
  );
  const fig1 = presetRuns(PRESETS['figure-1'], { scale: 'quick', models: ['lenet300'] });
  assert.deepEqual(
    fig1.map((r) => r.request.model),
    ['lenet300'],
  );
});
