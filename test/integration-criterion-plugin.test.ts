/**
 * A pruning criterion registered from a single plugin file, run through the CLI: `ticketlab --plugin
 * <file>` imports the file before the command is built, so its criterion is among --strategy's choices,
 * and the lottery gives it θ₀ (`needs: ['initial']`) when it prunes. The criterion is signed —
 * |w_f| − |w_i|, Zhou et al.'s "magnitude increase" — so it checks that selection ranks negative
 * scores below positive ones. The stored level-1 mask is checked against the stored θ₀ and level-0
 * weights, computed here independently of the pruning code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cli, withPlugin } from './helpers/plugin.js';
import { prunedCount } from '../src/prune/index.js';
import { loadTensors } from '../src/store/index.js';

const DATA = process.env.TICKETLAB_DATA;
const PLUGIN_FILE = 'magnitude-increase.mjs';
const skip = DATA ? false : 'TICKETLAB_DATA is not set: the lottery run needs the real MNIST files';
const PRUNE = resolve('src/prune/index.ts');

/** The whole plugin: one file, one registration. */
const PLUGIN = `
import { registerCriterion } from ${JSON.stringify(PRUNE)};

registerCriterion({
  name: 'plugin_magnitude_increase',
  description: 'keep the weights whose magnitude grew most in training: |w_f| - |w_i|',
  needs: ['initial'],
  score({ trained, initial }) {
    const scores = new Float64Array(trained.length);
    for (let i = 0; i < trained.length; i++) scores[i] = Math.abs(trained[i]) - Math.abs(initial[i]);
    return scores;
  },
});
`;

test("a plugin's criterion is among --strategy's choices; without the plugin it is refused", () => {
  withPlugin(PLUGIN_FILE, PLUGIN, (plugin) => {
    const help = cli(['--plugin', plugin, 'lottery', '--help']);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /"plugin_magnitude_increase"/);
    const without = cli(['lottery', '--strategy', 'plugin_magnitude_increase']);
    assert.notEqual(without.status, 0);
    assert.match(without.stderr, /plugin_magnitude_increase/);
    assert.match(without.stderr, /magnitude, random/);
  });
});

test('a signed criterion from one plugin file prunes a lottery run from θ₀ and θ_final', { skip }, () => {
  withPlugin(PLUGIN_FILE, PLUGIN, (plugin, dir) => {
    const runs = join(dir, 'runs');
    const r = cli([
      '--plugin',
      plugin,
      'lottery',
      '--strategy',
      'plugin_magnitude_increase',
      '--levels',
      '1',
      '--iterations',
      '30',
      '--eval-every',
      '30',
      '--validation-size',
      '1000',
      '--threads',
      '1',
      '--runs-dir',
      runs,
      '--json',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const [run] = readdirSync(runs).filter((d) => !d.startsWith('.'));
    const config = JSON.parse(readFileSync(join(runs, run, 'config.json'), 'utf8'));
    assert.equal(config.pruning.strategy, 'plugin_magnitude_increase');
    const trial = join(runs, run, 'trial-0');
    const floats = (path: string) => loadTensors(path) as Map<string, Float32Array>;
    const initial = floats(join(trial, 'init.safetensors'));
    const trained = floats(join(trial, 'level-00', 'ticket', 'final.safetensors'));
    const masks = loadTensors(join(trial, 'level-01', 'ticket', 'masks.safetensors')) as Map<
      string,
      Uint8Array
    >;
    // lenet300: three weight matrices, the fc ones pruned by 20%, the output layer by 10%
    assert.deepEqual([...masks.keys()], ['fc1.weight', 'fc2.weight', 'fc3.weight']);
    let differsFromMagnitude = false;
    for (const [name, mask] of masks) {
      const wi = initial.get(name)!;
      const wf = trained.get(name)!;
      assert.equal(mask.length, wf.length, name);
      const score = (i: number) => Math.abs(wf[i]) - Math.abs(wi[i]);
      const rate = name === 'fc3.weight' ? 0.1 : 0.2;
      let kept = 0;
      let minKept = Infinity;
      let maxPruned = -Infinity;
      for (let i = 0; i < mask.length; i++) {
        if (mask[i] === 1) {
          kept++;
          minKept = Math.min(minKept, score(i));
        } else {
          assert.equal(mask[i], 0, `${name}[${i}] is neither 0 nor 1`);
          maxPruned = Math.max(maxPruned, score(i));
        }
      }
      assert.equal(kept, mask.length - prunedCount(rate, mask.length), `${name}: kept count`);
      assert.ok(minKept >= maxPruned, `${name}: a kept score ${minKept} < a pruned score ${maxPruned}`);
      // signed scores: some weights shrank (negative scores); the criterion is not |w_f| in disguise
      assert.ok(maxPruned < 0, `${name}: the pruned weights are those that shrank most`);
      const threshold = [...wf].map(Math.abs).sort((a, b) => a - b)[mask.length - kept];
      for (let i = 0; i < mask.length && !differsFromMagnitude; i++) {
        if ((Math.abs(wf[i]) >= threshold ? 1 : 0) !== mask[i]) differsFromMagnitude = true;
      }
    }
    assert.ok(differsFromMagnitude, 'the mask is the magnitude mask: the plugin criterion was not used');
  });
});
