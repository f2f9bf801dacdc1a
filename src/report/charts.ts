/**
 * Figures as Vega-Lite specifications: pure functions of the data, so tests can inspect them
 * (svg.ts draws them).
 *
 * Conventions, after the paper's figures: the x axis of "versus sparsity" plots is the percent of
 * weights remaining on a log scale, reversed so sparser networks are to the right; each series is
 * the mean across trials, with a band from the minimum to the maximum trial (the paper draws the
 * min and max as error bars).
 */
import type { TopLevelSpec } from 'vega-lite';

export type { TopLevelSpec };

const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';

/** Shared look of every figure. */
export const CHART_CONFIG = {
  font: FONT,
  background: 'white',
  padding: 8,
  title: { anchor: 'start', fontSize: 14, subtitleFontSize: 11, subtitleColor: '#555', offset: 10 },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', gridColor: '#e6e6e6' },
  legend: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: 'normal', symbolStrokeWidth: 2.5 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  view: { stroke: '#bbb' },
} as const;

/** Colours of known conditions, so a condition has the same colour in every figure. */
const CONDITION_COLORS: Record<string, string> = {
  ticket: '#1f77b4',
  dense: '#555555',
  'random-reinit': '#ff7f0e',
  'random-prune': '#2ca02c',
  'one-shot': '#d62728',
};
const OTHER_COLORS = ['#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];

/** A colour per series name: known conditions keep theirs, others take the next free colour. */
export function seriesColors(names: readonly string[]): string[] {
  let k = 0;
  return names.map((n) => CONDITION_COLORS[n] ?? OTHER_COLORS[k++ % OTHER_COLORS.length]);
}

/** Colours of levels in training-curve panels, densest (dark grey) first. */
const LEVEL_COLORS = [
  '#222222',
  '#4e79a7',
  '#59a14f',
  '#f28e2b',
  '#e15759',
  '#b07aa1',
  '#76b7b2',
  '#edc948',
  '#9c755f',
  '#bab0ac',
];

const EXPERIMENT_COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf'];

/** One point of a series versus percent remaining: mean and min–max across trials. */
export interface SeriesPoint {
  series: string;
  /** Second grouping drawn as the line's dash pattern (e.g. the condition when colour is the experiment). */
  dash?: string;
  percent: number;
  mean: number;
  min: number;
  max: number;
  trials: number;
}

export interface ChartText {
  title: string;
  subtitle?: string[];
}

export function titleOf(t: ChartText) {
  return t.subtitle && t.subtitle.length > 0 ? { text: t.title, subtitle: t.subtitle } : { text: t.title };
}

/** Tick values for a log axis of percents: the levels themselves when there are few. */
function percentTicks(percents: readonly number[]): number[] | undefined {
  const distinct = [...new Set(percents.map((p) => Number(p.toPrecision(3))))].sort((a, b) => b - a);
  if (distinct.length === 0 || distinct.length > 9) return undefined;
  // drop ticks too close to a kept neighbour (labels would overlap)
  const kept: number[] = [];
  for (const p of distinct) if (kept.every((q) => Math.abs(Math.log(q / p)) > 0.12)) kept.push(p);
  return kept;
}

/**
 * A metric versus percent of weights remaining (log x, reversed): a line of means with points, and
 * a min–max band, per series. `colorBy: 'series'` colours series; a `dash` field, if any, sets the
 * stroke pattern.
 */
export function levelMetricSpec(
  points: readonly SeriesPoint[],
  text: ChartText,
  opts: {
    yTitle: string;
    yZero?: boolean;
    seriesTitle?: string;
    dashTitle?: string;
    palette?: 'conditions' | 'experiments';
  },
): TopLevelSpec {
  const series = [...new Set(points.map((p) => p.series))];
  const dashes = [...new Set(points.map((p) => p.dash).filter((d): d is string => d !== undefined))];
  const range =
    opts.palette === 'experiments'
      ? series.map((_, i) => EXPERIMENT_COLORS[i % EXPERIMENT_COLORS.length])
      : seriesColors(series);
  const percents = points.map((p) => p.percent);
  const lo = Math.min(...percents);
  const hi = Math.max(...percents);
  const x = {
    field: 'percent',
    type: 'quantitative',
    title: 'percent of weights remaining (log scale)',
    scale: {
      type: 'log',
      reverse: true,
      nice: false,
      padding: 14,
      domain: lo === hi ? [lo / 1.5, hi * 1.5] : [lo, hi],
    },
    axis: { values: percentTicks(percents), format: '~r', labelFlush: false },
  } as const;
  const color = {
    field: 'series',
    type: 'nominal',
    title: opts.seriesTitle ?? 'condition',
    scale: { domain: series, range },
    sort: series,
    legend: { labelLimit: 420 }, // run names are long; the default 160 px cuts off what tells them apart
  } as const;
  const detail = dashes.length > 0 ? { detail: { field: 'dash' } } : {};
  const strokeDash =
    dashes.length > 0
      ? {
          strokeDash: {
            field: 'dash',
            type: 'nominal',
            title: opts.dashTitle ?? 'condition',
            sort: dashes,
            // a line sample, not the default dot, so the legend shows which dash is which
            legend: {
              symbolType: 'stroke',
              symbolStrokeWidth: 2,
              symbolSize: 300,
              encode: { symbols: { update: { stroke: { value: '#444' } } } },
            },
          },
        }
      : {};
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: titleOf(text),
    width: 440,
    height: 280,
    config: CHART_CONFIG,
    data: { values: points.map((p) => ({ ...p, band: p.series })) }, // band: fill of the min–max band, kept out of the legend
    encoding: { x },
    layer: [
      {
        mark: { type: 'area', opacity: 0.16, clip: true },
        encoding: {
          y: { field: 'min', type: 'quantitative', scale: { zero: opts.yZero ?? false } },
          y2: { field: 'max' },
          fill: { ...color, field: 'band', legend: null },
          ...detail,
        },
      },
      {
        mark: { type: 'line', strokeWidth: 2, point: { size: 36, filled: true }, clip: true },
        encoding: {
          y: { field: 'mean', type: 'quantitative', title: opts.yTitle },
          color,
          ...strokeDash,
        },
      },
    ],
  } as TopLevelSpec;
}

