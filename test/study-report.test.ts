/**
 * The resnet20-pruning-study report: its tables put the study's and Renda's numbers beside ours (on
 * fake summaries), and the preset's runs, shrunk to LeNet-300-100 on synthetic data for a few
 * iterations, go through the lottery and the report end to end (the real preset is far too slow for a
 * test): densities reached, @w0 / @w(t−1) recorded where they belong, one dense level 0 for all runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PRESETS } from '../src/experiments/presets.js';
import type { LotteryRequest } from '../src/lottery/resolve.js';
import { runIdentity } from '../src/lottery/resolve.js';
import { runLottery } from '../src/lottery/procedure.js';
import type { LevelResult, RunSummary } from '../src/lottery/summary.js';
import { RunStore } from '../src/store/index.js';
import { lotteryTable, oneShotTable, rendaTable, studyPoints } from '../src/report/study.js';
import { rendaPoints, writeStudyReport } from '../src/report/study-page.js';
import { toMarkdown } from '../src/report/tables.js';
import { smallConfig, smallSetup } from './helpers/small-lottery.js';

const result = (level: number, fraction: number, after: number, before?: [number, number]): LevelResult =>
  ({
    trial: 0,
    level,
    condition: 'ticket',
    fractionRemaining: fraction,
    testAccuracyAtEarlyStop: after,
    finalTestAccuracy: after - 0.01,
    ...(before ? { beforeRetraining: { testAccuracy: before[0], sourceLevel: before[1] } } : {}),
  }) as LevelResult;
const summary = (name: string, results: LevelResult[]) =>
  ({ name, preset: 'resnet20-pruning-study', results }) as unknown as RunSummary;
const suffix = 'fashion-mnist-quick';

test('one-shot: the study’s @w0 and after beside ours, level by level, dense first', () => {
  const points = studyPoints([
    summary(`resnet20-pruning-study-one-shot-retrain-${suffix}`, [
      result(0, 1, 0.9),
      result(1, 0.5, 0.89, [0.8, 0]),
      result(2, 0.3, 0.88, [0.35, 0]),
      result(3, 0.1, 0.85, [0.1, 0]),
    ]),
  ]);
  const md = toMarkdown(oneShotTable(points)!);
  assert.match(md, /\| dense +\| +100(\.0+)?% +\| +— +\| +— +\| +91\.59 +\| +90\.00 +\| +89\.00 +\|/);
  assert.match(md, /\| 50% +\| +50(\.0+)?% +\| +82\.97 +\| +80\.00 +\| +91\.45 +\| +89\.00 +\| +88\.00 +\|/);
  assert.match(md, /\| 90% +\| +10(\.0+)?% +\| +10\.14 +\| +10\.00 +\| +89\.18 +\| +85\.00 +\| +84\.00 +\|/);
  assert.equal(lotteryTable(points), undefined, 'no lottery runs, no lottery table');
});

test('lottery: @w0 in round 1, @w(t−1) after, the study’s last round beside our last', () => {
  const points = studyPoints([
    summary(`resnet20-pruning-study-lottery-pruned90-${suffix}`, [
      result(0, 1, 0.9),
      result(1, 0.5623, 0.9, [0.7, 0]),
      result(2, 0.3162, 0.89, [0.5, 1]),
    ]),
  ]);
  const rows = lotteryTable(points)!.rows;
  assert.deepEqual(
    rows.map((r) => [r[0], r[1], r[3], r[4], r[7]]),
    [
      ['90%', 'dense', '—', null, 91.59],
      ['90%', 1, '@w0', 0.7, '—'],
      ['90%', 2, '@w(t−1)', 0.5, '90.55'],
    ],
  );
});

test("Renda: ours per method at each level, Renda's numbers where the density is his", () => {
  const methods = ['finetune', 'weight-rewind', 'lr-rewind'];
  const points = studyPoints(
    methods.map((m, i) =>
      summary(`resnet20-pruning-study-renda-${m}-${suffix}`, [
        result(0, 1, 0.9),
        result(1, 0.64, [0.8, 0.81, 0.82][i]),
        result(2, 0.4096, [0.7, 0.71, 0.72][i]),
      ]),
    ),
  );
  const rows = rendaTable(points)!.rows;
  assert.deepEqual(rows[0].slice(6), ['dense', 91.71, 91.71, 91.71]);
  assert.deepEqual(rows[1].slice(3), [0.8, 0.81, 0.82, '—', null, null, null]);
  assert.deepEqual(rows[2].slice(3), [0.7, 0.71, 0.72, 0.41, 91.62, 91.98, 92.3]);
});

test("Renda's densities are matched on the conv weights, not on all weights with the unpruned fc layer", () => {
  // the quick preset's level 4 as measured: conv 10.7% kept, the fc layer whole, 11.76% of all weights
  const sparsity = [
    { layer: 'conv', kind: 'conv' as const, total: 213_904, kept: Math.round(0.107 * 213_904) },
    { layer: 'fc', kind: 'output' as const, total: 2_560, kept: 2_560 },
  ];
  const all = (sparsity[0].kept + 2_560) / (213_904 + 2_560);
  const points = studyPoints(
    ['finetune', 'weight-rewind', 'lr-rewind'].map(
      (m) =>
        ({
          ...summary(`resnet20-pruning-study-renda-${m}-${suffix}`, [
            result(0, 1, 0.9),
            { ...result(4, all, 0.85), sparsity },
          ]),
          config: { pruning: { rates: { conv: 0.2 } } },
        }) as RunSummary,
    ),
  );
  assert.ok(Math.abs(all - 0.1176) < 1e-3, 'all weights: outside 5% of 0.107');
  const row = rendaTable(points)!.rows[1];
  assert.ok(Math.abs((row[2] as number) - 0.107) < 1e-5, `conv fraction ${row[2]}`);
  assert.deepEqual(row.slice(6), [0.107, 89.78, 91.0, 91.22]);
  // the figure's axis is "% of conv weights remaining": ours sit at 10.7 beside Renda's 10.7
  const ours = rendaPoints(points).filter((p) => p.kind === 'ours' && p.accuracy === 85);
  assert.deepEqual(
    ours.map((p) => p.percent.toFixed(2)),
    ['10.70', '10.70', '10.70'],
  );
});

/** A preset run's request on LeNet-300-100 (conv rates on its fc layers) for a few steps. */
function shrunk(request: LotteryRequest): LotteryRequest {
  const { rateConv, augment: _a, milestones: _m, dataset: _d, validationSize: _v, ...rest } = request;
  return {
    ...rest,
    model: 'lenet300',
    iterations: 20,
    evalEvery: 10,
    milestones: [10, 15],
    ...(rateConv !== undefined ? { rateFc: rateConv } : {}),
    // Renda's runs (iterative, with densities): their first two levels only
    ...(request.pruningSchedule === 'iterative' && request.densities
      ? { densities: request.densities.slice(0, 2), levels: 2 }
      : {}),
    ...(request.rewindIteration ? { rewindIteration: 5 } : {}),
  };
}

