/**
 * Building the report model from run summaries: statistics, the comparison with the paper, figures
 * as chart specs, tables and notes, with the relative path each file will get. No files are read or
 * written here (mask files come through the MaskReader it is given) and nothing is drawn: write.ts
 * draws the figures and writes the files.
 */
import {
  curvesSpec,
  levelMetricSpec,
  type ChartText,
  type CurveRow,
  type SeriesPoint,
  type TopLevelSpec,
} from './charts.js';
import {
  allExperimentsSubtitle,
  labelRuns,
  normalizeDataset,
  partialLabel,
  type RunLabels,
} from './labels.js';
import { maskFigures } from './mask-figures.js';
import { costFigure } from './cost-figure.js';
import type { MaskReader } from './masks.js';
import {
  figurePath,
  tablePath,
  type ExperimentReport,
  type Figure,
  type NamedTable,
  type ReportModel,
  type ReportOptions,
} from './model.js';
import {
  compareWithPaper,
  formatPercentRemaining,
  acrossRunNumbersFor,
  paperReferenceFor,
  type ComparisonRow,
  type PaperReference,
} from './paper.js';
import type { RunSummary } from './schema.js';
import {
  aggregateCurve,
  aggregateLevels,
  conditionsOf,
  denseBaseline,
  isFull,
  levelsOf,
  pickLevels,
  type LevelAggregate,
  type Stat,
} from './stats.js';
import { comparisonTable, levelTable, sparsityTables, type Table } from './tables.js';
import { fractionRemainingTable } from './fraction-table.js';
import { fixedIterationResults } from './fixed-iterations.js';
import { supermaskTable } from './supermask.js';
import { type MaskCounter, diskMaskCounter, pruneRatioRows, pruneRatioTable } from './prune-ratio-table.js';
import { beforeRetrainingTable } from './before-retraining.js';

/** What building needs from outside: where mask files come from, and the time to print. */
export interface BuildContext {
  masks: MaskReader;
  /** ISO time stamp shown as the generation time. */
  generatedAt: string;
  /** Where the desired-vs-actual table counts masks (default: the run's files on disk). */
  maskCounts?: MaskCounter;
}

/** Targets for "a few levels" (the paper's Figure 3 levels). */
const CURVE_LEVELS = [100, 51.3, 21.1, 7.0, 3.6];

function subtitleFor(s: RunSummary, labels: RunLabels): string[] {
  const trials = new Set(s.results.map((r) => r.trial)).size;
  const lines = [
    `${s.model} on ${s.dataset} · ${trials} trial${trials === 1 ? '' : 's'} · run ${s.name}-${s.hash}`,
  ];
  return [...lines, ...labels.warnings];
}

/** A figure drawn from a chart spec, as SVG and PNG. */
function chartFigure(
  id: string,
  spec: TopLevelSpec,
  title: string,
  caption: string,
  group: Figure['group'] = 'chart',
): Figure {
  return { id, title, caption, svg: figurePath(id, 'svg'), png: figurePath(id, 'png'), spec, group };
}

/** Series versus percent remaining, one per condition; controls without a dense level start from the dense network. */
function conditionPoints(
  aggs: readonly LevelAggregate[],
  pick: (a: LevelAggregate) => Stat | undefined,
  extra: Partial<SeriesPoint> = {},
): { points: SeriesPoint[]; prepended: string[] } {
  const dense = denseBaseline(aggs);
  const points: SeriesPoint[] = [];
  const prepended: string[] = [];
  for (const c of conditionsOf(aggs)) {
    const own = aggs.filter((a) => a.condition === c);
    const list = [...own];
    if (dense && c !== dense.condition && c !== 'dense' && !own.some(isFull)) {
      list.unshift(dense);
      prepended.push(c);
    }
    for (const a of list) {
      const s = pick(a);
      if (!s || s.n === 0) continue;
      points.push({
        series: c,
        percent: a.percentRemaining,
        mean: s.mean,
        min: s.min,
        max: s.max,
        trials: s.n,
        ...extra,
      });
    }
  }
  return { points, prepended };
}

function bandNote(prepended: string[]): string {
  const base = 'Lines are means across trials; bands span the minimum and maximum trial.';
  return prepended.length
    ? `${base} ${prepended.join(', ')} start${prepended.length === 1 ? 's' : ''} from the dense network at 100%, as in the paper.`
    : base;
}

