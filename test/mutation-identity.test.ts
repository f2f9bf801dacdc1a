// Written to kill the mutants StrykerJS left alive in src/lottery/resolve.ts (see docs/mutation.md):
// --target's per-level rate and the list of result-affecting settings that guards a run directory
// against a model whose defaults changed (resultSettings, compared by executeLottery).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig, resultSettings, runIdentity } from '../src/lottery/resolve.js';

test('--target: every pruned kind gets 1 − target^(1/levels); at least one level is needed', () => {
  const one = resolveConfig({ model: 'lenet300', target: 0.5, levels: 1 });
  assert.deepEqual(one.pruning.rates, { fc: 0.5, output: 0.5 });
  const two = resolveConfig({ model: 'conv2', target: 0.25, levels: 2 });
  assert.deepEqual(two.pruning.rates, { conv: 0.5, fc: 0.5, output: 0.5 });
  const ten = resolveConfig({ model: 'lenet300', target: 0.1, levels: 10 });
  assert.ok(Math.abs(ten.pruning.rates.fc! - (1 - Math.pow(0.1, 1 / 10))) < 1e-15);
  assert.throws(
    () => resolveConfig({ model: 'lenet300', target: 0.5, levels: 0 }),
    /--target needs at least one level/,
  );
});

test('resultSettings: every result-affecting setting that applies, defaults included, nothing else', () => {
  const config = resolveConfig({ model: 'lenet300', iterations: 40, levels: 3, trials: 2 });
  const settings = resultSettings(config);
  // defaults are in (that is the point: they catch a model whose defaults changed)
  assert.equal(settings.model, 'lenet300');
  assert.equal(settings.dataset, 'mnist');
  assert.equal(settings['pruning.rates.fc'], 0.2);
  assert.equal(settings['pruning.rates.output'], 0.1);
  assert.equal(settings.learningRate, config.learningRate);
  assert.equal(settings.iterations, 40);
  assert.equal(settings.seed, 0);
  assert.deepEqual(settings['schedule.milestones'], []);
  // how much to compute is not a result setting
  for (const key of ['levels', 'trials', 'controls', 'controlLevels', 'checkpointEvery'])
    assert.equal(key in settings, false, key);
  // a setting of another optimizer does not apply to Adam
  assert.equal('optimizer.momentum' in settings, false);
  const sgd = resultSettings(resolveConfig({ model: 'lenet300', optimizer: 'sgd', momentum: 0.5 }));
  assert.equal(sgd['optimizer.momentum'], 0.5);
  // the identity is the subset of these that differ from the defaults
  const identity = runIdentity(config);
  for (const [key, value] of Object.entries(identity)) assert.deepEqual(settings[key], value, key);
  assert.deepEqual(identity, { model: 'lenet300', iterations: 40 });
});