test('the quick preset’s runs, shrunk, run end to end into study.md with its figures', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ticketlab-study-'));
  try {
    const summaries: RunSummary[] = [];
    // experiments 1-3 (the structured experiment needs BatchNorm: test/study-slimming.test.ts)
    const runs = PRESETS['resnet20-pruning-study']
      .runs({ scale: 'quick' })
      .filter((r) => !r.name.includes('-slimming-'));
    for (const r of runs) {
      const config = smallConfig(shrunk(r.request));
      const { data, engine } = await smallSetup(config);
      const run = new RunStore({ root }).openRun(r.name, runIdentity(config), config);
      try {
        summaries.push(await runLottery({ config, run, data, engine, labels: r.labels }));
      } finally {
        run.close();
        await engine.release();
      }
    }
    const points = studyPoints(summaries);
    const oneShot = points.filter((p) => p.experiment === 'one-shot');
    // fc layers pooled globally at the density, the output layer at its own: within a point of each
    assert.deepEqual(
      oneShot.map((p) => Math.round(p.fraction * 100)),
      [100, 50, 30, 10],
    );
    assert.deepEqual(
      oneShot.map((p) => p.sourceLevel),
      [undefined, 0, 0, 0],
      'one-shot levels are all pruned from the dense network: @w0',
    );
    const lottery90 = points.filter((p) => p.variant === 'pruned90');
    assert.deepEqual(
      lottery90.map((p) => p.sourceLevel),
      [undefined, 0, 1, 2, 3],
    );
    assert.equal(Math.round(lottery90[4].fraction * 100), 10);
    // every run starts from the same dense network: 7 level-0 units, bit-identical (2 trained, 5 copied)
    const dense = points.filter((p) => p.level === 0);
    assert.equal(dense.length, 7);
    assert.equal(new Set(dense.map((p) => p.final)).size, 1);
    const denseWeights = summaries.map((s) =>
      readFileSync(join(s.dir, 'trial-0', 'level-00', 'ticket', 'final.safetensors')).toString('base64'),
    );
    assert.equal(new Set(denseWeights).size, 1, 'the same dense weights, bit for bit');

    const page = await writeStudyReport(summaries, join(root, 'report'));
    assert.ok(page);
    const md = readFileSync(page, 'utf8');
    assert.match(md, /Stand-in:\*\* fashion-mnist standing in for cifar10/);
    assert.match(md, /\| 70% .*\| 40\.74 \|/);
    assert.match(md, /## 4\. Structured pruning[^\n]*\n\nNo runs of this experiment in the report\./);
    assert.match(md, /What the quick scale can and cannot show/);
    // one-shot 1 + 3, lottery 3 × (1 + 4), Renda 3 × (1 + 2) here (5 levels in the preset)
    assert.match(md, /28 units in 7 runs/);
    // level-0 sharing: experiments 1 and 2 (k = 0) share one dense unit, Renda's runs (k = 5) another
    assert.match(
      md,
      /7 runs start from a dense network at level 0 .*agree\); 5 of those level-0 units were copied/,
    );
    assert.equal(summaries.flatMap((s) => s.results).filter((r) => r.provenance?.sharedFrom).length, 5);
    for (const id of ['one-shot', 'lottery', 'renda']) {
      assert.ok(existsSync(join(root, 'report', 'figures', `study-${id}.svg`)), id);
      assert.ok(existsSync(join(root, 'report', 'figures', `study-${id}.png`)), id);
      assert.ok(existsSync(join(root, 'report', 'tables', `study-${id}.csv`)), id);
    }
    const svg = readFileSync(join(root, 'report', 'figures', 'study-renda.svg'), 'utf8');
    assert.match(svg, /Renda et al\./);
    assert.match(svg, /weight-rewind/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
