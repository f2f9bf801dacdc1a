/**
 * The report as data: what build.ts computes from run summaries (figures as chart specs, tables,
 * notes, the relative paths every file will have) and what write.ts, html.ts and markdown.ts turn
 * into files. Types and the file-naming conventions only, so every stage can depend on it without
 * depending on the others.
 */
import type { TopLevelSpec } from './charts.js';
import type { RunLabels } from './labels.js';
import type { ComparisonRow, PaperReference } from './paper.js';
import type { RunSummary } from './schema.js';
import type { LevelAggregate } from './stats.js';
import type { Table } from './tables.js';

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
  /**
   * Iterations at which to show test accuracy versus weights remaining (a figure and a table);
   * default: the run's preset's (the deep presets: the paper's Figures 7 and 8), else none.
   */
  accuracyAt?: number[];
  /** PNG pixels per SVG pixel (default 2). */
  pngScale?: number;
  /** Smooth training curves: exponential-moving-average weight in [0, 1) (default 0, none). */
  smoothing?: number;
  /** Add the desired-vs-actual prune ratio table per level, counted from the mask files. */
  pruneRatios?: boolean;
}

export interface Figure {
  id: string;
  title: string;
  caption: string;
  /** Paths relative to the report directory. */
  svg?: string;
  png: string;
  /** The chart, for figures drawn as SVG (and rasterized to PNG). */
  spec?: TopLevelSpec;
  /** The SVG markup (for inlining), once the figure is drawn. */
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
  /** Relative paths of the table's files. */
  csv?: string;
  md?: string;
  /** What the CSV file holds when it is not `table` (e.g. the long form of a wide table). */
  csvTable?: Table;
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

/** The per-pixel count tables behind a mask heat map (CSV only). */
export function isHeatmapTable(t: NamedTable): boolean {
  return t.id.includes('-heatmap-');
}

/** Where a figure's and a table's files go, relative to the report directory. */
export const figurePath = (id: string, ext: 'svg' | 'png') => `figures/${id}.${ext}`;
export const tablePath = (id: string, ext: 'csv' | 'md') => `tables/${id}.${ext}`;
