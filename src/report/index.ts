/** Reports: figures (SVG + PNG), tables (Markdown + CSV) and an HTML or Markdown page per run set. */
export {
  evalPointSchema,
  layerSparsitySchema,
  levelResultSchema,
  machineSchema,
  parseRunSummary,
  readRunSummary,
  runSummarySchema,
  SUMMARY_FILE,
} from './schema.js';
export type { EvalPoint, LayerSparsity, LevelResult, Machine, RunSummary } from './schema.js';
export { aggregateCurve, aggregateLevels, conditionsOf, denseBaseline, nearestLevel, stat } from './stats.js';
export type { CurvePoint, LevelAggregate, Stat } from './stats.js';
export {
  compareWithPaper,
  formatPercentRemaining,
  PAPER_REFERENCES,
  paperReferenceById,
  paperReferenceFor,
} from './paper.js';
export type { ClaimMetric, ComparisonRow, PaperClaim, PaperReference } from './paper.js';
export {
  findMasks,
  imageShapeFor,
  loadFirstLayerMask,
  diskMasks,
  MASK_FILE,
  maskGridPng,
  maskHeatmap,
  sampleUnits,
  unitMaskImage,
} from './masks.js';
export type { LayerMask, MaskFile, MaskGrid, MaskGridOptions, MaskReader } from './masks.js';
export { curvesSpec, heatmapSpec, levelMetricSpec } from './charts.js';
export { prefixSvgIds, renderSvg, svgToPng } from './svg.js';
export { comparisonTable, levelTable, sparsityTables, toCsv, toHtml, toMarkdown } from './tables.js';
export type { Table } from './tables.js';
export { buildReportModel, censoredNote, type BuildContext } from './build.js';
export type { ExperimentReport, Figure, NamedTable, ReportModel, ReportOptions } from './model.js';
export { renderHtml } from './html.js';
export { renderMarkdown } from './markdown.js';
export { describeFiles, writeReport, writeReportFiles } from './write.js';
export type { ReportResult } from './write.js';