/** One point of a training curve: mean and min–max across trials at an iteration. */
export interface CurveRow {
  panel: string;
  series: string;
  /** Sort key of the series (e.g. percent remaining, larger first). */
  order: number;
  iteration: number;
  mean: number;
  min: number;
  max: number;
}

/**
 * Training curves (e.g. test accuracy versus iteration) in one panel per `panel` value, one colour
 * per series (levels, densest first), mean line with a min–max band. The y axis spans
 * [yMin, yMax] when both are given (curves start near chance; the interesting range is near the
 * top). Nothing is cut off silently: values below the axis are drawn on its floor (the scale
 * clamps), each evaluation there gets a ▼ marker, and the figure's subtitle says so.
 */
export function curvesSpec(
  rows: readonly CurveRow[],
  text: ChartText,
  opts: { yTitle: string; seriesTitle: string; yMin?: number; yMax?: number },
): TopLevelSpec {
  const panels = [...new Set(rows.map((r) => r.panel))];
  const series = [...new Map(rows.map((r) => [r.series, r.order])).entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([s]) => s);
  const color = {
    field: 'series',
    type: 'nominal',
    title: opts.seriesTitle,
    sort: series,
    scale: { domain: series, range: LEVEL_COLORS },
  } as const;
  const zoomed = opts.yMin !== undefined && opts.yMax !== undefined;
  const y = zoomed
    ? { zero: false, nice: false, clamp: true, domain: [opts.yMin, opts.yMax] }
    : { zero: false };
  const below = zoomed ? rows.filter((r) => r.mean < opts.yMin!) : [];
  const floorMarkers =
    below.length > 0
      ? [
          {
            transform: [{ filter: `datum.mean < ${opts.yMin}` }, { calculate: `${opts.yMin}`, as: 'floor' }],
            mark: { type: 'point', shape: 'triangle-down', filled: true, size: 40, opacity: 0.9 },
            encoding: { y: { field: 'floor', type: 'quantitative', scale: y }, color },
          },
        ]
      : [];
  const note = `▼ on the axis floor: evaluations below ${opts.yMin}% (early in training), drawn at ${opts.yMin}%`;
  const shown = below.length > 0 ? { ...text, subtitle: [...(text.subtitle ?? []), note] } : text;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: titleOf(shown),
    config: CHART_CONFIG,
    data: { values: rows.map((r) => ({ ...r, band: r.series })) },
    facet: { column: { field: 'panel', type: 'nominal', sort: panels, title: null } },
    spec: {
      width: 300,
      height: 240,
      encoding: {
        x: { field: 'iteration', type: 'quantitative', title: 'training iteration', axis: { format: '~s' } },
      },
      layer: [
        {
          mark: { type: 'area', opacity: 0.15, clip: true },
          encoding: {
            y: { field: 'min', type: 'quantitative', scale: y },
            y2: { field: 'max' },
            fill: { ...color, field: 'band', legend: null },
          },
        },
        {
          mark: { type: 'line', strokeWidth: 1.8, clip: true },
          encoding: { y: { field: 'mean', type: 'quantitative', title: opts.yTitle }, color },
        },
        ...floorMarkers,
      ],
    },
  } as TopLevelSpec;
}

