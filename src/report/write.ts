/**
 * writeReport: figures (SVG + PNG), tables (Markdown + CSV) and one page (index.html or index.md)
 * for one or more finished runs.
 *
 *   <out>/index.html | index.md
 *   <out>/figures/<experiment>-<figure>.svg, .png     (mask unit grids: PNG only)
 *   <out>/tables/levels.csv, levels.md                  (every experiment, one row per condition × level)
 *   <out>/tables/<experiment>-sparsity.csv, .md
 *   <out>/tables/<experiment>-paper.csv, .md            (when the paper reports on the model)
 *   <out>/tables/<experiment>-heatmap-level-<LL>.csv    (surviving connections per input pixel)
 */
import { join, relative } from 'node:path';
import { writeFileAtomic } from '../store/index.js';
import {
  curvesSpec,
  heatmapSpec,
  levelMetricSpec,
  renderSvg,
  svgToPng,
  type ChartText,
  type CurveRow,
  type HeatmapPanel,
  type SeriesPoint,
  type TopLevelSpec,
} from './charts.js';
import { labelRuns, normalizeDataset, type RunLabels } from './labels.js';
import {
  findMasks,
  imageShapeFor,
  loadFirstLayerMask,
  maskGridPng,
  maskHeatmap,
  sampleUnits,
  type LayerMask,
} from './masks.js';
import {
  compareWithPaper,
  formatPercentRemaining,
  paperReferenceFor,
  type ComparisonRow,
  type PaperReference,
} from './paper.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
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
import { comparisonTable, levelTable, sparsityTables, toCsv, toMarkdown, type Table } from './tables.js';

export interface ReportOptions {
  format: 'html' | 'md';
  title?: string;
  /**
   * The paper's values to compare with: one reference for every run; `null` for no comparison;
   * undefined (default) to look one up by each run's model.
   */
  paperReference?: PaperReference | null;
  /** Draw mask pictures when mask files are found (default true). */
  masks?: boolean;
  /** PNG pixels per SVG pixel (default 2). */
  pngScale?: number;
}

export interface Figure {
  id: string;
  title: string;
  caption: string;
  /** Paths relative to the report directory. */
  svg?: string;
  png: string;
  /** The SVG markup (for inlining), if the figure has one. */
  svgText?: string;
  /** PNG-only figures: the bytes (for embedding) and the size in pixels. */
  pngBytes?: Buffer;
  size?: [number, number];
  group: 'chart' | 'mask';
}

export interface NamedTable {
  id: string;
  title: string;
  table: Table;
  /** Relative paths of the written files. */
  csv?: string;
  md?: string;
  notes?: string[];
}

export interface ExperimentReport {
  summary: RunSummary;
  labels: RunLabels;
  aggs: LevelAggregate[];
  reference?: PaperReference;
  comparison?: ComparisonRow[];
  comparisonNotes: string[];
  figures: Figure[];
  tables: NamedTable[];
  maskNote?: string;
}

export interface ReportModel {
  title: string;
  generatedAt: string;
  experiments: ExperimentReport[];
  /** Figures comparing experiments (only with several). */
  combinedFigures: Figure[];
  levelTable: NamedTable;
}

export interface ReportResult {
  outDir: string;
  /** Absolute path of index.html or index.md. */
  index: string;
  /** Absolute paths of every file written. */
  files: string[];
  model: ReportModel;
}

/** Targets for "a few levels" (the paper's Figure 3 levels). */
const CURVE_LEVELS = [100, 51.3, 21.1, 7.0, 3.6];
const MASK_LEVELS = [51.3, 21.1, 7.0, 3.6];

class Writer {
  readonly files: string[] = [];
  constructor(readonly outDir: string) {}
  write(rel: string, data: string | Uint8Array): string {
    const path = join(this.outDir, rel);
    writeFileAtomic(path, data);
    this.files.push(path);
    return rel;
  }
}

function subtitleFor(s: RunSummary, labels: RunLabels): string[] {
  const trials = new Set(s.results.map((r) => r.trial)).size;
  const lines = [
    `${s.model} on ${s.dataset} · ${trials} trial${trials === 1 ? '' : 's'} · run ${s.name}-${s.hash}`,
  ];
  return [...lines, ...labels.warnings];
}

