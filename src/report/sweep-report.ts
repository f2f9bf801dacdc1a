/**
 * The report of a pruning sweep (`reproduce pruning-grid`), read off the way the walkthrough reads
 * its grid: a parallel-coordinates plot (method, re-initialization, prune ratio, rounds → max
 * validation accuracy), validation-accuracy curves per prune ratio (optionally smoothed), and desired
 * vs actual prune ratio per round from the stored masks. The model (buildSweepReport) is pure but for
 * the mask counts it is given; writeSweepReport draws and writes it, whole or not at all.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../store/index.js';
import { type CurveRow, curvesSpec } from './charts.js';
import { figurePath, tablePath } from './model.js';
import { type Dimension, parallelCoordinatesSpec } from './parallel-coordinates.js';
import { type MaskCounter, diskMaskCounter, pruneRatioRows, pruneRatioTable } from './prune-ratio-table.js';
import type { LevelResult, RunSummary } from './schema.js';
import { aggregateCurve } from './stats.js';
import { writeStaged } from './staging.js';
import { renderSvg, svgToPng } from './svg.js';
import { type Table, escapeHtml, toCsv, toHtml, toMarkdown } from './tables.js';
import type { TopLevelSpec } from './charts.js';

export interface SweepReportOptions {
  format: 'html' | 'md';
  title: string;
  /** Exponential-moving-average weight for the curves, in [0, 1) (default 0: unsmoothed). */
  smooth?: number;
  /** Lines printed under the title (what a quick scale changed). */
  notes: string[];
  /** The sweep's wall time in this invocation, if it trained. */
  wallSeconds?: number;
}

/** One run of the grid, by its method: strategy, schedule, rounds and target prune ratio. */
export interface GridRun {
  summary: RunSummary;
  method: string;
  schedule: string;
  rounds: number;
  /** 1 − (1 − p_fc)^rounds: the target the per-round rate was derived from. */
  ratio: number;
}

/** A unit's max validation accuracy along its curve (the walkthrough's metric). */
export const maxValidationAccuracy = (r: LevelResult) =>
  Math.max(...r.curve.map((p) => p.validationAccuracy));

export function gridRun(summary: RunSummary): GridRun {
  const c = summary.config as {
    levels: number;
    pruning: { strategy: string; schedule: string; rates: { fc: number } };
  };
  const ratio = Number((1 - (1 - c.pruning.rates.fc) ** c.levels).toFixed(6));
  return { summary, method: c.pruning.strategy, schedule: c.pruning.schedule, rounds: c.levels, ratio };
}

const accuracies = (r: LevelResult) => ({
  accuracy: maxValidationAccuracy(r),
  testAccuracy: r.testAccuracyAtEarlyStop,
});

const pct = (r: number) => `${Number((100 * r).toFixed(2))}%`;

/**
 * Lines of the parallel-coordinates plot: each run's last round (ticket and re-init), and ratio 0.
 * `accuracy` is the walkthrough's metric (max validation accuracy); `testAccuracy` the paper's (test
 * accuracy at the early-stop iteration, the one of minimum validation loss), for the table beside it.
 */
export function parallelItems(runs: readonly GridRun[]): Record<string, number | string>[] {
  const items: Record<string, number | string>[] = [];
  const dense = new Set<string>();
  for (const g of runs) {
    for (const r of g.summary.results) {
      const base = { method: g.method, rounds: g.rounds, trial: r.trial };
      if (r.level === 0) {
        // every run's level 0 is the same dense network (its settings but the rates): draw it once
        const key = `${g.method}/${g.rounds}/${r.trial}`;
        if (dense.has(key)) continue;
        dense.add(key);
        items.push({ ...base, reinit: 'no', ratio: 0, ...accuracies(r) });
      } else if (r.level === g.rounds) {
        const reinit = r.condition === 'random-reinit' ? 'yes' : 'no';
        items.push({ ...base, reinit, ratio: g.ratio, ...accuracies(r) });
      }
    }
  }
  return items;
}

export interface SweepFigure {
  id: string;
  title: string;
  caption: string;
  spec: TopLevelSpec;
}
export interface SweepTable {
  id: string;
  title: string;
  table: Table;
  notes: string[];
}
export interface SweepReport {
  title: string;
  notes: string[];
  figures: SweepFigure[];
  tables: SweepTable[];
}

