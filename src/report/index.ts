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
  MASK_FILE,
  maskGridPng,
  maskHeatmap,
  sampleUnits,
  unitMaskImage,
} from './masks.js';
export type { LayerMask, MaskFile, MaskGrid, MaskGridOptions } from './masks.js';
export { curvesSpec, heatmapSpec, levelMetricSpec, prefixSvgIds, renderSvg, svgToPng } from './charts.js';
export { comparisonTable, levelTable, sparsityTables, toCsv, toHtml, toMarkdown } from './tables.js';
export type { Table } from './tables.js';
export { describeFiles, writeReport } from './write.js';
export type { ReportOptions, ReportResult } from './write.js';