/** (a) test accuracy versus iteration at a few levels, one panel per condition. */
function curvesFigure(
  s: RunSummary,
  slug: string,
  text: (title: string) => ChartText,
  smoothing = 0,
): Figure | undefined {
  const conditions = conditionsOf(s.results);
  const main = conditions.includes('ticket') ? 'ticket' : conditions[0];
  const allLevels = levelsOf(s, main);
  const chosen = allLevels.length <= CURVE_LEVELS.length ? allLevels : pickLevels(allLevels, CURVE_LEVELS);
  const chosenSet = new Set(chosen.map((l) => l.level));
  const rows: CurveRow[] = [];
  for (const c of conditions) {
    for (const l of levelsOf(s, c)) {
      if (!chosenSet.has(l.level)) continue;
      const curve = aggregateCurve(
        s.results.filter((r) => r.condition === c && r.level === l.level),
        'testAccuracy',
        smoothing,
      );
      for (const p of curve) {
        rows.push({
          panel: c,
          series: `${formatPercentRemaining(l.percent)}`,
          order: l.percent,
          iteration: p.iteration,
          mean: p.mean,
          min: p.min,
          max: p.max,
        });
      }
    }
  }
  if (rows.length === 0) return undefined;
  const maxIter = Math.max(...rows.map((r) => r.iteration));
  const late = rows.filter((r) => r.iteration >= 0.2 * maxIter);
  const lo = Math.min(...late.map((r) => r.min));
  const hi = Math.max(...rows.map((r) => r.max));
  const yMin = Math.max(0, Math.floor(lo - 0.5));
  const yMax = Math.min(100, Math.ceil(hi + 0.1));
  const clipped = rows.some((r) => r.min < yMin);
  return chartFigure(
    `${slug}-curves`,
    curvesSpec(rows, text('Test accuracy during training'), {
      yTitle: 'test accuracy (%)',
      seriesTitle: '% remaining',
      yMin: yMin < yMax ? yMin : undefined,
      yMax: yMin < yMax ? yMax : undefined,
    }),
    'Test accuracy versus training iteration',
    `One panel per condition, one colour per level (percent of weights remaining), as in the paper's Figure 3. ` +
      `Lines are means across trials; bands span the minimum and maximum trial.` +
      (smoothing > 0
        ? ` Each trial's curve is smoothed by an exponential moving average of weight ${smoothing} before the mean.`
        : '') +
      (clipped
        ? ` The y axis starts at ${yMin}%; evaluations below it (the first ones) are drawn on the axis floor, marked ▼.`
        : ''),
  );
}

function experimentFigures(e: ExperimentReport, smoothing = 0): Figure[] {
  const { summary: s, labels, aggs } = e;
  const figs: Figure[] = [];
  const sub = subtitleFor(s, labels);
  const text = (title: string): ChartText => ({ title, subtitle: sub });

  const curves = curvesFigure(s, labels.slug, text, smoothing);
  if (curves) figs.push(curves);

  // (b) early-stop iteration versus percent remaining
  const es = conditionPoints(aggs, (a) => a.earlyStopIteration);
  if (es.points.length > 0) {
    const censored = censoredNote(s);
    figs.push(
      chartFigure(
        `${labels.slug}-early-stop`,
        levelMetricSpec(es.points, text('Early-stopping iteration'), {
          yTitle: 'iteration of minimum validation loss',
          yZero: true,
        }),
        'Early-stopping iteration versus percent of weights remaining',
        `The iteration of minimum validation loss (paper's Figure 4a style; x is logarithmic, sparser to the right). ${bandNote(es.prepended)}` +
          (censored ? ` ${censored}` : ''),
      ),
    );
  }

  // (c) test accuracy at early stop versus percent remaining
  const acc = conditionPoints(aggs, (a) => a.testAccuracyAtEarlyStop);
  if (acc.points.length > 0) {
    figs.push(
      chartFigure(
        `${labels.slug}-accuracy`,
        levelMetricSpec(acc.points, text('Test accuracy at early stop'), {
          yTitle: 'test accuracy at early stop (%)',
        }),
        'Test accuracy at the early-stopping iteration versus percent of weights remaining',
        `Test accuracy at the iteration of minimum validation loss (paper's Figure 4b style). ${bandNote(acc.prepended)}`,
      ),
    );
  }

  // (d) train accuracy at early stop (or at the end)
  const trainAtEs = aggs.some((a) => a.trainAccuracyAtEarlyStop);
  const trainFinal = aggs.some((a) => a.finalTrainAccuracy);
  if (trainAtEs || trainFinal) {
    const tr = conditionPoints(aggs, (a) => (trainAtEs ? a.trainAccuracyAtEarlyStop : a.finalTrainAccuracy));
    const when = trainAtEs ? 'at early stop' : 'at the end of training';
    figs.push(
      chartFigure(
        `${labels.slug}-train-accuracy`,
        levelMetricSpec(tr.points, text(`Train accuracy ${when}`), { yTitle: `train accuracy ${when} (%)` }),
        `Train accuracy ${when} versus percent of weights remaining`,
        `Training accuracy ${when} (paper's Figure 4c style). ${bandNote(tr.prepended)}`,
      ),
    );
  }
  const cost = costFigure(s, labels.slug, text('Cost per iteration'));
  if (cost) figs.push(cost);
  return figs;
}