/** Validation accuracy curves of each run's last round, one panel per target ratio. */
function curveRows(runs: readonly GridRun[], smooth: number): CurveRow[] {
  const rows: CurveRow[] = [];
  const ratios = [...new Set(runs.map((g) => g.ratio))].sort((a, b) => a - b);
  const series = new Map<string, number>();
  const add = (panel: string, name: string, results: LevelResult[]) => {
    if (!series.has(name)) series.set(name, -series.size);
    for (const p of aggregateCurve(results, 'validationAccuracy', smooth)) {
      rows.push({
        panel,
        series: name,
        order: series.get(name)!,
        iteration: p.iteration,
        mean: p.mean,
        min: p.min,
        max: p.max,
      });
    }
  };
  const level0 = runs.flatMap((g) => g.summary.results.filter((r) => r.level === 0));
  if (level0.length) {
    // one trial set of the dense network (all runs' level 0 coincide): the first run's
    const first = runs.find((g) => g.summary.results.some((r) => r.level === 0))!;
    add(
      '0% (dense)',
      'dense',
      first.summary.results.filter((r) => r.level === 0),
    );
  }
  for (const ratio of ratios) {
    for (const g of runs.filter((x) => x.ratio === ratio)) {
      for (const condition of ['ticket', 'random-reinit']) {
        const results = g.summary.results.filter((r) => r.level === g.rounds && r.condition === condition);
        if (results.length === 0) continue;
        const name = `${g.method}, ${g.rounds === 1 ? 'one-shot' : `${g.rounds} rounds`}${condition === 'ticket' ? '' : ', re-init'}`;
        add(`${pct(ratio)} pruned`, name, results);
      }
    }
  }
  return rows;
}

export function buildSweepReport(
  summaries: readonly RunSummary[],
  opts: Pick<SweepReportOptions, 'title' | 'smooth' | 'notes'>,
  masks: MaskCounter = diskMaskCounter,
): SweepReport {
  const runs = summaries
    .map(gridRun)
    .sort((a, b) => a.ratio - b.ratio || a.method.localeCompare(b.method) || a.rounds - b.rounds);
  const methods = [...new Set(runs.map((g) => g.method))].sort();
  const dims: Dimension[] = [
    { field: 'method', title: 'method', categories: methods },
    { field: 'reinit', title: 'random re-init', categories: ['no', 'yes'] },
    { field: 'ratio', title: 'prune ratio', format: 'percent' },
    { field: 'rounds', title: 'rounds' },
    { field: 'accuracy', title: 'max val. accuracy', format: 'percent' },
  ];
  const trials = new Set(summaries.flatMap((s) => s.results.map((r) => r.trial))).size;
  const smooth = opts.smooth ?? 0;
  const rows = curveRows(runs, smooth);
  const late = rows.filter((r) => r.iteration > 0);
  const yMin = Math.max(0, Math.floor(Math.min(...late.map((r) => r.min)) - 0.5));
  const figures: SweepFigure[] = [
    {
      id: 'parallel-coordinates',
      title: 'Parallel coordinates: method, re-init, prune ratio, rounds → max validation accuracy',
      caption:
        `One line per run, trial and condition at its last round (${trials} trial${trials === 1 ? '' : 's'}), coloured by its maximum validation accuracy; ` +
        'prune ratio 0 is the dense network (every run’s level 0, drawn once per method, rounds and trial).',
      spec: parallelCoordinatesSpec(
        parallelItems(runs),
        dims,
        { title: 'Max validation accuracy across the grid' },
        {
          colorTitle: 'max val. acc.',
          colorFormat: '.1%',
        },
      ),
    },
    {
      id: 'curves-per-ratio',
      title: 'Validation accuracy during training, per prune ratio',
      caption:
        'Each run’s last round (the network at its target ratio), mean across trials with a min–max band' +
        (smooth > 0
          ? `; smoothed by an exponential moving average of weight ${smooth} (each trial, before the mean).`
          : '; unsmoothed (--smooth sets a weight).'),
      spec: curvesSpec(
        rows,
        {
          title: 'Validation accuracy per prune ratio',
          subtitle: smooth > 0 ? [`smoothed, EMA weight ${smooth}`] : [],
        },
        {
          yTitle: 'validation accuracy (%)',
          seriesTitle: 'method',
          yMin,
          yMax: 100,
        },
      ),
    },
  ];
  const groups = runs.flatMap((g) => {
    const r = pruneRatioRows(g.summary, masks);
    return r ? [{ key: [g.method, g.schedule, pct(g.ratio)], rows: r }] : [];
  });
  const tables: SweepTable[] = [
    {
      id: 'max-validation-accuracy',
      title:
        'Max validation accuracy (the walkthrough’s metric) beside early-stop test accuracy (the paper’s), by method, re-init and prune ratio',
      table: accuracyTable(parallelItems(runs)),
      notes: [
        'Mean across trials (min–max of the max validation accuracy); ratio 0% is the dense network. Early-stop test accuracy: test accuracy at the iteration of minimum validation loss, mean across trials.',
      ],
    },
  ];
  if (groups.length) {
    tables.push({
      id: 'prune-ratio-per-round',
      title: 'Desired vs actual prune ratio per round (from the stored masks)',
      table: pruneRatioTable(groups, ['method', 'schedule', 'target']),
      notes: [
        'Desired after round k: 1 − (1 − p)^k for the fc layers’ per-round rate p = 1 − (1 − target)^(1/rounds). Actual: 1 − kept/total over every pruned layer of trial 0’s ticket mask. The output layer is pruned at half the rate, so the whole network is pruned a little less than desired; the fc layers alone match it to rounding.',
      ],
    });
  }
  return { title: opts.title, notes: opts.notes, figures, tables };
}

