/**
 * Test accuracy at fixed training iterations versus weights remaining: the paper's Figures 7 and 8
 * plot VGG-19 at 30K/60K/112K iterations and ResNet at 10K/20K/30K rather than at early stopping,
 * which shows how fast each network learns as well as where it ends. Works for any run whose
 * units were evaluated at the chosen iterations; the deep presets name theirs
 * (experiments/deep-presets.ts), other runs get them from the report's `accuracyAt` option.
 */
import { fixedAccuracyIterations } from '../experiments/deep-presets.js';
import { levelMetricSpec, type ChartText, type SeriesPoint } from './charts.js';
import { figurePath, tablePath, type ExperimentReport, type Figure, type NamedTable } from './model.js';
import { formatPercentRemaining } from './paper.js';
import type { LevelResult, RunSummary } from './schema.js';
import { conditionsOf, stat, type Stat } from './stats.js';
import type { Cell, Column, Table } from './tables.js';

/** One (condition, level): its percent remaining and test accuracy (%) at each chosen iteration. */
export interface FixedIterationRow {
  condition: string;
  level: number;
  percentRemaining: number;
  /** Index-aligned with the chosen iterations; n = 0 where no unit was evaluated there. */
  accuracy: Stat[];
}

/** The iterations a run's fixed-iteration figure uses: the option if given, else its preset's. */
export function accuracyIterationsFor(summary: RunSummary, explicit?: readonly number[]): number[] {
  if (explicit) return [...explicit];
  if (!summary.preset || (summary.scale !== 'quick' && summary.scale !== 'paper')) return [];
  return fixedAccuracyIterations(summary.preset, summary.scale) ?? [];
}

/** Test accuracy (%) of `r` at exactly `iteration`, if it was evaluated there. */
function accuracyAt(r: LevelResult, iteration: number): number | undefined {
  const p = r.curve.find((q) => q.iteration === iteration);
  return p ? 100 * p.testAccuracy : undefined;
}

/**
 * Rows per condition and level, sorted like the level table. A control without a dense level
 * starts from the dense network (level 0 of the ticket), as in the paper's figures.
 */
export function fixedIterationRows(summary: RunSummary, iterations: readonly number[]): FixedIterationRow[] {
  const rows: FixedIterationRow[] = [];
  const full = (rs: readonly LevelResult[]) =>
    rs.length > 0 && rs.every((r) => r.fractionRemaining >= 0.99999);
  const unitsOf = (c: string, level: number) =>
    summary.results.filter((r) => r.condition === c && r.level === level);
  const denseUnits = unitsOf('ticket', 0);
  for (const c of conditionsOf(summary.results)) {
    const levels = [...new Set(summary.results.filter((r) => r.condition === c).map((r) => r.level))].sort(
      (a, b) => a - b,
    );
    const groups = levels.map((l) => ({ condition: c, level: l, units: unitsOf(c, l) }));
    if (c !== 'ticket' && full(denseUnits) && !groups.some((g) => full(g.units))) {
      groups.unshift({ condition: c, level: 0, units: denseUnits });
    }
    for (const g of groups) {
      rows.push({
        condition: g.condition,
        level: g.level,
        percentRemaining: (100 * g.units.reduce((s, r) => s + r.fractionRemaining, 0)) / g.units.length,
        accuracy: iterations.map((it) =>
          stat(g.units.map((r) => accuracyAt(r, it)).filter((v): v is number => v !== undefined)),
        ),
      });
    }
  }
  return rows;
}

const label = (iteration: number) => `${iteration.toLocaleString('en-US')} it`;
const pct = (v: Cell) => (typeof v === 'number' ? formatPercentRemaining(v) : String(v));
const acc = (v: Cell) => (typeof v === 'number' ? v.toFixed(2) : String(v));