/**
 * When training stopped while validation loss was still falling, the early-stopping iteration is
 * the last one: a lower bound, not a measurement. Says how often that happened.
 */
export function censoredNote(s: RunSummary): string | undefined {
  const last = (r: RunSummary['results'][number]) =>
    r.curve.length > 0 ? Math.max(r.iterations, r.curve[r.curve.length - 1].iteration) : r.iterations;
  const n = s.results.filter((r) => r.earlyStopIteration >= last(r)).length;
  if (n === 0) return undefined;
  return (
    `In ${n} of ${s.results.length} trainings the minimum validation loss came at the last evaluation ` +
    '(validation loss was still falling when training stopped), so those early-stopping iterations are lower bounds ' +
    'and early-stop ratios involving them are not measurements. Train longer to measure them.'
  );
}

function comparisonFor(
  e: ExperimentReport,
  explicit: PaperReference | null | undefined,
): { ref?: PaperReference; rows?: ComparisonRow[]; notes: string[] } {
  const s = e.summary;
  const ref = explicit === null ? undefined : (explicit ?? paperReferenceFor(s.model));
  if (!ref) {
    return {
      notes:
        explicit === null
          ? []
          : [
              acrossRunNumbersFor(s.model) ??
                `The paper reports no values for ${s.model}; nothing to compare with.`,
            ],
    };
  }
  const notes: string[] = [];
  if (e.labels.scale === 'quick') {
    notes.push(
      'This run is at QUICK SCALE (fewer iterations, levels or trials than the paper): expect the numbers to differ.',
    );
  }
  if (normalizeDataset(s.dataset) !== ref.dataset) {
    notes.push(
      `The paper's values are for ${ref.model} on ${ref.dataset}; this run trains on ${s.dataset}` +
        (e.labels.standIn
          ? ' (a stand-in): not a like-for-like comparison.'
          : ': not a like-for-like comparison.'),
    );
  }
  const censored = censoredNote(s);
  if (censored) notes.push(censored);
  notes.push(
    'Ours: means across trials. Early-stop ratios are ratios of mean early-stopping iterations; accuracy differences are in percentage points of test accuracy at early stop. ' +
      "Each claim uses our level nearest the paper's (by ratio); levels more than 1.5× away are reported as missing.",
  );
  return { ref, rows: compareWithPaper(e.aggs, ref), notes };
}

/** A table written as Markdown and CSV. */
function namedTable(id: string, title: string, table: Table, notes?: string[]): NamedTable {
  return { id, title, table, md: tablePath(id, 'md'), csv: tablePath(id, 'csv'), notes };
}

/** Figures comparing several experiments: colour per experiment, dash per condition. */
function combinedFigures(experiments: readonly ExperimentReport[]): Figure[] {
  const esPts: SeriesPoint[] = [];
  const accPts: SeriesPoint[] = [];
  for (const e of experiments) {
    const relabel = (p: SeriesPoint): SeriesPoint => ({ ...p, series: e.labels.label, dash: p.series });
    esPts.push(...conditionPoints(e.aggs, (a) => a.earlyStopIteration).points.map(relabel));
    accPts.push(...conditionPoints(e.aggs, (a) => a.testAccuracyAtEarlyStop).points.map(relabel));
  }
  const sub = allExperimentsSubtitle(experiments);
  const common = { seriesTitle: 'experiment', dashTitle: 'condition', palette: 'experiments' as const };
  const caption = 'Colour: experiment; dash: condition. Means across trials with min–max bands.';
  return [
    chartFigure(
      'all-early-stop',
      levelMetricSpec(
        esPts,
        { title: 'Early-stopping iteration, all experiments', subtitle: sub },
        { ...common, yTitle: 'iteration of minimum validation loss', yZero: true },
      ),
      'Early-stopping iteration versus percent of weights remaining, all experiments',
      caption,
    ),
    chartFigure(
      'all-accuracy',
      levelMetricSpec(
        accPts,
        { title: 'Test accuracy at early stop, all experiments', subtitle: sub },
        { ...common, yTitle: 'test accuracy at early stop (%)' },
      ),
      'Test accuracy at early stop versus percent of weights remaining, all experiments',
      caption,
    ),
  ];
}

/** " (partial: 3 of 43 units)" after the title of a page with unfinished runs (named when several). */
function partialSuffix(experiments: readonly ExperimentReport[]): string {
  const parts = experiments
    .filter((e) => e.labels.partial)
    .map((e) =>
      experiments.length === 1
        ? partialLabel(e.labels.partial)!
        : `${e.labels.label} ${partialLabel(e.labels.partial)!.replace('partial: ', '')}`,
    );
  if (parts.length === 0) return '';
  return experiments.length === 1 ? ` (${parts[0]})` : ` (partial: ${parts.join('; ')})`;
}

