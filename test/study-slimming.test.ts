/**
 * The structured experiment of `reproduce resnet20-pruning-study` end to end on small data: the
 * preset's own runs (paper scale: the sparsity training, the early-bird stop and 3 of the slim-retrain runs at ratio 0.5)
 * with their schedule shrunk to 16 one-iteration epochs on a tiny imported image folder, run by
 * runPreset as `reproduce` runs them. study.md's structured section carries the numbers the slim-retrain
 * runs stored (read back from their result.json), the early-bird ticket where the detector fired, and a
 * second invocation trains nothing. Without early-bird weights the run is skipped with one line.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importPetsDataset } from './helpers/image-folder.js';
import { PRESETS } from '../src/experiments/presets.js';
import type { PresetRun, SlimRetrainPresetRun } from '../src/experiments/preset-types.js';
import { type PresetExecution, missingWeights, runPreset } from '../src/experiments/run-preset.js';
import type { SlimRetrainResult } from '../src/experiments/slim-retrain.js';
import type { RunSummary } from '../src/lottery/summary.js';
import { writeStudyReport } from '../src/report/study-page.js';
import { earlyBirdLine } from '../src/report/study-slimming.js';

const tmp = mkdtempSync(join(tmpdir(), 'ticketlab-study-slim-'));
// the imported dataset lives in this cache, for the CLI child and this process alike
process.env.XDG_CACHE_HOME = join(tmp, 'cache');
const env = { ...process.env, CI: '1' };
const cli = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/entry.ts', ...args], { encoding: 'utf8', env });

const preset = PRESETS['resnet20-pruning-study'];
const PAPER_ITERATIONS = 112_480;
const ITERATIONS = 16;
/** A paper-scale iteration at the same fraction of the shrunk schedule. */
const shrink = (iteration: number) => Math.round((iteration / PAPER_ITERATIONS) * ITERATIONS);

/**
 * The preset's structured runs on the tiny folder: 15 training examples in batches of 15 (one
 * iteration an epoch), 16 epochs; γ all 1 at the start and a strong penalty and rate, so the channel
 * masks settle within the schedule and the Early-Bird detector fires (as in early-bird-stop.test.ts).
 */
function shrunkRuns(): { runs: PresetRun[]; slimRuns: SlimRetrainPresetRun[] } {
  const runs = preset
    .runs({ scale: 'paper' })
    .filter((r) => r.name.includes('-slimming-'))
    .map((r) => {
      const { augment: _a, milestones: _m, saveWeightsAt, ...rest } = r.request;
      return {
        ...r,
        request: {
          ...rest,
          dataset: 'slimstudy',
          iterations: ITERATIONS,
          evalEvery: 8,
          batchSize: 15,
          validationSize: 4,
          milestones: [8, 12],
          bnL1: 0.01,
          learningRate: 0.2,
          ...(saveWeightsAt ? { saveWeightsAt: saveWeightsAt.map((i) => shrink(Number(i))) } : {}),
        },
      };
    });
  // a snapshot, the final weights and the early bird at the ratio of the quick scale (the other points
  // and ratio 0.3 are the same code with other numbers; each slim-retrain run compiles its own network)
  const slimRuns = preset.slimRetrainRuns!({ scale: 'paper' })
    .filter((r) => r.request.ratio === 0.5 && ['7030', 'final', 'early-bird'].includes(r.request.weights!))
    .map((r) => ({
      ...r,
      request: {
        ...r.request,
        weights: /^\d+$/.test(r.request.weights ?? '')
          ? String(shrink(Number(r.request.weights)))
          : r.request.weights,
        // a short retraining: the numbers only have to be read back right
        training: { iterations: 4, evalEvery: 2, milestones: [2, 3], threads: 1 },
      },
    }));
  return { runs, slimRuns };
}

let first: PresetExecution;
let trainedFirst = 0;
const runsDir = join(tmp, 'runs');
const invoke = async () => {
  let trained = 0;
  const { runs, slimRuns } = shrunkRuns();
  const done = await runPreset(runs, slimRuns, {
    runsDir,
    threads: 1,
    reporter: { unitStart: () => trained++ },
    notify: (m) => {
      if (process.env.STUDY_SLIM_TRACE) console.error(new Date().toISOString(), m);
    },
  });
  return { done, trained };
};

before(async () => {
  await importPetsDataset(cli, tmp, 'slimstudy');
  const r = await invoke();
  first = r.done;
  trainedFirst = r.trained;
});

after(() => rmSync(tmp, { recursive: true, force: true }));

const pct = (v: number) => (100 * v).toFixed(2);
const readResult = (dir: string) =>
  (JSON.parse(readFileSync(join(dir, 'retrain', 'result.json'), 'utf8')) as { result: SlimRetrainResult })
    .result;

test('the preset’s structured runs: 2 lottery units, then 3 slimmed networks retrained (epoch 10, final, early bird); the early bird fired', () => {
  assert.deepEqual(
    first.summaries.map((s) => s.name.replace(/^resnet20-pruning-study-slimming-|-cifar10-paper$/g, '')),
    ['sparsity', 'early-bird-stop'],
  );
  assert.equal(trainedFirst, 2);
  const [sparsity, stop] = first.summaries;
  const fired = sparsity.results[0].earlyBird!.ratios.find((r) => r.ratio === 0.5)!.firedAt;
  assert.ok(fired !== null, 'the detector of 0.5 fired in the sparsity run');
  // the stopping run stopped where the recording run's detector fired
  assert.deepEqual(stop.results[0].earlyBirdStop, { ratio: 0.5, epoch: fired, iteration: fired });
  assert.deepEqual(sparsity.results[0].snapshots, [1, 3, 5, 10]);
  assert.equal(first.slim.length, 3);
  for (const o of first.slim) {
    assert.equal(o.skipped, undefined, o.run.name);
    assert.equal(o.reused, false, o.run.name);
    assert.deepEqual(readResult(o.dir!), o.result);
  }
});