/** The table: one row per condition and level, mean test accuracy (min and max in the CSV) per iteration. */
export function fixedIterationTable(
  rows: readonly FixedIterationRow[],
  iterations: readonly number[],
): Table {
  const columns: Column[] = [
    { title: 'condition' },
    { title: 'level', align: 'right' },
    { title: '% remaining', csv: 'percent_remaining', align: 'right', format: pct },
  ];
  for (const it of iterations) {
    columns.push(
      { title: `test acc @ ${label(it)} (%)`, csv: `test_acc_at_${it}`, align: 'right', format: acc },
      { title: `min @ ${it}`, csv: `test_acc_at_${it}_min`, csvOnly: true },
      { title: `max @ ${it}`, csv: `test_acc_at_${it}_max`, csvOnly: true },
      { title: `trials @ ${it}`, csv: `trials_at_${it}`, csvOnly: true },
    );
  }
  return {
    columns,
    rows: rows.map((r) => [
      r.condition,
      r.level,
      r.percentRemaining,
      ...r.accuracy.flatMap((s) => (s.n ? [s.mean, s.min, s.max, s.n] : [null, null, null, 0])),
    ]),
  };
}

/** Points for the figure: colour per condition, dash per iteration. */
export function fixedIterationPoints(
  rows: readonly FixedIterationRow[],
  iterations: readonly number[],
): SeriesPoint[] {
  return rows.flatMap((r) =>
    r.accuracy.flatMap((s, i) =>
      s.n
        ? [
            {
              series: r.condition,
              dash: `at ${label(iterations[i])}`,
              percent: r.percentRemaining,
              mean: s.mean,
              min: s.min,
              max: s.max,
              trials: s.n,
            },
          ]
        : [],
    ),
  );
}

/**
 * The figure and table for one experiment, or nothing when no iterations are chosen or no unit was
 * evaluated at any of them. Iterations no unit reached are left out and named in the notes.
 */
export function fixedIterationResults(
  e: Pick<ExperimentReport, 'summary' | 'labels'>,
  chosen: readonly number[] | undefined,
  subtitle: string[],
): { figure: Figure; table: NamedTable } | undefined {
  const wanted = accuracyIterationsFor(e.summary, chosen);
  const evaluated = new Set(e.summary.results.flatMap((r) => r.curve.map((p) => p.iteration)));
  const iterations = wanted.filter((it) => evaluated.has(it));
  if (iterations.length === 0) return undefined;
  const missing = wanted.filter((it) => !evaluated.has(it));
  const rows = fixedIterationRows(e.summary, iterations);
  const id = `${e.labels.slug}-accuracy-at-iterations`;
  const its = iterations.map(label).join(', ');
  const text: ChartText = { title: `Test accuracy at ${its}`, subtitle };
  const notes = [
    `Test accuracy (%) at fixed training iterations (${its}), as the paper's Figures 7 and 8 plot, not at early stopping. ` +
      'Means across trials; the CSV has min, max and the number of trials evaluated at each iteration.',
    ...(missing.length
      ? [
          `No unit was evaluated at ${missing.map(label).join(', ')}: left out (choose evaluation points with --eval-every).`,
        ]
      : []),
  ];
  return {
    figure: {
      id,
      title: `Test accuracy at ${its} versus percent of weights remaining`,
      caption:
        `Colour: condition; dash: training iteration. Lines are means across trials; bands span the minimum and maximum trial. ` +
        'Controls start from the dense network at 100%, as in the paper.',
      svg: figurePath(id, 'svg'),
      png: figurePath(id, 'png'),
      spec: levelMetricSpec(fixedIterationPoints(rows, iterations), text, {
        yTitle: 'test accuracy (%)',
        dashTitle: 'iteration',
      }),
      group: 'chart',
    },
    table: {
      id,
      title: `Test accuracy at ${its}`,
      table: fixedIterationTable(rows, iterations),
      md: tablePath(id, 'md'),
      csv: tablePath(id, 'csv'),
      notes,
    },
  };
}
