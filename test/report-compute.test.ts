// Report computations: per-level statistics, the paper comparison, mask pictures, tables, schema.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PNG } from 'pngjs';
import { saveTensors } from '../src/store/index.js';
import { UserError } from '../src/util/errors.js';
import {
  aggregateCurve,
  aggregateLevels,
  buildReportModel,
  censoredNote,
  compareWithPaper,
  denseBaseline,
  diskMasks,
  findMasks,
  imageShapeFor,
  loadFirstLayerMask,
  maskGridPng,
  maskHeatmap,
  paperReferenceFor,
  parseRunSummary,
  prefixSvgIds,
  sampleUnits,
  stat,
  toCsv,
  toMarkdown,
  unitMaskImage,
  writeReport,
  type ComparisonRow,
  type LevelAggregate,
  type MaskReader,
  type RunSummary,
  type Table,
} from '../src/report/index.js';
import { GRID_COLORS } from '../src/report/masks.js';
import { labelRuns } from '../src/report/labels.js';
import { levelTable, sparsityTables } from '../src/report/tables.js';
import { writeSyntheticRun } from './helpers/synthetic-run.js';

let tmp: string;
let summary: RunSummary;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ticketlab-report-compute-'));
  summary = writeSyntheticRun(join(tmp, 'run'), { hidden: [20, 10] });
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const close = (a: number | undefined, b: number, eps = 1e-9) =>
  assert.ok(a !== undefined && Math.abs(a - b) <= eps, `${a} is not ${b}`);

test('per-level aggregates: mean, min and max across trials, accuracies in percent', () => {
  const aggs = aggregateLevels(summary.results);
  assert.deepEqual(
    aggs.map((a) => `${a.condition}/${a.level}`),
    ['ticket/0', 'ticket/1', 'ticket/2', 'random-reinit/1', 'random-reinit/2'],
  );
  const t2 = aggs.find((a) => a.condition === 'ticket' && a.level === 2)!;
  assert.deepEqual(t2.earlyStopIteration, { mean: 550, min: 500, max: 600, n: 2 });
  close(t2.testAccuracyAtEarlyStop.mean, 98.4, 1e-9);
  close(t2.testAccuracyAtEarlyStop.min, 98.3, 1e-9);
  close(t2.testAccuracyAtEarlyStop.max, 98.5, 1e-9);
  close(t2.percentRemaining, 21.1, 0.01);
  assert.equal(t2.trials, 2);
  assert.ok(t2.trainAccuracyAtEarlyStop);
  const dense = denseBaseline(aggs)!;
  assert.equal(dense.condition, 'ticket');
  assert.equal(dense.level, 0);
});

test('curves aggregate by iteration across trials', () => {
  const rs = summary.results.filter((r) => r.condition === 'ticket' && r.level === 1);
  const curve = aggregateCurve(rs, 'testAccuracy');
  assert.equal(curve.length, 21);
  const p = curve.find((c) => c.iteration === 700)!;
  const vals = rs.map((r) => r.curve.find((c) => c.iteration === 700)!.testAccuracy * 100);
  close(p.mean, (vals[0] + vals[1]) / 2);
  close(p.min, Math.min(...vals));
  close(p.max, Math.max(...vals));
  assert.equal(p.n, 2);
});

function row(rows: ComparisonRow[], id: string): ComparisonRow {
  const r = rows.find((x) => x.claim.id === id);
  assert.ok(r, `no row ${id}`);
  return r;
}