/** The report model for `summaries` (one experiment each). */
export function buildReportModel(
  summaries: readonly RunSummary[],
  opts: Omit<ReportOptions, 'format' | 'pngScale'>,
  context: BuildContext,
): ReportModel {
  if (summaries.length === 0) throw new RangeError('a report needs at least one run summary');
  const refs = summaries.map((s) =>
    opts.paperReference === null
      ? paperReferenceFor(s.model)
      : (opts.paperReference ?? paperReferenceFor(s.model)),
  );
  const labels = labelRuns(summaries, refs);
  const experiments: ExperimentReport[] = summaries.map((summary, i) => ({
    summary,
    labels: labels[i],
    aggs: aggregateLevels(summary.results),
    comparisonNotes: [],
    figures: [],
    tables: [],
  }));

  for (const e of experiments) {
    const cmp = comparisonFor(e, opts.paperReference);
    e.reference = cmp.ref;
    e.comparison = cmp.rows;
    e.comparisonNotes = cmp.notes;
    e.figures = experimentFigures(e, opts.smoothing);
    const fixed = fixedIterationResults(e, opts.accuracyAt, subtitleFor(e.summary, e.labels));
    if (fixed) e.figures.push(fixed.figure);
    if (opts.masks ?? true) {
      const m = maskFigures(e, context.masks, subtitleFor(e.summary, e.labels));
      e.figures.push(...m.figures);
      e.tables.push(...m.tables);
      e.maskNote = m.note;
    }
    if (cmp.rows) {
      const title = `Comparison with the paper (${cmp.ref!.id})`;
      e.tables.unshift(namedTable(`${e.labels.slug}-paper`, title, comparisonTable(cmp.rows), cmp.notes));
    }
    if (fixed) e.tables.push(fixed.table);
    const fr = fractionRemainingTable(e.summary);
    if (fr) {
      e.tables.push(
        namedTable(`${e.labels.slug}-remaining`, 'Fraction of weights remaining per level', fr, [
          'Trial 0’s ticket; per-kind columns show what global pruning took from each kind of layer.',
        ]),
      );
    }
    const before = beforeRetrainingTable(e.summary);
    if (before) {
      e.tables.push(
        namedTable(
          `${e.labels.slug}-before-retraining`,
          'Accuracy before retraining (@w0, @w(t−1))',
          before,
          [
            'Test accuracy of each unit’s mask on the trained weights it was pruned from, with no retraining: the dense network’s (@w0) or the previous level’s (@w(t−1)); the next column is after retraining.',
          ],
        ),
      );
    }
    const supermask = supermaskTable(e.summary);
    if (supermask) {
      e.tables.push(
        namedTable(`${e.labels.slug}-supermask`, 'Supermask: accuracy before training', supermask, [
          'Test accuracy of each unit’s mask on its starting weights with no training, beside a random mask with the same number kept in each layer and no mask (Zhou et al. 2019, Section 5); the last accuracy is after training.',
        ]),
      );
    }
    const ratios = opts.pruneRatios
      ? pruneRatioRows(e.summary, context.maskCounts ?? diskMaskCounter)
      : undefined;
    if (ratios) {
      e.tables.push(
        namedTable(
          `${e.labels.slug}-prune-ratio`,
          'Desired vs actual prune ratio per level (from the masks)',
          pruneRatioTable([{ key: [], rows: ratios }], []),
          [
            'Desired: 1 − (1 − p)^level for the per-level rate p of the layer kind with most weights; actual: 1 − kept/total over every pruned layer of the first trial’s ticket mask.',
          ],
        ),
      );
    }
    const sp = sparsityTables(e.summary);
    if (sp) {
      e.tables.push({
        ...namedTable(`${e.labels.slug}-sparsity`, 'Per-layer sparsity', sp.wide, [
          'Percent of each layer’s weights remaining, with the kept count (mean across trials). Conditions with identical counts share a row.',
        ]),
        csvTable: sp.long,
      });
    }
  }

  const levels = namedTable(
    'levels',
    'Results per level and condition',
    levelTable(experiments.map((e) => ({ label: e.labels.label, aggs: e.aggs }))),
    [
      'Accuracies in percent; min and max across trials; @ES = at the early-stopping iteration (minimum validation loss).',
    ],
  );

  const title =
    opts.title ??
    (experiments.length === 1
      ? `ticketlab report: ${experiments[0].labels.label}`
      : `ticketlab report: ${experiments.map((e) => e.labels.label).join(', ')}`);
  return {
    title: title + partialSuffix(experiments),
    generatedAt: context.generatedAt,
    experiments,
    combinedFigures: experiments.length > 1 ? combinedFigures(experiments) : [],
    levelTable: levels,
  };
}
