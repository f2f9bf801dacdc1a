/**
 * A model registered from a single plugin file, trained through the CLI: `ticketlab --plugin <file>`
 * imports the file before the command is built, so its model is among --model's choices.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cli, withPlugin } from './helpers/plugin.js';

const DATA = process.env.TICKETLAB_DATA;
const PLUGIN_FILE = 'tiny-mlp.mjs';
const skip = DATA ? false : 'TICKETLAB_DATA is not set: training the plugin model needs the real MNIST files';
const MODELS = resolve('src/models/index.ts');
const OPS = resolve('src/graph/ops.ts');

/** The whole plugin: one file, one registration. */
const PLUGIN = `
import { registerModel, dense } from ${JSON.stringify(MODELS)};
import { relu } from ${JSON.stringify(OPS)};

registerModel({
  name: 'tiny-mlp',
  description: 'a 784-32-10 MLP from a plugin',
  input: 'flat',
  create: (o = {}) => ({
    name: 'tiny-mlp',
    inputShape: o.inputShape ?? [784],
    classes: o.classes ?? 10,
    forward(ctx, x) {
      const h = relu(dense(ctx, 'fc1', x, 32, { init: o.init }));
      return dense(ctx, 'fc2', h, o.classes ?? 10, { layerKind: 'output', init: o.init });
    },
  }),
  defaults: {
    dataset: 'mnist',
    optimizer: { kind: 'adam', beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 },
    learningRate: 2e-3,
    schedule: { warmup: 0, milestones: [], gamma: 0.1 },
    batchSize: 50,
    iterations: 1000,
    evalEvery: 40,
    pruning: { rates: { fc: 0.5, output: 0.25 }, scope: 'layerwise', pruneBiases: false },
  },
});
`;

test("a plugin's model is among --model's choices, with its defaults in the help", () => {
  withPlugin(PLUGIN_FILE, PLUGIN, (plugin) => {
    const help = cli(['--plugin', plugin, 'lottery', '--help']);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /"tiny-mlp"/);
    // commander wraps help at 80 columns: compare with the line breaks taken out
    assert.match(help.stdout.replace(/\s+/g, ' '), /0\.002 \(tiny-mlp\)/);
    const without = cli(['lottery', '--model', 'tiny-mlp']);
    assert.notEqual(without.status, 0);
    assert.match(without.stderr, /Allowed choices are lenet300/);
  });
});

test('a plugin that does not exist or fails to load is one clear message', () => {
  const missing = cli(['train', '--plugin', '/nonexistent/plugin.mjs']);
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /plugin \/nonexistent\/plugin\.mjs does not exist/);
  withPlugin(PLUGIN_FILE, PLUGIN, (_plugin, dir) => {
    const broken = join(dir, 'broken.mjs');
    writeFileSync(broken, "throw new Error('boom');\n");
    const r = cli(['train', '--plugin', broken]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /failed to load: boom/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});

test('a model registered from one plugin file trains through `ticketlab train`', { skip }, () => {
  withPlugin(PLUGIN_FILE, PLUGIN, (plugin, dir) => {
    const runs = join(dir, 'runs');
    const r = cli([
      'train',
      '--plugin',
      plugin,
      '--model',
      'tiny-mlp',
      '--iterations',
      '80',
      '--threads',
      '1',
      '--runs-dir',
      runs,
      '--json',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const [run] = readdirSync(runs).filter((d) => !d.startsWith('.'));
    assert.match(run, /^tiny-mlp-mnist-train-/);
    const config = JSON.parse(readFileSync(join(runs, run, 'config.json'), 'utf8'));
    // the plugin's defaults reached the run: its learning rate, batch size and evaluation interval
    assert.equal(config.learningRate, 2e-3);
    assert.equal(config.batchSize, 50);
    assert.equal(config.evalEvery, 40);
    assert.deepEqual(config.pruning.rates, { fc: 0.5, output: 0.25 });
    const summary = JSON.parse(r.stdout);
    const [result] = summary.results;
    assert.deepEqual(
      result.curve.map((p: { iteration: number }) => p.iteration),
      [0, 40, 80],
    );
    assert.ok(result.finalTestAccuracy > 0.5, `accuracy ${result.finalTestAccuracy}`);
  });
});