test('LeNet comparison with the paper: hand-checked values', () => {
  const ref = paperReferenceFor('lenet300')!;
  assert.equal(paperReferenceFor('LeNet-300-100'), ref);
  const rows = compareWithPaper(aggregateLevels(summary.results), ref);
  // early stop at 21.1%: ticket 550 vs dense 1100 → 50% earlier (paper: 38%)
  const es = row(rows, 'es-earlier-21');
  close(es.ours, 50);
  assert.equal(es.oursText, '50% earlier');
  assert.equal(es.status, 'exact');
  close(es.ourPercent, 21.1, 0.01);
  assert.equal(es.paperPercent, 21.1);
  // ticket vs random re-init at 21.1%: 1600 / 550 = 2.909× sooner; 98.4 − 97.6 = +0.80 points
  const vs = row(rows, 'es-vs-reinit-21');
  close(vs.ours, 1600 / 550);
  assert.equal(vs.oursText, '2.91× sooner');
  const acc = row(rows, 'acc-vs-reinit-21');
  close(acc.ours, 0.8, 1e-9);
  assert.equal(acc.oursText, '+0.80 points');
  // 13.5% and 3.6% are not in the run: said so, no value stretched from 21.1%
  const a13 = row(rows, 'acc-above-dense-13');
  assert.equal(a13.status, 'missing');
  assert.equal(a13.ours, undefined);
  assert.match(a13.note!, /no 'ticket' level near 13\.5% \(nearest: 21\.1%\)/);
  assert.equal(row(rows, 'acc-back-to-dense-3.6').status, 'missing');
  // random re-init: 98.0 < dense 98.1 already at 51.3%; the ticket never falls below dense
  const rb = row(rows, 'reinit-below-dense');
  close(rb.ours, 51.3, 0.01);
  assert.equal(rb.oursText, '51.3% remaining');
  const tb = row(rows, 'ticket-below-dense');
  assert.equal(tb.ours, undefined);
  assert.equal(tb.oursText, 'not below dense down to 21.1%');
});

test('"falls below dense from" is where accuracy stays below; a one-level dip is named, not taken', () => {
  // accuracy by percent remaining: the ticket dips at 80% only; random re-init dips at 64%, recovers,
  // and stays below from 21%
  const level = (condition: string, percentRemaining: number, acc: number): LevelAggregate => {
    const one = stat([acc]);
    return {
      condition,
      level: 0,
      percentRemaining,
      trials: 1,
      earlyStopIteration: stat([100]),
      validationLossAtEarlyStop: stat([0.1]),
      testAccuracyAtEarlyStop: one,
      finalTestAccuracy: one,
      iterations: stat([100]),
      wallSeconds: stat([1]),
    };
  };
  const aggs = [
    level('ticket', 100, 0.87),
    ...[80, 64, 51, 21, 13].map((p, i) => level('ticket', p, [0.869, 0.875, 0.876, 0.88, 0.871][i])),
    ...[80, 64, 51, 21, 13].map((p, i) => level('random-reinit', p, [0.871, 0.868, 0.872, 0.869, 0.86][i])),
  ];
  const rows = compareWithPaper(aggs, paperReferenceFor('lenet300')!);
  const tb = row(rows, 'ticket-below-dense');
  assert.equal(tb.ours, undefined);
  assert.equal(tb.oursText, 'not below dense down to 13.0%');
  assert.match(tb.note!, /first dipped below dense at 80\.0%, then rose above again/);
  const rb = row(rows, 'reinit-below-dense');
  assert.equal(rb.ours, 21);
  assert.equal(rb.oursText, '21.0% remaining');
  assert.match(rb.note!, /first dipped below dense at 64\.0%/);
});

test('a level within 1.5× of the paper’s is used and marked nearest', () => {
  const s = writeSyntheticRun(join(tmp, 'near'), { hidden: [20, 10], fractions: [1, 0.5, 0.16] });
  const rows = compareWithPaper(aggregateLevels(s.results), paperReferenceFor('lenet300')!);
  const a13 = row(rows, 'acc-above-dense-13');
  assert.equal(a13.status, 'nearest');
  close(a13.ourPercent, 16, 0.01);
  // ticket level 2 (98.4) − dense (98.1)
  close(a13.ours, 0.3, 1e-9);
  assert.equal(a13.oursText, '+0.30 points');
  assert.match(a13.note!, /nearest level/);
});

test('conv comparison: best speedup and accuracy gain over levels; stand-in inferred', () => {
  const s = writeSyntheticRun(join(tmp, 'conv'), {
    hidden: [20, 10],
    model: 'conv2',
    dataset: 'fashion-mnist',
  });
  const ref = paperReferenceFor('conv2')!;
  assert.equal(ref.dataset, 'cifar10');
  const rows = compareWithPaper(aggregateLevels(s.results), ref);
  const best = row(rows, 'es-speedup-best');
  close(best.ours, 1100 / 550);
  assert.equal(best.oursText, '2.00× at 21.1%');
  const bestAcc = row(rows, 'acc-delta-best');
  close(bestAcc.ours, 98.5 - 98.1, 1e-9);
  close(bestAcc.ourPercent, 51.3, 0.01);
  // the paper's 8.8% is 2.4× away from our sparsest level
  const at = row(rows, 'es-speedup-at-paper-level');
  assert.equal(at.status, 'missing');
  assert.match(at.note!, /no 'ticket' level near 8\.8%/);
  const [labels] = labelRuns([s], [ref]);
  assert.equal(labels.standIn, 'fashion-mnist standing in for cifar10');
  assert.ok(labels.standInInferred);
  assert.ok(labels.warnings.some((w) => w.startsWith('STAND-IN DATASET')));
  // an explicit label wins; quick scale is labelled
  const [explicit] = labelRuns([{ ...s, standIn: 'fmnist for cifar', scale: 'quick' }], [ref]);
  assert.equal(explicit.standIn, 'fmnist for cifar');
  assert.ok(explicit.warnings.some((w) => w.startsWith('QUICK SCALE')));
});

