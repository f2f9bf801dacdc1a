/**
 * The run identity: the settings that change results, less those at their defaults. Pinned for a few
 * fixed configurations, so a change that would rename existing runs fails here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LotteryRequest } from '../src/lottery/config.js';
import { resolveConfig, runIdentity } from '../src/lottery/resolve.js';
import { hashConfig } from '../src/store/hash.js';

const GOLDEN: [string, LotteryRequest, Record<string, unknown>, string][] = [
  ['lenet300 defaults', { model: 'lenet300' }, { model: 'lenet300' }, '95631559f42c'],
  ['lenet5 defaults', { model: 'lenet5' }, { model: 'lenet5' }, '0790cf9ba6b5'],
  ['conv2 defaults', { model: 'conv2' }, { model: 'conv2' }, '29b5c875c98f'],
  ['conv4 defaults', { model: 'conv4' }, { model: 'conv4' }, '3a8055fc7294'],
  [
    'the CLI test run',
    { model: 'lenet300', iterations: 300, evalEvery: 50, levels: 1, checkpointEvery: 50 },
    { model: 'lenet300', iterations: 300, evalEvery: 50 },
    'dde99b45a6dc',
  ],
  [
    'conv6 on the stand-in data, rewinding, with controls',
    {
      model: 'conv6',
      dataset: 'fashion-mnist',
      controls: ['random-reinit', 'one-shot'],
      reset: 'rewind',
      rewindIteration: 500,
    },
    { model: 'conv6', dataset: 'fashion-mnist', reset: 'rewind', rewindIteration: 500 },
    'ee33ae9acdaf',
  ],
  [
    // made with the warmup rule of the time, which a request now names (issue 12): same name as then
    'SGD with a schedule',
    {
      model: 'conv4',
      optimizer: 'sgd',
      learningRate: 0.01,
      nesterov: true,
      weightDecay: 0.0005,
      milestones: [100, 200],
      gamma: 0.5,
      warmup: 10,
      warmupFrom: 'first-step',
    },
    {
      model: 'conv4',
      'optimizer.kind': 'sgd',
      'optimizer.weightDecay': 0.0005,
      'optimizer.nesterov': true,
      learningRate: 0.01,
      'schedule.warmup': 10,
      'schedule.milestones': [100, 200],
      'schedule.gamma': 0.5,
    },
    '0aecdce1fc9a',
  ],
  [
    // the same request at today's default warmup rule (OpenLTH's, from zero) is another run
    'SGD with a schedule, warmup from zero',
    {
      model: 'conv4',
      optimizer: 'sgd',
      learningRate: 0.01,
      nesterov: true,
      weightDecay: 0.0005,
      milestones: [100, 200],
      gamma: 0.5,
      warmup: 10,
    },
    {
      model: 'conv4',
      'optimizer.kind': 'sgd',
      'optimizer.weightDecay': 0.0005,
      'optimizer.nesterov': true,
      learningRate: 0.01,
      'schedule.warmup': 10,
      'schedule.warmupFrom': 'zero',
      'schedule.milestones': [100, 200],
      'schedule.gamma': 0.5,
    },
    '2c35ef3e07df',
  ],
];

test('golden run identities and their hashes', () => {
  for (const [what, request, identity, hash] of GOLDEN) {
    const config = resolveConfig(request);
    assert.deepEqual(runIdentity(config), identity, what);
    assert.equal(hashConfig(runIdentity(config)), hash, what);
  }
});

test('levels, trials, controls, control levels and checkpointing leave the identity as it is', () => {
  const base = runIdentity(resolveConfig({ model: 'lenet300', iterations: 40 }));
  for (const change of [
    { levels: 3 },
    { levels: 15 },
    { trials: 4 },
    { controls: ['random-reinit' as const] },
    { controls: ['random-reinit' as const, 'random-prune' as const], controlLevels: { 'random-prune': [2] } },
    { checkpointEvery: 0 },
  ]) {
    assert.deepEqual(runIdentity(resolveConfig({ model: 'lenet300', iterations: 40, ...change })), base);
  }
});

test('every setting that changes results changes the identity; giving a default changes nothing', () => {
  const base = resolveConfig({ model: 'lenet300', iterations: 40 });
  const hash = hashConfig(runIdentity(base));
  for (const change of [
    { learningRate: 0.01 },
    { rateOutput: 0.2 },
    { seed: 4 },
    // --reset rewind needs its k; a conv rate needs conv layers (issue 11: else refused)
    { reset: 'rewind' as const, rewindIteration: 10 },
    { splitSeed: 1 },
    { dataset: 'fashion-mnist' },
    { optimizer: 'sgd' as const },
    { target: 0.5 },
    { divergenceLoss: 100 },
    { trainEvalSize: 100 },
  ]) {
    const c = resolveConfig({ model: 'lenet300', iterations: 40, ...change });
    assert.notEqual(hashConfig(runIdentity(c)), hash, JSON.stringify(change));
  }
  const explicit = resolveConfig({
    model: 'lenet300',
    iterations: 40,
    dataset: 'mnist',
    learningRate: 1.2e-3,
    batchSize: 60,
    rateFc: 0.2,
    splitSeed: 0,
    validationSize: 5000,
  });
  assert.equal(hashConfig(runIdentity(explicit)), hash);
});

test('momentum is compared with the default of the chosen optimizer', () => {
  const sgd = runIdentity(resolveConfig({ model: 'lenet300', optimizer: 'sgd' }));
  assert.deepEqual(sgd, { model: 'lenet300', 'optimizer.kind': 'sgd' });
  const slow = runIdentity(resolveConfig({ model: 'lenet300', optimizer: 'sgd', momentum: 0.5 }));
  assert.equal(slow['optimizer.momentum'], 0.5);
});
