import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lotteryConfigSchema } from '../src/lottery/config.js';
import { defaultContext, inputShapeFor, resolveConfig } from '../src/lottery/resolve.js';
import { lenet300, modelNamed, modelNames, registerModel } from '../src/models/index.js';
import { MODELS } from '../src/models/zoo.js';
import { UserError } from '../src/util/errors.js';

test('the built-in models are registered, and the zoo record still lists them', () => {
  assert.deepEqual(modelNames().slice(0, 5), ['lenet300', 'lenet5', 'conv2', 'conv4', 'conv6']);
  assert.equal(MODELS.lenet300, modelNamed('lenet300'));
  assert.throws(
    () => modelNamed('resnet9000'),
    (e: Error) => e instanceof UserError && /unknown model "resnet9000"/.test(e.message),
  );
  assert.throws(() => registerModel({ ...lenet300 }), /already registered/);
  assert.throws(() => registerModel({ ...lenet300, name: 'bad name' }), /must be letters/);
});

test("every built-in model's defaults alone resolve to a valid configuration on its own dataset", () => {
  for (const name of ['lenet300', 'lenet5', 'conv2', 'conv4', 'conv6']) {
    const entry = modelNamed(name);
    const config = resolveConfig({ model: name });
    assert.equal(lotteryConfigSchema.safeParse(config).success, true, name);
    assert.equal(config.dataset, entry.defaults.dataset);
    assert.deepEqual(config.optimizer, entry.defaults.optimizer);
    assert.deepEqual(config.pruning.rates, entry.defaults.pruning.rates);
    assert.equal(config.learningRate, entry.defaults.learningRate);
    assert.equal(config.evalEvery, entry.defaults.evalEvery);
  }
});

test('the input shape comes from the dataset: flat for MLPs, channels first for conv nets', () => {
  assert.deepEqual(inputShapeFor(modelNamed('lenet300'), 'cifar10'), [3072]);
  assert.deepEqual(inputShapeFor(modelNamed('conv2'), 'fashion-mnist'), [1, 28, 28]);
  assert.deepEqual(defaultContext('conv4').dataset, {
    name: 'cifar10',
    channels: 3,
    height: 32,
    width: 32,
    classes: 10,
  });
  assert.throws(() => resolveConfig({ model: 'conv2', dataset: 'imagenet' }), /unknown dataset "imagenet"/);
});

test('--eval-every takes the model default when not given (the CLI no longer hides it)', () => {
  const entry = modelNamed('lenet300');
  const original = entry.defaults.evalEvery;
  try {
    entry.defaults.evalEvery = 250;
    assert.equal(resolveConfig({ model: 'lenet300' }).evalEvery, 250);
    assert.equal(resolveConfig({ model: 'lenet300', iterations: 100 }).evalEvery, 100);
  } finally {
    entry.defaults.evalEvery = original;
  }
});