test('networks the paper reports only across runs get its numbers quoted, no computed comparison; others say there is none', () => {
  const noMasks = { find: () => undefined, firstLayer: () => undefined } as never;
  const notes = (model: string) => {
    const s = writeSyntheticRun(join(tmp, `across-${model}`), { hidden: [20, 10], model });
    const e = buildReportModel([s], { masks: false }, { masks: noMasks, generatedAt: '' }).experiments[0];
    assert.equal(e.comparison, undefined);
    return e.comparisonNotes;
  };
  const resnet = notes('resnet20');
  assert.equal(resnet.length, 1);
  assert.match(resnet[0], /Figure 8, ResNet-18 \(ticketlab's resnet20/);
  assert.match(resnet[0], /89\.5% for 41\.7% ≥ Pm ≥ 21\.9%/);
  assert.match(notes('vgg19')[0], /Figure 7, VGG-19 .* Pm ≥ 1\.5% and layer-wise pruning while Pm ≥ 6\.9%/);
  assert.deepEqual(notes('resnet18'), ['The paper reports no values for resnet18; nothing to compare with.']);
});

test('mask heat map equals hand counts for a tiny mask', () => {
  // 3 units × 4 inputs seen as a 2×2 image
  const mask = new Uint8Array([1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0]);
  assert.deepEqual([...maskHeatmap(mask, [3, 4], [2, 2])], [2, 1, 3, 1]);
  assert.deepEqual([...unitMaskImage(mask, [3, 4], [2, 2], 1)], [0, 0, 1, 0]);
  // any non-zero entry counts as kept
  assert.deepEqual([...maskHeatmap(new Float32Array([0.5, 0, 0, 2]), [1, 4], [2, 2])], [1, 0, 0, 1]);
  assert.throws(() => maskHeatmap(mask, [3, 4], [3, 3]), RangeError);
  assert.throws(() => maskHeatmap(mask, [4, 4], [2, 2]), RangeError);
  assert.throws(() => maskHeatmap(mask, [12], [2, 2]), RangeError);
});

test('mask heat map of a stored first layer equals a direct count', () => {
  const files = findMasks(summary.dir);
  assert.equal(files.length, 2 * (1 + 2 + 2));
  assert.deepEqual(files[0], {
    trial: 0,
    level: 0,
    condition: 'ticket',
    path: join(summary.dir, 'trial-0', 'level-00', 'ticket', 'masks.safetensors'),
  });
  const f = files.find((x) => x.trial === 1 && x.level === 2 && x.condition === 'ticket')!;
  const m = loadFirstLayerMask(f.path, 784)!;
  assert.equal(m.name, 'fc1.weight');
  assert.deepEqual(m.shape, [20, 784]);
  const counts = maskHeatmap(m.data, m.shape, [28, 28]);
  for (const pixel of [0, 27, 14 * 28 + 14, 400]) {
    let n = 0;
    for (let u = 0; u < 20; u++) n += m.data[u * 784 + pixel];
    assert.equal(counts[pixel], n);
  }
  // the synthetic ticket keeps central pixels
  assert.ok(counts[14 * 28 + 14] > counts[0]);
  assert.deepEqual(imageShapeFor({ inputShape: [784] }, 784), [28, 28]);
  assert.deepEqual(imageShapeFor({ inputShape: [1, 28, 28] }, 784), [28, 28]);
  assert.equal(imageShapeFor({ inputShape: [3, 32, 32] }, 3072), undefined);
});

test('a conv net’s mask file has no first-layer picture', () => {
  const path = join(tmp, 'conv-masks.safetensors');
  saveTensors(
    path,
    new Map([
      ['conv1.weight', { data: new Uint8Array(64 * 3 * 9).fill(1), shape: [64, 3, 3, 3] }],
      ['fc1.weight', { data: new Uint8Array(4 * 784).fill(1), shape: [4, 784] }],
    ]),
  );
  assert.equal(loadFirstLayerMask(path, 784), undefined);
});

test('unit grid PNG: size, and each unit drawn at its cell', () => {
  const mask = new Uint8Array([1, 0, 0, 1, 0, 1, 1, 1]); // 2 units × 2×2 pixels
  const grid = maskGridPng(mask, [2, 4], [2, 2], { columns: 2, scale: 1, gap: 1 });
  assert.equal(grid.width, 2 * 2 + 3);
  assert.equal(grid.height, 2 + 2);
  const png = PNG.sync.read(grid.png);
  assert.equal(png.width, 7);
  assert.equal(png.height, 4);
  const rgb = (x: number, y: number) => [...png.data.subarray((y * 7 + x) * 4, (y * 7 + x) * 4 + 3)];
  assert.deepEqual(rgb(0, 0), [...GRID_COLORS.gap]);
  // unit 0 at (1,1): pixels 1 0 / 0 1
  assert.deepEqual(rgb(1, 1), [...GRID_COLORS.kept]);
  assert.deepEqual(rgb(2, 1), [...GRID_COLORS.pruned]);
  assert.deepEqual(rgb(1, 2), [...GRID_COLORS.pruned]);
  assert.deepEqual(rgb(2, 2), [...GRID_COLORS.kept]);
  // unit 1 at (4,1): pixels 0 1 / 1 1
  assert.deepEqual(rgb(4, 1), [...GRID_COLORS.pruned]);
  assert.deepEqual(rgb(5, 1), [...GRID_COLORS.kept]);
  assert.deepEqual(rgb(4, 2), [...GRID_COLORS.kept]);
  assert.deepEqual(sampleUnits(300, 4), [0, 75, 150, 225]);
  assert.deepEqual(sampleUnits(3, 4), [0, 1, 2]);
});

test('tables: CSV quoting and raw values, Markdown escaping', () => {
  const t: Table = {
    columns: [
      { title: 'name', csv: 'name' },
      { title: 'value', csv: 'value', format: (v) => Number(v).toFixed(1) },
      { title: 'hidden', csv: 'extra', csvOnly: true },
    ],
    rows: [
      ['a|b', 1.23456, 'x'],
      ['say "hi", ok', null, 'y'],
    ],
  };
  assert.equal(toCsv(t), 'name,value,extra\r\na|b,1.23456,x\r\n"say ""hi"", ok",,y\r\n');
  assert.equal(toMarkdown(t), '| name | value |\n| --- | --- |\n| a\\|b | 1.2 |\n| say "hi", ok | — |');
});

test('level table columns and sparsity rows shared by conditions with equal counts', () => {
  const t = levelTable([{ label: 'x', aggs: aggregateLevels(summary.results) }]);
  const csv = toCsv(t).split('\r\n');
  assert.match(
    csv[0],
    /^experiment,condition,level,percent_remaining,trials,early_stop_iteration_mean,early_stop_iteration_min,early_stop_iteration_max,test_accuracy_at_early_stop_mean,/,
  );
  assert.equal(csv.length, 1 + 5 + 1);
  assert.match(csv[3], /^x,ticket,2,21\.\d+,2,550,500,600,98\.4\d*,98\.3\d*,98\.5\d*,/);
  const sp = sparsityTables(summary)!;
  assert.deepEqual(
    sp.wide.rows.map((r) => [r[0], r[1]]),
    [
      [0, 'ticket'],
      [1, 'ticket, random-reinit'],
      [2, 'ticket, random-reinit'],
    ],
  );
  const fc1 = sp.long.rows.find((r) => r[0] === 2 && r[2] === 'fc1')!;
  assert.equal(fc1[4], 20 * 784);
  assert.equal(fc1[5], Math.round(0.211 * 20 * 784));
});

test('summary schema: valid synthetic summary parses; bad values are a UserError naming the file', () => {
  const json = JSON.parse(JSON.stringify(summary)) as RunSummary;
  assert.equal(parseRunSummary(json, 'x.json').results.length, summary.results.length);
  json.results[0].testAccuracyAtEarlyStop = 98.1; // a percentage, not a fraction
  assert.throws(
    () => parseRunSummary(json, '/runs/a/summary.json'),
    (e: unknown) =>
      e instanceof UserError &&
      /\/runs\/a\/summary\.json is not a valid run summary: results\.0\.testAccuracyAtEarlyStop/.test(
        e.message,
      ),
  );
});

test('inlined SVG ids are prefixed, with their references', () => {
  const svg =
    '<svg><defs><clipPath id="clip1"><rect/></clipPath></defs><g clip-path="url(#clip1)"><use href="#clip1"/></g></svg>';
  assert.equal(
    prefixSvgIds(svg, 'f2-'),
    '<svg><defs><clipPath id="f2-clip1"><rect/></clipPath></defs><g clip-path="url(#f2-clip1)"><use href="#f2-clip1"/></g></svg>',
  );
});

test('early-stop iterations at the end of training are flagged as lower bounds', () => {
  assert.equal(censoredNote(summary), undefined);
  const s = structuredClone(summary);
  s.results[0].earlyStopIteration = s.results[0].iterations;
  assert.match(
    censoredNote(s)!,
    /^In 1 of 10 trainings the minimum validation loss came at the last evaluation/,
  );
});

test('a summary without results still makes a (nearly empty) report', async () => {
  const s: RunSummary = { ...summary, dir: join(tmp, 'empty-run'), results: [] };
  const r = await writeReport([s], join(tmp, 'empty-report'), { format: 'html' });
  const page = readFileSync(r.index, 'utf8');
  assert.match(page, /No results to plot\./);
  assert.match(page, /No mask files were found/);
  assert.match(page, /the run has no dense baseline/);
});

test('buildReportModel: charts as specs with their planned paths, masks only through the reader, nothing drawn', () => {
  const calls: string[] = [];
  const reader: MaskReader = {
    find: (dir) => (calls.push(`find ${relative(tmp, dir)}`), diskMasks.find(dir)),
    firstLayer: (path, inputs) => (
      calls.push(`read ${relative(summary.dir, path)} ${inputs}`),
      diskMasks.firstLayer(path, inputs)
    ),
  };
  const model = buildReportModel([summary], {}, { masks: reader, generatedAt: 'at noon' });
  assert.equal(model.generatedAt, 'at noon');
  const [e] = model.experiments;
  const charts = e.figures.filter((f) => f.spec);
  assert.deepEqual(
    charts.map((f) => f.id),
    [
      'run-curves',
      'run-early-stop',
      'run-accuracy',
      'run-train-accuracy',
      'run-mask-heatmap',
      'run-mask-units-level-01',
      'run-mask-units-level-02',
    ].map((id) => id.replace('run', e.labels.slug)),
  );
  for (const f of charts) {
    assert.equal(f.svg, `figures/${f.id}.svg`);
    assert.equal(f.png, `figures/${f.id}.png`);
    assert.equal(f.svgText, undefined, 'building draws nothing');
  }
  const grids = e.figures.filter((f) => f.id.includes('-mask-units-'));
  assert.deepEqual(
    grids.map((f) => {
      const spec = f.spec as { width: number; height: number };
      return [f.png, [spec.width, spec.height]];
    }),
    [1, 2].map((l) => [
      `figures/${e.labels.slug}-mask-units-level-0${l}.png`,
      [8 * 28 * 3 + 9 * 2, 3 * 28 * 3 + 4 * 2],
    ]),
  );
  // the mask files of trial 0 were found once and read lazily, the dense level only to find its percent
  assert.equal(calls[0], 'find run');
  assert.equal(calls.filter((c) => c.startsWith('find')).length, 1);
  assert.ok(calls.includes('read trial-0/level-00/ticket/masks.safetensors 784'));
  assert.ok(calls.every((c) => !c.includes('trial-1')));
  // the sparsity table shows the wide form and writes the long one as CSV
  const sp = e.tables.find((t) => t.id.endsWith('-sparsity'))!;
  assert.equal(sp.md, `tables/${sp.id}.md`);
  assert.deepEqual(sp.csvTable, sparsityTables(summary)!.long);

  const none = buildReportModel([summary], { masks: false }, { masks: reader, generatedAt: '' });
  assert.equal(none.experiments[0].maskNote, undefined);
  const empty = { find: () => [], firstLayer: () => assert.fail('no file to read') };
  const noFiles = buildReportModel([summary], {}, { masks: empty, generatedAt: '' });
  assert.equal(noFiles.experiments[0].maskNote, `No mask files were found under ${summary.dir}.`);
  assert.equal(calls.filter((c) => c.startsWith('find')).length, 1, 'masks: false reads nothing');
});
