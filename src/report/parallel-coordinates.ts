/**
 * A parallel-coordinates plot as Vega-Lite: one vertical axis per dimension (categories spread evenly,
 * numbers scaled from their minimum to their maximum), one line per item across them, coloured by
 * the last dimension (the metric). Positions are computed here, so the chart is a pure function of
 * the rows and tests can read where each line crosses each axis.
 */
import { CHART_CONFIG, type ChartText, type TopLevelSpec, titleOf } from './charts.js';

export interface Dimension {
  /** Field of the items and axis title. */
  field: string;
  title: string;
  /** Category order for categorical dimensions; numeric when absent. */
  categories?: string[];
  /** Tick label format for numbers: percent shows 0.97 as 97%. */
  format?: 'percent' | 'number';
}

export interface AxisPoint {
  line: number;
  axis: string;
  /** Position on the axis in [0, 1]. */
  y: number;
  /** The metric of the line (colour). */
  color: number;
}

const label = (d: Dimension, v: number) =>
  d.format === 'percent' ? `${Number((100 * v).toFixed(2))}%` : String(Number(v.toPrecision(4)));

/** Where each item crosses each axis, and each axis's tick labels. */
export function parallelPoints(
  items: readonly Record<string, number | string>[],
  dims: readonly Dimension[],
): { points: AxisPoint[]; ticks: { axis: string; y: number; text: string }[] } {
  const metric = dims[dims.length - 1].field;
  const scales = dims.map((d) => {
    if (d.categories) {
      const n = d.categories.length;
      const pos = (v: number | string) => (n === 1 ? 0.5 : d.categories!.indexOf(String(v)) / (n - 1));
      return { pos, ticks: d.categories.map((c) => ({ y: pos(c), text: c })) };
    }
    const values = items.map((i) => Number(i[d.field]));
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    const pos = (v: number | string) => (hi === lo ? 0.5 : (Number(v) - lo) / (hi - lo));
    const distinct = [...new Set(values)].sort((a, b) => a - b);
    const shown = distinct.length <= 8 ? distinct : [lo, (lo + hi) / 2, hi];
    return { pos, ticks: shown.map((v) => ({ y: pos(v), text: label(d, v) })) };
  });
  const points = items.flatMap((item, line) =>
    dims.map((d, k) => ({
      line,
      axis: d.title,
      y: scales[k].pos(item[d.field]),
      color: Number(item[metric]),
    })),
  );
  const ticks = dims.flatMap((d, k) => scales[k].ticks.map((t) => ({ axis: d.title, ...t })));
  return { points, ticks };
}

export function parallelCoordinatesSpec(
  items: readonly Record<string, number | string>[],
  dims: readonly Dimension[],
  text: ChartText,
  opts: { colorTitle: string; colorFormat?: string },
): TopLevelSpec {
  const { points, ticks } = parallelPoints(items, dims);
  const order = dims.map((d) => d.title);
  const x = {
    field: 'axis',
    type: 'nominal',
    sort: order,
    scale: { type: 'point', padding: 0.3 },
    title: null,
  };
  const y = { type: 'quantitative', scale: { domain: [0, 1] }, axis: null } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: titleOf(text),
    config: CHART_CONFIG,
    width: 130 * dims.length,
    height: 320,
    layer: [
      {
        data: { values: order.map((axis) => ({ axis, y0: 0, y1: 1 })) },
        mark: { type: 'rule', color: '#888' },
        encoding: {
          x: { ...x, axis: { labelAngle: 0, orient: 'top' } },
          y: { ...y, field: 'y0' },
          y2: { field: 'y1' },
        },
      },
      {
        data: { values: points },
        mark: { type: 'line', strokeWidth: 1.2, opacity: 0.7 },
        encoding: {
          x,
          y: { ...y, field: 'y' },
          detail: { field: 'line', type: 'nominal' },
          color: {
            field: 'color',
            type: 'quantitative',
            title: opts.colorTitle,
            scale: { scheme: 'viridis' },
            ...(opts.colorFormat ? { legend: { format: opts.colorFormat } } : {}),
          },
        },
      },
      {
        data: { values: ticks },
        mark: { type: 'text', align: 'right', dx: -5, fontSize: 10, color: '#333' },
        encoding: { x, y: { ...y, field: 'y' }, text: { field: 'text' } },
      },
    ],
  } as unknown as TopLevelSpec;
}
