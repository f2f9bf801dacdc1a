/** `--config file.json|yaml`: any setting by its path; flags override the file; mistakes name the key. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProgram } from '../src/cli/main.js';
import { requestFromCommandLine } from '../src/cli/commands/lottery.js';
import type { LotteryConfig } from '../src/lottery/config.js';
import { resolveConfig } from '../src/lottery/resolve.js';
import { modelNamed } from '../src/models/registry.js';
import { UserError } from '../src/util/errors.js';

async function resolved(args: string[]): Promise<{ config: LotteryConfig; threads?: number }> {
  const program = buildProgram();
  let out: { config: LotteryConfig; threads?: number } | undefined;
  for (const kind of ['train', 'lottery'] as const) {
    program.commands
      .find((c) => c.name() === kind)!
      .action(async (o: Record<string, unknown>) => {
        const { request, threads } = await requestFromCommandLine(kind, o);
        out = { config: resolveConfig(request), threads };
      });
  }
  await program.parseAsync(['node', 'ticketlab', ...args]);
  return out!;
}

function withFile(name: string, content: string, body: (file: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ticketlab-config-'));
  const file = join(dir, name);
  writeFileSync(file, content);
  return body(file).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test('a JSON config file gives settings by path, nested or dotted; flags override it', async () => {
  const settings = {
    model: 'conv2',
    dataset: 'fashion-mnist',
    optimizer: { kind: 'sgd', momentum: 0.5 },
    'pruning.rates.conv': 0.3,
    pruning: { scope: 'global' },
    controls: ['random-reinit'],
    controlLevels: { 'random-reinit': [2] },
    iterations: 400,
    threads: 1,
  };
  await withFile('run.json', JSON.stringify(settings), async (file) => {
    const { config, threads } = await resolved(['lottery', '--config', file, '--iterations', '200']);
    assert.equal(config.model, 'conv2');
    assert.equal(config.dataset, 'fashion-mnist');
    assert.deepEqual(config.inputShape, [1, 28, 28]);
    assert.deepEqual(config.optimizer, { kind: 'sgd', momentum: 0.5, nesterov: false, weightDecay: 0 });
    assert.deepEqual(config.pruning.rates, { conv: 0.3, fc: 0.2, output: 0.1 });
    assert.equal(config.pruning.scope, 'global');
    assert.deepEqual(config.controls, ['random-reinit']);
    assert.deepEqual(config.controlLevels, { 'random-reinit': [2] });
    assert.equal(config.iterations, 200, 'the flag overrides the file');
    assert.equal(threads, 1);
    // train is level 0 only, whatever the file says
    const train = await resolved(['train', '--config', file]);
    assert.equal(train.config.levels, 0);
  });
});

test('unknown keys and invalid values in a config file are one clear error naming the key', async () => {
  const cases: [unknown, RegExp][] = [
    [{ learningrate: 0.1 }, /unknown setting "learningrate"/],
    [{ pruning: { rates: { dense: 0.1 } } }, /unknown setting "pruning\.rates\.dense"/],
    [{ pruning: { rates: { fc: 1.5 } } }, /pruning\.rates\.fc: must be at most 1/],
    [{ iterations: 'many' }, /iterations: expected a number, got "many"/],
    [{ batchSize: 2.5 }, /batchSize: expected an integer/],
    [{ reset: 'sometimes' }, /reset: "sometimes" is not one of init, rewind, reinit, none/],
    [{ inputShape: [784] }, /inputShape cannot be set/],
    [[1, 2], /one object of settings/],
  ];
  for (const [content, pattern] of cases) {
    await withFile('bad.json', JSON.stringify(content), async (file) => {
      await assert.rejects(
        resolved(['lottery', '--config', file]),
        (e: Error) => e instanceof UserError && pattern.test(e.message) && e.message.includes(file),
        JSON.stringify(content),
      );
    });
  }
  await withFile('broken.json', '{"iterations": ', async (file) => {
    await assert.rejects(resolved(['lottery', '--config', file]), /is not valid JSON/);
  });
});

test('a YAML config file gives settings by path as well', async () => {
  await withFile('run.yaml', 'iterations: 123\npruning:\n  rates:\n    fc: 0.4\n', async (file) => {
    const { config } = await resolved(['lottery', '--config', file]);
    assert.equal(config.iterations, 123);
    assert.equal(config.pruning.rates.fc, 0.4);
  });
  await withFile('bad.yml', 'pruning: [1, 2\n', async (file) => {
    await assert.rejects(resolved(['lottery', '--config', file]), /is not valid YAML/);
  });
});

test('a bad config file fails the CLI with one message and no stack trace', async () => {
  await withFile('bad.json', JSON.stringify({ seeds: 3 }), async (file) => {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli/entry.ts', 'lottery', '--config', file],
      { encoding: 'utf8' },
    );
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /unknown setting "seeds"/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});

test("a flag left out takes the model's default: --eval-every no longer hides it", async () => {
  const entry = modelNamed('lenet300');
  const original = entry.defaults.evalEvery;
  try {
    entry.defaults.evalEvery = 250;
    assert.equal((await resolved(['train'])).config.evalEvery, 250);
    assert.equal((await resolved(['train', '--eval-every', '50'])).config.evalEvery, 50);
  } finally {
    entry.defaults.evalEvery = original;
  }
});
