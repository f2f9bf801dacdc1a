/**
 * The settings table's rules beyond the command lines (cli-settings-refused.test.ts): the same
 * refusals from a config file and the library, the settings a model or the rest of the configuration
 * leaves without effect, and a run's own config.json (which holds every setting, defaults included)
 * still accepted as a config file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { requestFromConfigFile } from '../src/spec/config-file.js';
import { type LotteryRequest, resolveConfig } from '../src/lottery/resolve.js';
import { UserError } from '../src/util/errors.js';
import { withoutAdded } from './helpers/added-settings.js';

function refused(request: Record<string, unknown>, message: RegExp, fix: RegExp): void {
  assert.throws(
    () => resolveConfig(request as LotteryRequest),
    (e: unknown) => e instanceof UserError && message.test(e.message) && fix.test(e.fix ?? ''),
    JSON.stringify(request),
  );
}

test('a config file gets the same refusals as the flags, named by the setting', () => {
  const fromFile = (content: unknown) => requestFromConfigFile(content, 'run.json') as LotteryRequest;
  assert.throws(
    () => resolveConfig(fromFile({ model: 'lenet300', dropout: 0.5 })),
    /--dropout 0\.5 is refused: .*lenet300 has no dropout layers/,
  );
  assert.throws(
    () => resolveConfig(fromFile({ optimizer: { kind: 'adam', momentum: 0.9 } })),
    /--momentum \(optimizer\.momentum\) 0\.9 is refused: it applies only when optimizer\.kind is sgd/,
  );
  assert.throws(
    () => resolveConfig(fromFile({ optimizer: { kind: 'sgd', beta1: 0.8 } })),
    /optimizer\.beta1 0\.8 is refused: it applies only when optimizer\.kind is adam/,
  );
  assert.throws(
    () => resolveConfig(fromFile({ 'pruning.rates.fc': 1 })),
    /pruning\.rates\.fc: must be less than 1/,
  );
});

test('settings the model or the rest of the configuration leave without effect are refused', () => {
  refused(
    { model: 'lenet300', rateConv: 0.1 },
    /--rate-conv .* lenet300 has no conv layers/,
    /leave the conv rate out/,
  );
  refused(
    { gamma: 0.5 },
    /--gamma \(schedule\.gamma\) 0\.5 is refused: it applies only when schedule\.milestones is not empty/,
    /--milestones/,
  );
  refused(
    { controls: ['random-reinit'], controlLevels: { 'random-prune': [2] } },
    /controlLevels .* names controls that are not run \(random-prune\)/,
    /add them to controls/,
  );
  refused(
    { validationSize: 60000 },
    /--validation-size 60000 leaves no training examples/,
    /fewer than 60000/,
  );
  refused(
    { reset: 'rewind', rewindIteration: 500, iterations: 100 },
    /--rewind-iteration 500 is past the end of training \(100 iterations\)/,
    /at most 100/,
  );
  refused(
    { validationSize: 1000, batchSize: 59001 },
    /larger than the training set \(59000 examples/,
    /at most 59000/,
  );
});

test('where they apply, the same settings are accepted', () => {
  const c = resolveConfig({
    model: 'conv2',
    dataset: 'cifar10',
    dropout: 0.5,
    augment: true,
    optimizer: 'sgd',
    momentum: 0.5,
    nesterov: true,
    milestones: [100],
    gamma: 0.5,
    reset: 'rewind',
    rewindIteration: 100,
    rateConv: 0.2,
    batchSize: 45000,
    controls: ['random-prune'],
    controlLevels: { 'random-prune': [2] },
  });
  assert.equal(c.dropout, 0.5);
  assert.deepEqual(c.optimizer, { kind: 'sgd', momentum: 0.5, nesterov: true, weightDecay: 0 });
  assert.equal(c.pruning.rates.conv, 0.2);
  assert.equal(resolveConfig({ target: 0.5, levels: 2 }).pruning.rates.fc, 1 - Math.sqrt(0.5));
  assert.equal(resolveConfig({ reset: 'rewind', rewindIteration: 0 }).rewindIteration, 0);
});

test('a run’s own config.json (every setting, defaults included) resolves again as a config file', () => {
  const stored = JSON.parse(readFileSync('test/fixtures/resolved-configs-before.json', 'utf8')) as {
    cli: Record<string, Record<string, unknown>>;
  };
  for (const [line, config] of Object.entries(stored.cli)) {
    const { inputShape: _derived, ...settable } = config;
    // it holds rewindIteration 0 with --reset init, dropout 0 on lenet300, augment false on MNIST:
    // values equal to their defaults, which are accepted where the setting does not apply
    if (line.includes('--dropout 0.5') && config.model === 'lenet300') continue; // refused since issue 11
    const again = resolveConfig(requestFromConfigFile(settable, 'config.json') as LotteryRequest);
    assert.deepEqual(withoutAdded(again), config, line);
  }
});
