/** Durations in epochs or iterations (OpenLTH's `160ep`, `30000it`, `2ep500it`) for the duration settings. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { settingOption } from '../src/cli/settings-options.js';
import { resolveConfig, runIdentity } from '../src/lottery/resolve.js';
import { iterationsPerEpoch, parseDuration, toIterations } from '../src/spec/durations.js';
import { LOTTERY_SETTINGS } from '../src/spec/settings.js';
import { UserError } from '../src/util/errors.js';

describe('durations', () => {
  test('parsing: epochs, iterations, both, plain numbers', () => {
    assert.deepEqual(parseDuration('160ep'), { epochs: 160, iterations: 0 });
    assert.deepEqual(parseDuration('30000it'), { epochs: 0, iterations: 30000 });
    assert.deepEqual(parseDuration('2ep500it'), { epochs: 2, iterations: 500 });
    assert.deepEqual(parseDuration('1200'), { epochs: 0, iterations: 1200 });
    assert.deepEqual(parseDuration(700), { epochs: 0, iterations: 700 });
    for (const bad of ['', '10epochs', '500it2ep', 'ep', '1.5ep', '-3it']) {
      assert.throws(() => parseDuration(bad, 'iterations'), UserError, bad);
    }
    assert.throws(() => parseDuration(2.5), UserError);
    assert.equal(toIterations('2ep500it', 703), 1906);
    assert.equal(iterationsPerEpoch(45_000, 64), 703);
    assert.equal(iterationsPerEpoch(10, 64), 1);
  });

  test("VGG-19 in epochs: 160ep with drops at 80ep and 120ep are the paper's 112,480, 56,240 and 84,360", () => {
    const c = resolveConfig({ model: 'vgg19', iterations: '160ep', milestones: ['80ep', '120ep'] });
    assert.equal(c.iterations, 112_480);
    assert.deepEqual(c.schedule.milestones, [56_240, 84_360]);
    assert.deepEqual(c.durations, { iterations: '160ep', milestones: ['80ep', '120ep'] });
    // the same training given in iterations is the same run
    const n = resolveConfig({ model: 'vgg19', iterations: 112_480, milestones: [56_240, 84_360] });
    assert.equal(n.durations, undefined);
    assert.deepEqual(runIdentity(c), runIdentity(n));
  });

  test('an epoch follows the dataset, the validation split and the batch size; every duration setting takes units', () => {
    // MNIST: (60,000 − 5,000) / 60 = 916 iterations per epoch
    const c = resolveConfig({
      model: 'lenet300',
      iterations: '2ep500it',
      evalEvery: '1ep',
      warmup: '100it',
      reset: 'rewind',
      rewindIteration: '1ep',
    });
    assert.equal(c.iterations, 2 * 916 + 500);
    assert.equal(c.evalEvery, 916);
    assert.equal(c.schedule.warmup, 100);
    assert.equal(c.rewindIteration, 916);
    const larger = resolveConfig({
      model: 'lenet300',
      iterations: '1ep',
      batchSize: 100,
      validationSize: 10_000,
    });
    assert.equal(larger.iterations, 500);
  });

  test('iterations given as numbers keep the run identity they had', () => {
    const c = resolveConfig({ model: 'lenet300', iterations: 1000 });
    assert.deepEqual(runIdentity(c), { model: 'lenet300', iterations: 1000 });
    assert.equal(c.durations, undefined);
    assert.throws(() => resolveConfig({ model: 'lenet300', iterations: '3weeks' }), /not a duration/);
  });

  test('flags take durations with units as given, and plain numbers as before', () => {
    const iterations = settingOption(LOTTERY_SETTINGS.iterations);
    assert.equal(iterations.parseArg!('160ep', undefined), '160ep');
    assert.equal(iterations.parseArg!('3000', undefined), 3000);
    assert.throws(() => iterations.parseArg!('3 weeks', undefined), /integer/);
    const milestones = settingOption(LOTTERY_SETTINGS.schedule.children.milestones);
    assert.deepEqual(milestones.parseArg!('80ep,120ep', undefined), ['80ep', '120ep']);
    assert.deepEqual(milestones.parseArg!('100,200', undefined), [100, 200]);
  });
});