test('study.md: per point, parameters and FLOPs before → after and accuracy before/after retraining, as the runs stored', async () => {
  const out = join(tmp, 'report');
  const page = await writeStudyReport(first.summaries, out, first.slim);
  assert.ok(page);
  const md = readFileSync(page, 'utf8');
  assert.match(md, /## 4\. Structured pruning/);
  assert.doesNotMatch(md, /not yet in the preset/i);
  const fired = first.summaries[0].results[0].earlyBird!.ratios.find((r) => r.ratio === 0.5)!.firedAt!;
  assert.match(md, new RegExp(`fired at epoch ${fired} of the sparsity-training run`));
  const rows = md.split('\n').filter((l) => /^\| (epoch|early bird)/.test(l));
  assert.equal(rows.length, 3);
  const expectedLabels = [1, 3, 5, 10, 16].map((it) => `epoch ${(it / ITERATIONS) * 160} (it. ${it})`);
  for (const o of first.slim) {
    const r = readResult(o.dir!);
    const ratio = o.run.request.ratio;
    const label =
      o.run.request.weights === 'early-bird'
        ? `early bird, epoch ${(fired / ITERATIONS) * 160} (it. ${fired})`
        : expectedLabels[['1', '3', '5', '10', 'final'].indexOf(o.run.request.weights!)];
    const row = rows.find((l) => l.startsWith(`| ${label} `) && l.includes(`| ${ratio} `));
    assert.ok(row, `a row for ${label} at ratio ${ratio}`);
    const cells = row.split('|').map((c) => c.trim());
    assert.deepEqual(cells.slice(3, 12), [
      `${r.channels.kept} / ${r.channels.total}`,
      r.before.parameters.toLocaleString('en-US'),
      r.after.parameters.toLocaleString('en-US'),
      r.before.flops.toLocaleString('en-US'),
      r.after.flops.toLocaleString('en-US'),
      pct(r.beforeRetraining.testAccuracy),
      pct(r.testAccuracyAtEarlyStop),
      pct(r.bestTestAccuracy),
      pct(r.finalTestAccuracy),
    ]);
    assert.ok(r.after.parameters < r.before.parameters);
  }
  assert.match(md, /VGG-19.*93\.78/);
  assert.match(md, /other networks/);
  assert.match(md, /and 3 slim-retrain runs of one unit each \(0 skipped\)/);
  const svg = readFileSync(join(out, 'figures', 'study-slimming.svg'), 'utf8');
  assert.match(svg, /early bird \(epoch/);
  assert.ok(existsSync(join(out, 'figures', 'study-slimming.png')));
  assert.ok(existsSync(join(out, 'tables', 'study-slimming.csv')));
});

test('a second invocation trains nothing: every unit done, every slimmed network read back', async () => {
  const again = await invoke();
  assert.equal(again.trained, 0);
  assert.ok(again.done.slim.every((o) => o.reused === true));
  assert.deepEqual(
    again.done.slim.map((o) => o.result),
    first.slim.map((o) => o.result),
  );
});

test('no early-bird weights (the detector never fired): the run is skipped with one line, the page says so', () => {
  const summary = {
    name: 'resnet20-pruning-study-slimming-sparsity-fashion-mnist-quick',
    config: { earlyBirdStop: 0.5 },
    results: [
      {
        trial: 0,
        level: 0,
        condition: 'ticket',
        earlyBird: {
          epochIterations: 922,
          window: 5,
          epsilon: 0.1,
          channels: 8,
          epochs: [0],
          ratios: [{ ratio: 0.5, masks: ['8A=='], firedAt: null }],
        },
      },
    ],
  } as unknown as RunSummary;
  const why = missingWeights(summary, { ratio: 0.5, weights: 'early-bird' });
  assert.match(why ?? '', /never fired .*start of 1 epoch; it needs 5/);
  assert.equal(missingWeights(summary, { ratio: 0.5, weights: 'final' }), undefined);
  assert.match(
    earlyBirdLine([summary]),
    /No early-bird ticket:.* never fired .* start of 1 epoch \(922 iterations each\)/,
  );
});

test('a skipped early bird on the page: its line, the count, and a figure without the early-bird mark', async () => {
  const out = join(tmp, 'report-skipped');
  const slim = first.slim.map((o) =>
    o.run.request.weights === 'early-bird'
      ? { run: o.run, sourceDir: o.sourceDir, skipped: 'no early-bird ticket: the detector never fired' }
      : o,
  );
  const md = readFileSync((await writeStudyReport(first.summaries, out, slim))!, 'utf8');
  assert.match(
    md,
    /- resnet20-pruning-study-slimming-prune50-early-bird-cifar10-paper: skipped, no early-bird ticket/,
  );
  assert.match(md, /and 3 slim-retrain runs of one unit each \(1 skipped\)/);
  assert.equal(md.split('\n').filter((l) => /^\| (epoch|early bird)/.test(l)).length, 2);
  const svg = readFileSync(join(out, 'figures', 'study-slimming.svg'), 'utf8');
  assert.match(svg, /no early-bird ticket in these runs/);
  assert.doesNotMatch(svg, /early bird \(epoch/);
});