async function svgFigure(
  w: Writer,
  pngScale: number,
  id: string,
  spec: TopLevelSpec,
  title: string,
  caption: string,
  group: Figure['group'] = 'chart',
): Promise<Figure> {
  const svgText = await renderSvg(spec);
  const svg = w.write(`figures/${id}.svg`, svgText);
  const png = w.write(`figures/${id}.png`, svgToPng(svgText, pngScale));
  return { id, title, caption, svg, png, svgText, group };
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

async function experimentFigures(w: Writer, e: ExperimentReport, pngScale: number): Promise<Figure[]> {
  const { summary: s, labels, aggs } = e;
  const figs: Figure[] = [];
  const sub = subtitleFor(s, labels);
  const text = (title: string): ChartText => ({ title, subtitle: sub });

  // (a) test accuracy versus iteration at a few levels, per condition
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
  if (rows.length > 0) {
    const maxIter = Math.max(...rows.map((r) => r.iteration));
    const late = rows.filter((r) => r.iteration >= 0.2 * maxIter);
    const lo = Math.min(...late.map((r) => r.min));
    const hi = Math.max(...rows.map((r) => r.max));
    const yMin = Math.max(0, Math.floor(lo - 0.5));
    const yMax = Math.min(100, Math.ceil(hi + 0.1));
    const clipped = rows.some((r) => r.min < yMin);
    figs.push(
      await svgFigure(
        w,
        pngScale,
        `${labels.slug}-curves`,
        curvesSpec(rows, text('Test accuracy during training'), {
          yTitle: 'test accuracy (%)',
          seriesTitle: '% remaining',
          yMin: yMin < yMax ? yMin : undefined,
          yMax: yMin < yMax ? yMax : undefined,
        }),
        'Test accuracy versus training iteration',
        `One panel per condition, one colour per level (percent of weights remaining), as in the paper's Figure 3. ` +
          `Lines are means across trials; bands span the minimum and maximum trial.` +
          (clipped ? ` The y axis starts at ${yMin}%; the first evaluations, below it, are cut off.` : ''),
      ),
    );
  }

  // (b) early-stop iteration versus percent remaining
  const es = conditionPoints(aggs, (a) => a.earlyStopIteration);
  if (es.points.length > 0) {
    figs.push(
      await svgFigure(
        w,
        pngScale,
        `${labels.slug}-early-stop`,
        levelMetricSpec(es.points, text('Early-stopping iteration'), {
          yTitle: 'iteration of minimum validation loss',
          yZero: true,
        }),
        'Early-stopping iteration versus percent of weights remaining',
        `The iteration of minimum validation loss (paper's Figure 4a style; x is logarithmic, sparser to the right). ${bandNote(es.prepended)}` +
          (censoredNote(s) ? ` ${censoredNote(s)}` : ''),
      ),
    );
  }

  // (c) test accuracy at early stop versus percent remaining
  const acc = conditionPoints(aggs, (a) => a.testAccuracyAtEarlyStop);
  if (acc.points.length > 0) {
    figs.push(
      await svgFigure(
        w,
        pngScale,
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
      await svgFigure(
        w,
        pngScale,
        `${labels.slug}-train-accuracy`,
        levelMetricSpec(tr.points, text(`Train accuracy ${when}`), { yTitle: `train accuracy ${when} (%)` }),
        `Train accuracy ${when} versus percent of weights remaining`,
        `Training accuracy ${when} (paper's Figure 4c style). ${bandNote(tr.prepended)}`,
      ),
    );
  }
  return figs;
}

/** Mask pictures for an MLP's first layer: heat maps (SVG + PNG) and unit grids (PNG). */
async function maskFigures(
  w: Writer,
  e: ExperimentReport,
  pngScale: number,
): Promise<{ figures: Figure[]; tables: NamedTable[]; note?: string }> {
  const { summary: s, labels } = e;
  const files = findMasks(s.dir);
  if (files.length === 0)
    return { figures: [], tables: [], note: `No mask files were found under ${s.dir}.` };
  const trial = Math.min(...files.map((f) => f.trial));
  const mine = files.filter((f) => f.trial === trial);

  // the first layer: its inputs are the model's input size
  const inputShape = s.config.inputShape;
  let inputs: number | undefined;
  if (Array.isArray(inputShape) && inputShape.every((d) => Number.isInteger(d)) && inputShape.length > 0) {
    inputs = (inputShape as number[]).reduce((a, b) => a * b, 1);
  }
  const probe = loadFirstLayerMask(mine[0].path, inputs);
  if (!probe) {
    return {
      figures: [],
      tables: [],
      note: 'Mask pictures are drawn for multilayer perceptrons whose first layer sees an image; this model has none.',
    };
  }
  const imageShape = imageShapeFor(s.config, probe.shape[1]);
  if (!imageShape) {
    return {
      figures: [],
      tables: [],
      note: `The first layer (${probe.name}, ${probe.shape[1]} inputs) does not see a single-channel 2-D image; no mask pictures.`,
    };
  }
  const inputsN = probe.shape[1];

  const percentOf = (condition: string, level: number, mask: LayerMask) =>
    e.aggs.find((a) => a.condition === condition && a.level === level)?.percentRemaining ??
    (mask.data.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0) / mask.data.length) * 100;

  const ticketCond = mine.some((f) => f.condition === 'ticket') ? 'ticket' : mine[0].condition;
  const ticketFiles = mine.filter((f) => f.condition === ticketCond);
  const loaded = new Map<string, LayerMask>();
  const load = (path: string) => {
    let m = loaded.get(path);
    if (!m) {
      m = loadFirstLayerMask(path, inputsN);
      if (m) loaded.set(path, m);
    }
    return m;
  };
  const levelPercents = ticketFiles
    .map((f) => {
      const m = load(f.path);
      return m ? { level: f.level, percent: percentOf(ticketCond, f.level, m) } : undefined;
    })
    .filter((x): x is { level: number; percent: number } => x !== undefined);
  const pruned = levelPercents.filter((l) => l.percent < 99.999);
  const pool = pruned.length > 0 ? pruned : levelPercents;
  const levels = pool.length <= MASK_LEVELS.length ? pool : pickLevels(pool, MASK_LEVELS, 100);

  const panels: HeatmapPanel[] = [];
  const tables: NamedTable[] = [];
  const conditions = [ticketCond, ...conditionsOf(mine).filter((c) => c !== ticketCond)];
  for (const c of conditions) {
    for (const l of levels) {
      const f = mine.find((x) => x.condition === c && x.level === l.level);
      if (!f) continue;
      const m = load(f.path);
      if (!m) continue;
      if (c !== ticketCond) {
        // the same mask as the ticket's (random re-initialization) adds nothing
        const t = ticketFiles.find((x) => x.level === l.level);
        const tm = t && load(t.path);
        if (tm && tm.data.length === m.data.length && tm.data.every((v, i) => v === m.data[i])) continue;
      }
      const counts = maskHeatmap(m.data, m.shape, imageShape);
      const pct = percentOf(c, l.level, m);
      panels.push({
        row: c,
        title: [c, `level ${l.level} · ${formatPercentRemaining(pct)} remaining`],
        imageShape,
        counts,
        max: Math.max(...counts),
      });
      const [h, wd] = imageShape;
      const table: Table = {
        columns: Array.from({ length: wd }, (_, x) => ({ title: `x${x}`, align: 'right' as const })),
        rows: Array.from({ length: h }, (_, y) => Array.from(counts.subarray(y * wd, (y + 1) * wd))),
      };
      const id = `${labels.slug}-heatmap-${c}-level-${String(l.level).padStart(2, '0')}`;
      tables.push({
        id,
        title: `Surviving ${m.name} connections per input pixel, ${c}, level ${l.level}`,
        table,
        csv: w.write(`tables/${id}.csv`, toCsv(table)),
      });
    }
  }
  const figures: Figure[] = [];
  const out = probe.shape[0];
  if (panels.length > 0) {
    figures.push(
      await svgFigure(
        w,
        pngScale,
        `${labels.slug}-mask-heatmap`,
        heatmapSpec(
          panels,
          {
            title: `Surviving ${probe.name} connections per input pixel`,
            subtitle: [...subtitleFor(s, labels), `trial ${trial}`],
          },
          `units still connected (of ${out})`,
        ),
        `First-layer mask as a heat map (${probe.name}, trial ${trial})`,
        `Each ${imageShape[0]}×${imageShape[1]} image counts, for every input pixel, how many of the ${out} hidden units still connect to it. ` +
          `Each panel has its own colour scale. Rows are conditions whose masks differ (random re-initialization shares the ticket's mask).`,
        'mask',
      ),
    );
  }
  const units = sampleUnits(out, 64);
  for (const l of levels) {
    const f = ticketFiles.find((x) => x.level === l.level);
    const m = f && load(f.path);
    if (!m) continue;
    const grid = maskGridPng(m.data, m.shape, imageShape, { units, columns: 8, scale: 3, gap: 2 });
    const id = `${labels.slug}-mask-units-level-${String(l.level).padStart(2, '0')}`;
    const shown =
      units.length === out
        ? `all ${out} units`
        : `${units.length} of ${out} units (${units.slice(0, 4).join(', ')}, … ${units[units.length - 1]}, evenly spaced)`;
    figures.push({
      id,
      title: `Per-unit masks of ${m.name}, ${ticketCond}, level ${l.level} (${formatPercentRemaining(l.percent)} of all weights)`,
      caption: `One ${imageShape[0]}×${imageShape[1]} image per hidden unit, ${shown}, left to right then top to bottom; dark pixels are inputs the unit still sees. Trial ${trial}.`,
      png: w.write(`figures/${id}.png`, grid.png),
      pngBytes: grid.png,
      size: [grid.width, grid.height],
      group: 'mask',
    });
  }
  return { figures, tables };
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
        explicit === null ? [] : [`The paper reports no values for ${s.model}; nothing to compare with.`],
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

function writeTable(w: Writer, id: string, title: string, table: Table, notes?: string[]): NamedTable {
  const md = w.write(`tables/${id}.md`, `${toMarkdown(table)}\n`);
  const csv = w.write(`tables/${id}.csv`, toCsv(table));
  return { id, title, table, md, csv, notes };
}

/**
 * Writes the report for `summaries` (one experiment each) into `outDir` and returns what it wrote.
 * Mask pictures are read from each summary's `dir`.
 */
export async function writeReport(
  summaries: readonly RunSummary[],
  outDir: string,
  opts: ReportOptions,
): Promise<ReportResult> {
  if (summaries.length === 0) throw new RangeError('writeReport needs at least one run summary');
  const w = new Writer(outDir);
  const pngScale = opts.pngScale ?? 2;
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
    e.figures = await experimentFigures(w, e, pngScale);
    if (opts.masks ?? true) {
      const m = await maskFigures(w, e, pngScale);
      e.figures.push(...m.figures);
      e.tables.push(...m.tables);
      e.maskNote = m.note;
    }
    if (cmp.rows) {
      e.tables.unshift(
        writeTable(
          w,
          `${e.labels.slug}-paper`,
          `Comparison with the paper (${cmp.ref!.id})`,
          comparisonTable(cmp.rows),
          cmp.notes,
        ),
      );
    }
    const sp = sparsityTables(e.summary);
    if (sp) {
      const md = w.write(`tables/${e.labels.slug}-sparsity.md`, `${toMarkdown(sp.wide)}\n`);
      const csv = w.write(`tables/${e.labels.slug}-sparsity.csv`, toCsv(sp.long));
      e.tables.push({
        id: `${e.labels.slug}-sparsity`,
        title: 'Per-layer sparsity',
        table: sp.wide,
        md,
        csv,
        notes: [
          'Percent of each layer’s weights remaining, with the kept count (mean across trials). Conditions with identical counts share a row.',
        ],
      });
    }
  }

  const levels = writeTable(
    w,
    'levels',
    'Results per level and condition',
    levelTable(experiments.map((e) => ({ label: e.labels.label, aggs: e.aggs }))),
    [
      'Accuracies in percent; min and max across trials; @ES = at the early-stopping iteration (minimum validation loss).',
    ],
  );

  const combinedFigures: Figure[] = [];
  if (experiments.length > 1) {
    const esPts: SeriesPoint[] = [];
    const accPts: SeriesPoint[] = [];
    for (const e of experiments) {
      const relabel = (p: SeriesPoint): SeriesPoint => ({ ...p, series: e.labels.label, dash: p.series });
      esPts.push(...conditionPoints(e.aggs, (a) => a.earlyStopIteration).points.map(relabel));
      accPts.push(...conditionPoints(e.aggs, (a) => a.testAccuracyAtEarlyStop).points.map(relabel));
    }
    const warnings = [
      ...new Set(experiments.flatMap((e) => e.labels.warnings.map((x) => `${e.labels.label}: ${x}`))),
    ];
    const sub = [
      experiments.map((e) => `${e.labels.label} (${e.summary.model} on ${e.summary.dataset})`).join(' · '),
      ...warnings,
    ];
    const common = { seriesTitle: 'experiment', dashTitle: 'condition', palette: 'experiments' as const };
    combinedFigures.push(
      await svgFigure(
        w,
        pngScale,
        'all-early-stop',
        levelMetricSpec(
          esPts,
          { title: 'Early-stopping iteration, all experiments', subtitle: sub },
          {
            ...common,
            yTitle: 'iteration of minimum validation loss',
            yZero: true,
          },
        ),
        'Early-stopping iteration versus percent of weights remaining, all experiments',
        'Colour: experiment; dash: condition. Means across trials with min–max bands.',
      ),
      await svgFigure(
        w,
        pngScale,
        'all-accuracy',
        levelMetricSpec(
          accPts,
          { title: 'Test accuracy at early stop, all experiments', subtitle: sub },
          {
            ...common,
            yTitle: 'test accuracy at early stop (%)',
          },
        ),
        'Test accuracy at early stop versus percent of weights remaining, all experiments',
        'Colour: experiment; dash: condition. Means across trials with min–max bands.',
      ),
    );
  }

  const model: ReportModel = {
    title:
      opts.title ??
      (experiments.length === 1
        ? `ticketlab report: ${experiments[0].labels.label}`
        : `ticketlab report: ${experiments.map((e) => e.labels.label).join(', ')}`),
    generatedAt: new Date().toISOString(),
    experiments,
    combinedFigures,
    levelTable: levels,
  };
  const index =
    opts.format === 'html'
      ? w.write('index.html', renderHtml(model))
      : w.write('index.md', renderMarkdown(model));
  return { outDir, index: join(outDir, index), files: w.files, model };
}

/** Paths in a report, relative to its directory (for messages). */
export function describeFiles(result: ReportResult): string[] {
  return result.files.map((f) => relative(result.outDir, f));
}
