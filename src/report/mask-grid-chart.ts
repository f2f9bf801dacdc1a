/**
 * The per-unit mask grid as a Vega-Lite figure: the grid picture (a PNG made by masks.ts) inside a
 * chart that gives it a title, axes and a legend, so it can be read without the page around it.
 */
import { CHART_CONFIG, titleOf, type ChartText, type TopLevelSpec } from './charts.js';

/** A grid of per-unit mask images (a PNG made by maskGridPng), and what its axes and legend say. */
export interface MaskGridChart {
  png: Buffer;
  width: number;
  height: number;
  columns: number;
  rows: number;
  /** Unit index of each tile, in tile order (row by row). */
  units: readonly number[];
  /** Tile size in screen pixels and the gap between tiles. */
  tile: readonly [number, number];
  gap: number;
  /** Colours (CSS) and labels of kept and pruned connections. */
  kept: string;
  pruned: string;
}

/**
 * The per-unit mask grid as a figure of its own: the picture with a title, axes naming the hidden
 * unit of each row and column, and a legend of the two colours.
 */
export function maskGridSpec(g: MaskGridChart, text: ChartText): TopLevelSpec {
  const [tw, th] = g.tile;
  const centers = (n: number, size: number) =>
    Array.from({ length: n }, (_, i) => g.gap + i * (size + g.gap) + size / 2);
  const rowLabels = Array.from({ length: g.rows }, (_, r) => {
    const row = g.units.slice(r * g.columns, (r + 1) * g.columns);
    return row.length === 1 ? `'unit ${row[0]}'` : `'units ${row[0]}–${row[row.length - 1]}'`;
  });
  const cell = (size: number) => `floor((datum.value - ${g.gap}) / ${size + g.gap})`;
  const states = ['kept: the unit still sees this input pixel', 'pruned'];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: titleOf(text),
    config: { ...CHART_CONFIG, view: { stroke: null } },
    width: g.width,
    height: g.height,
    layer: [
      {
        data: { values: [{ x: 0, y: 0, url: `data:image/png;base64,${g.png.toString('base64')}` }] },
        mark: {
          type: 'image',
          width: g.width,
          height: g.height,
          align: 'left',
          baseline: 'top',
          aspect: false,
        },
        encoding: {
          x: {
            field: 'x',
            type: 'quantitative',
            scale: { domain: [0, g.width], nice: false, zero: true },
            axis: {
              title: 'column: units of the row, left to right (one input image each)',
              values: centers(g.columns, tw),
              labelExpr: `format(${cell(tw)} + 1, 'd')`,
              grid: false,
              domain: false,
            },
          },
          y: {
            field: 'y',
            type: 'quantitative',
            scale: { domain: [0, g.height], nice: false, zero: true, reverse: true },
            axis: {
              title: 'row: hidden units',
              values: centers(g.rows, th),
              labelExpr: `[${rowLabels.join(', ')}][${cell(th)}]`,
              grid: false,
              domain: false,
            },
          },
          url: { field: 'url', type: 'nominal' },
        },
      },
      {
        data: { values: states.map((state) => ({ state })) },
        mark: { type: 'square', opacity: 0 },
        encoding: {
          color: {
            field: 'state',
            type: 'nominal',
            title: 'first-layer connection',
            sort: states,
            scale: { domain: states, range: [g.kept, g.pruned] },
            legend: {
              orient: 'bottom',
              symbolOpacity: 1,
              symbolStrokeColor: '#888',
              symbolStrokeWidth: 1,
              labelLimit: 400,
            },
          },
        },
      },
    ],
  } as TopLevelSpec;
}