/** One cell of the heat-map grid: an image of counts with its caption. */
export interface HeatmapPanel {
  row: string;
  /** One string, or one per line. */
  title: string | string[];
  imageShape: readonly [number, number];
  counts: ArrayLike<number>;
  /** Upper end of the colour scale (e.g. the layer's hidden units). */
  max: number;
}

/**
 * Heat maps of surviving first-layer connections per input pixel: one panel per (row, level),
 * rows stacked. Panels are compared with each other, so they share one colour scale, from 0 to the
 * largest `max` of any panel, with one legend: the same colour is the same count everywhere.
 */
export function heatmapSpec(
  panels: readonly HeatmapPanel[],
  text: ChartText,
  legendTitle: string,
): TopLevelSpec {
  const rows = [...new Set(panels.map((p) => p.row))];
  const top = Math.max(1, ...panels.map((p) => p.max));
  const cell = (p: HeatmapPanel) => {
    const [h, w] = p.imageShape;
    const values: { x: number; y: number; count: number }[] = [];
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) values.push({ x, y, count: p.counts[y * w + x] });
    const px = Math.max(3, Math.floor(168 / Math.max(h, w)));
    return {
      title: { text: p.title, fontSize: 12, fontWeight: 'normal', anchor: 'middle', lineHeight: 15 },
      width: w * px,
      height: h * px,
      data: { values },
      mark: { type: 'rect' },
      encoding: {
        x: { field: 'x', type: 'ordinal', axis: null, scale: { paddingInner: 0, paddingOuter: 0 } },
        y: { field: 'y', type: 'ordinal', axis: null, scale: { paddingInner: 0, paddingOuter: 0 } },
        color: {
          field: 'count',
          type: 'quantitative',
          title: legendTitle,
          scale: { scheme: 'viridis', domain: [0, top] },
          legend: { orient: 'bottom', direction: 'horizontal', gradientLength: 320, titleLimit: 480 },
        },
      },
    };
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: titleOf(text),
    config: { ...CHART_CONFIG, view: { stroke: null } },
    vconcat: rows.map((r) => ({
      hconcat: panels.filter((p) => p.row === r).map(cell),
      resolve: { scale: { color: 'shared' }, legend: { color: 'shared' } },
    })),
    resolve: { scale: { color: 'shared' }, legend: { color: 'shared' } },
  } as TopLevelSpec;
}
