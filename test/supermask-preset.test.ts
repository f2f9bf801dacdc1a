/**
 * `reproduce supermask`: the preset's runs at both scales (Zhou's training settings, the variants,
 * one seed per trial), and its report's files and table from made-up results.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PRESETS, presetRuns } from '../src/experiments/presets.js';
import { SUPERMASK_PRESET } from '../src/experiments/supermask-preset.js';
import { SUPERMASK_DEFAULTS, type SupermaskResult } from '../src/experiments/learned-supermask.js';
import { resolveConfig } from '../src/lottery/resolve.js';
import { supermaskTable, writeSupermaskReport } from '../src/report/learned-supermask.js';
import { UserError } from '../src/util/errors.js';

test('the preset: three variants per trial, Zhou’s optimizer, 2,000 epochs at paper scale', () => {
  const quick = SUPERMASK_PRESET.runs({ scale: 'quick', trials: 2 });
  assert.equal(quick.length, 6);
  assert.deepEqual(
    quick.map((r) => [r.settings.rescale, r.settings.signedConstant, r.request.seed]),
    [
      [false, false, 0],
      [false, false, 1],
      [true, false, 0],
      [true, false, 1],
      [true, true, 0],
      [true, true, 1],
    ],
  );
  const config = resolveConfig(quick[0].request);
  assert.equal(config.optimizer.kind, 'sgd');
  assert.equal((config.optimizer as { momentum: number }).momentum, 0.9);
  assert.equal(config.learningRate, 100);
  assert.equal(config.batchSize, 250);
  assert.equal(config.iterations, 2000);
  const paper = SUPERMASK_PRESET.runs({ scale: 'paper' });
  assert.equal(paper.length, 3);
  assert.equal(resolveConfig(paper[0].request).iterations, 440_000); // 2,000 epochs of 220 batches
  assert.throws(() => SUPERMASK_PRESET.runs({ scale: 'quick', dataset: 'cifar10' }), UserError);
});

function result(seed: number, sampled: number[], thresholded: number): SupermaskResult {
  return {
    model: 'lenet300',
    dataset: 'mnist',
    seed,
    iterations: 20,
    settings: { ...SUPERMASK_DEFAULTS, samples: sampled.length },
    testAccuracyThresholded: thresholded,
    testAccuracySampled: sampled,
    testAccuracySampledMean: sampled.reduce((a, b) => a + b, 0) / sampled.length,
    fractionKept: 0.25,
    expectedFractionKept: 0.3,
    layers: [{ name: 'fc1.weight', total: 8, kept: 2 }],
    testAccuracyRandomMask: 0.1,
    testAccuracyUnmasked: 0.08,
    curve: [
      { iteration: 0, validationLoss: 2.3, validationAccuracy: 0.1, testAccuracy: 0.1 },
      { iteration: 20, validationLoss: 0.5, validationAccuracy: 0.9, testAccuracy: thresholded },
    ] as SupermaskResult['curve'],
    wallSeconds: 12,
    threads: 2,
  };
}

test('the report: mean and range over trials, the paper beside ours, figure, CSV and JSON', async () => {
  const rows = [
    { variant: 'θ₀', dir: 'runs/a', result: result(0, [0.9, 0.92], 0.8) },
    { variant: 'θ₀', dir: 'runs/b', result: result(1, [0.94, 0.96], 0.7) },
  ];
  const table = supermaskTable(rows);
  assert.match(
    table,
    /\| θ₀ \| 2 \| 93\.00% \(91\.00%–95\.00%\) \| 75\.00% \(70\.00%–80\.00%\) \| 25\.00% \(25\.00%–25\.00%\) \|/,
  );
  const out = mkdtempSync(join(tmpdir(), 'ticketlab-supermask-report-'));
  try {
    const path = await writeSupermaskReport(rows, out, {
      title: 'supermask (quick scale)',
      quickNote: 'quick scale: fewer iterations',
      paper: SUPERMASK_PRESET.paper,
      wallSeconds: 30,
      loadBefore: [1, 2, 3],
      loadAfter: [4, 5, 6],
      command: 'ticketlab reproduce supermask --scale quick',
    });
    const md = readFileSync(path, 'utf8');
    assert.ok(md.includes(SUPERMASK_PRESET.paper));
    assert.ok(md.includes('quick scale: fewer iterations'));
    assert.ok(md.includes('4.0 / 5.0 / 6.0 after'));
    for (const f of ['curves.svg', 'curves.png', 'results.csv', 'results.json'])
      assert.ok(existsSync(join(out, f)), f);
    const csv = readFileSync(join(out, 'results.csv'), 'utf8').trim().split('\n');
    assert.equal(csv.length, 3);
    assert.equal(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).length, 2);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('zhou-criteria: Conv-2/4/6 under the same 15 conditions, on the labelled stand-in, at Zhou’s rates', () => {
  const preset = PRESETS['zhou-criteria'];
  const lenetOnly = preset.runs({ scale: 'quick', dataset: 'mnist' });
  assert.equal(lenetOnly.length, 15);
  assert.ok(lenetOnly.every((r) => r.request.model === 'lenet300' && r.request.dataset === 'mnist'));
  const all = preset.runs({ scale: 'quick', dataset: 'fashion-mnist' });
  assert.equal(all.length, 60);
  const conv = all.filter((r) => r.request.model !== 'lenet300');
  assert.deepEqual([...new Set(conv.map((r) => r.request.model))], ['conv2', 'conv4', 'conv6']);
  for (const r of conv) {
    assert.equal(r.request.dataset, 'fashion-mnist');
    assert.match(r.labels.standIn ?? '', /standing in for cifar10/);
  }
  // the LeNet runs are the same as without the conv nets (same names, same requests)
  assert.deepEqual(
    all.filter((r) => r.request.model === 'lenet300'),
    lenetOnly,
  );
  const rates = (model: string) => {
    const c = resolveConfig(conv.find((r) => r.request.model === model)!.request);
    return [c.pruning.rates.conv, c.pruning.rates.fc, c.pruning.rates.output];
  };
  assert.deepEqual(rates('conv2'), [0.1, 0.2, 0.1]);
  assert.deepEqual(rates('conv6'), [0.15, 0.2, 0.1]);
  const paperConv2 = resolveConfig(
    preset.runs({ scale: 'paper', dataset: 'cifar10' }).find((r) => r.request.model === 'conv2')!.request,
  );
  assert.equal(paperConv2.iterations, 20_000);
  assert.equal(paperConv2.learningRate, 2e-4);
  assert.equal(
    presetRuns(preset, { scale: 'quick', dataset: 'fashion-mnist', models: ['conv4'] }).length,
    15,
  );
  assert.throws(() => preset.runs({ scale: 'quick', dataset: 'svhn' }), UserError);
});
