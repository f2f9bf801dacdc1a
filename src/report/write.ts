/**
 * writeReport: figures (SVG + PNG), tables (Markdown + CSV) and one page (index.html or index.md)
 * for one or more finished runs. build.ts decides what the report holds; this module draws the
 * figures and writes the files.
 *
 *   <out>/index.html | index.md
 *   <out>/figures/<experiment>-<figure>.svg, .png
 *   <out>/tables/levels.csv, levels.md                  (every experiment, one row per condition × level)
 *   <out>/tables/<experiment>-sparsity.csv, .md
 *   <out>/tables/<experiment>-paper.csv, .md            (when the paper reports on the model)
 *   <out>/tables/<experiment>-heatmap-level-<LL>.csv    (surviving connections per input pixel)
 */
import { join, relative } from 'node:path';
import { writeFileAtomic } from '../store/index.js';
import { buildReportModel } from './build.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import { diskMasks } from './masks.js';
import {
  isHeatmapTable,
  type Figure,
  type NamedTable,
  type ReportModel,
  type ReportOptions,
} from './model.js';
import type { RunSummary } from './schema.js';
import { writeStaged } from './staging.js';
import { renderSvg, svgToPng } from './svg.js';
import { toCsv, toMarkdown } from './tables.js';

export interface ReportResult {
  outDir: string;
  /** Absolute path of index.html or index.md. */
  index: string;
  /** Absolute paths of every file written. */
  files: string[];
  model: ReportModel;
}

class Writer {
  readonly files: string[] = [];
  constructor(readonly outDir: string) {}
  write(rel: string, data: string | Uint8Array): string {
    const path = join(this.outDir, rel);
    writeFileAtomic(path, data);
    this.files.push(path);
    return path;
  }
}

/** Draws a chart figure (keeping its SVG in the model, for inlining) and writes its files. */
async function writeFigure(w: Writer, f: Figure, pngScale: number): Promise<void> {
  if (f.spec) {
    f.svgText = await renderSvg(f.spec);
    w.write(f.svg!, f.svgText);
    w.write(f.png, svgToPng(f.svgText, pngScale));
  } else if (f.pngBytes) {
    w.write(f.png, f.pngBytes);
  }
}

function writeTable(w: Writer, t: NamedTable): void {
  if (t.md) w.write(t.md, `${toMarkdown(t.table)}\n`);
  if (t.csv) w.write(t.csv, toCsv(t.csvTable ?? t.table));
}

/**
 * Draws the model's figures and writes every file into `outDir`; returns the absolute paths written
 * and the page's. Figures are drawn in page order (Vega numbers clip paths with a counter global to
 * the process, so the order fixes the SVG bytes), and files are written in the order reports always
 * were: per experiment its charts, the mask heat maps' count tables, its mask pictures, its other
 * tables; then the level table, the combined figures and the page.
 */
export async function writeReportFiles(
  model: ReportModel,
  outDir: string,
  opts: Pick<ReportOptions, 'format' | 'pngScale'>,
): Promise<{ index: string; files: string[] }> {
  const w = new Writer(outDir);
  const pngScale = opts.pngScale ?? 2;
  for (const e of model.experiments) {
    for (const f of e.figures.filter((x) => x.group === 'chart')) await writeFigure(w, f, pngScale);
    for (const t of e.tables.filter(isHeatmapTable)) writeTable(w, t);
    for (const f of e.figures.filter((x) => x.group === 'mask')) await writeFigure(w, f, pngScale);
    for (const t of e.tables.filter((x) => !isHeatmapTable(x))) writeTable(w, t);
  }
  writeTable(w, model.levelTable);
  for (const f of model.combinedFigures) await writeFigure(w, f, pngScale);
  const index =
    opts.format === 'html'
      ? w.write('index.html', renderHtml(model))
      : w.write('index.md', renderMarkdown(model));
  return { index, files: w.files };
}

/**
 * Writes the report for `summaries` (one experiment each) into `outDir` and returns what it wrote:
 * all of it or, on failure, nothing (see staging.ts).
 * Mask pictures are read from each summary's `dir`.
 */
export async function writeReport(
  summaries: readonly RunSummary[],
  outDir: string,
  opts: ReportOptions,
): Promise<ReportResult> {
  if (summaries.length === 0) throw new RangeError('writeReport needs at least one run summary');
  const model = buildReportModel(summaries, opts, {
    masks: diskMasks,
    generatedAt: new Date().toISOString(),
  });
  // written beside outDir first, so a failure (a full disk, say) leaves no half-written report
  const { index, files } = await writeStaged(
    outDir,
    (dir) => writeReportFiles(model, dir, opts),
    (r, move) => ({ index: move(r.index), files: r.files.map(move) }),
  );
  return { outDir, index, files, model };
}

/** Paths in a report, relative to its directory (for messages). */
export function describeFiles(result: ReportResult): string[] {
  return result.files.map((f) => relative(result.outDir, f));
}