function accuracyTable(items: readonly Record<string, number | string>[]): Table {
  const groups = new Map<string, { key: (string | number)[]; values: number[]; tests: number[] }>();
  for (const i of items) {
    const key = [
      String(i.method),
      i.rounds === 1 ? 'one-shot' : `${i.rounds} rounds`,
      String(i.reinit),
      Number(i.ratio),
    ];
    const k = JSON.stringify(key);
    const g = groups.get(k) ?? { key, values: [], tests: [] };
    g.values.push(Number(i.accuracy));
    g.tests.push(Number(i.testAccuracy));
    groups.set(k, g);
  }
  const fmt = (v: unknown) => (typeof v === 'number' ? `${(100 * v).toFixed(2)}%` : String(v));
  const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
  return {
    columns: [
      { title: 'method' },
      { title: 'schedule' },
      { title: 'random re-init' },
      { title: 'prune ratio', csv: 'ratio', align: 'right', format: fmt },
      { title: 'max val. acc. (mean)', csv: 'mean', align: 'right', format: fmt },
      { title: 'min', align: 'right', format: fmt },
      { title: 'max', align: 'right', format: fmt },
      {
        title: 'early-stop test acc. (mean)',
        csv: 'early_stop_test_mean',
        align: 'right',
        format: fmt,
      },
      { title: 'early_stop_test_min', csv: 'early_stop_test_min', csvOnly: true },
      { title: 'early_stop_test_max', csv: 'early_stop_test_max', csvOnly: true },
      { title: 'trials', align: 'right' },
    ],
    rows: [...groups.values()]
      .sort((a, b) => Number(a.key[3]) - Number(b.key[3]) || String(a.key).localeCompare(String(b.key)))
      .map((g) => [
        ...g.key,
        mean(g.values),
        Math.min(...g.values),
        Math.max(...g.values),
        mean(g.tests),
        Math.min(...g.tests),
        Math.max(...g.tests),
        g.values.length,
      ]),
  };
}

/** Draws the figures and writes the page (index.html or index.md), figures and tables into `outDir`. */
export async function writeSweepReport(
  summaries: readonly RunSummary[],
  outDir: string,
  opts: SweepReportOptions,
): Promise<{ index: string; report: SweepReport }> {
  const report = buildSweepReport(summaries, opts);
  const index = await writeStaged(
    outDir,
    async (dir) => {
      const svgs: string[] = [];
      for (const f of report.figures) {
        const svg = await renderSvg(f.spec);
        svgs.push(svg);
        writeFileAtomic(join(dir, figurePath(f.id, 'svg')), svg);
        writeFileAtomic(join(dir, figurePath(f.id, 'png')), svgToPng(svg, 2));
      }
      for (const t of report.tables) {
        writeFileAtomic(join(dir, tablePath(t.id, 'md')), `${toMarkdown(t.table)}\n`);
        writeFileAtomic(join(dir, tablePath(t.id, 'csv')), toCsv(t.table));
      }
      const wall =
        opts.wallSeconds !== undefined
          ? [`Sweep wall time in this invocation: ${opts.wallSeconds.toFixed(0)} s.`]
          : [];
      const notes = [...report.notes, `${summaries.length} runs.`, ...wall];
      const page = opts.format === 'html' ? htmlPage(report, notes, svgs) : markdownPage(report, notes);
      const index = join(dir, opts.format === 'html' ? 'index.html' : 'index.md');
      writeFileAtomic(index, page);
      return index;
    },
    (p, move) => move(p),
  );
  return { index, report };
}

function markdownPage(r: SweepReport, notes: string[]): string {
  const out = [`# ${r.title}`, '', ...notes.map((n) => `${n}  `), ''];
  for (const f of r.figures)
    out.push(`## ${f.title}`, '', `![${f.title}](${figurePath(f.id, 'png')})`, '', f.caption, '');
  for (const t of r.tables) out.push(`## ${t.title}`, '', toMarkdown(t.table), '', ...t.notes, '');
  return `${out.join('\n').trimEnd()}\n`;
}

function htmlPage(r: SweepReport, notes: string[], svgs: string[]): string {
  const figures = r.figures
    .map(
      (f, i) =>
        `<section><h2>${escapeHtml(f.title)}</h2>\n${svgs[i]}\n<p>${escapeHtml(f.caption)}</p></section>`,
    )
    .join('\n');
  const tables = r.tables
    .map(
      (t) =>
        `<section><h2>${escapeHtml(t.title)}</h2>\n${toHtml(t.table)}\n${t.notes.map((n) => `<p>${escapeHtml(n)}</p>`).join('')}</section>`,
    )
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(r.title)}</title>
<style>body{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em}table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #ddd}svg{max-width:100%;height:auto}</style>
</head><body><h1>${escapeHtml(r.title)}</h1>
${notes.map((n) => `<p>${escapeHtml(n)}</p>`).join('\n')}
${figures}
${tables}
</body></html>
`;
}
