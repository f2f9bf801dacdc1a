/**
 * The report as one self-contained HTML page: figures inlined as SVG (PNG-only mask grids as data
 * URIs), tables, hyperparameters, machine and wall time, and labels for quick-scale runs and
 * stand-in datasets. No scripts, no external resources.
 */
import { trainedByItsRun } from '../lottery/summary.js';
import { costTable } from './cost-table.js';
import { formatPercentRemaining } from './paper.js';
import {
  configTable,
  escapeHtml,
  formatDuration,
  levelTable,
  machineTable,
  toHtml,
  type Table,
} from './tables.js';
import { isHeatmapTable, type ExperimentReport, type Figure, type ReportModel } from './model.js';
import { prefixSvgIds } from './svg.js';

const CSS = `
:root { color-scheme: light; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: #222; margin: 0; background: #fafafa; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 32px 64px; background: #fff; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 21px; margin: 40px 0 8px; padding-top: 12px; border-top: 2px solid #ddd; }
h3 { font-size: 17px; margin: 28px 0 8px; }
.meta { color: #666; font-size: 13px; }
.banner { border-left: 5px solid #c77700; background: #fff4e0; padding: 8px 12px; margin: 8px 0; font-weight: 600; }
.banner.standin { border-color: #8a3ffc; background: #f3ecff; }
dl.overview { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; }
dl.overview dt { color: #555; }
dl.overview dd { margin: 0; }
table { border-collapse: collapse; margin: 8px 0 4px; font-size: 13px; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.scroll { overflow-x: auto; }
figure { margin: 16px 0 24px; }
figure svg, figure img { max-width: 100%; height: auto; }
figcaption { color: #444; font-size: 13px; max-width: 900px; }
figcaption a, .files a { color: #0b63c5; }
.notes { color: #555; font-size: 13px; margin: 4px 0; }
.grids { display: flex; flex-wrap: wrap; gap: 16px; }
.grids figure { flex: 0 1 auto; max-width: 360px; }
code { font-size: 13px; }
nav ul { margin: 4px 0; }
`;

function banners(warnings: readonly string[]): string {
  return warnings
    .map((w) => `<div class="banner${w.startsWith('STAND-IN') ? ' standin' : ''}">${escapeHtml(w)}</div>`)
    .join('\n');
}

let figureCounter = 0;

function figureHtml(f: Figure): string {
  const links = [
    f.svg ? `<a href="${escapeHtml(f.svg)}">SVG</a>` : '',
    `<a href="${escapeHtml(f.png)}">PNG</a>`,
  ]
    .filter(Boolean)
    .join(' · ');
  let body: string;
  if (f.svgText) {
    body = prefixSvgIds(f.svgText, `f${++figureCounter}-`).replace(
      /^<svg /,
      `<svg role="img" aria-label="${escapeHtml(f.title)}" `,
    );
  } else if (f.pngBytes) {
    const [w, h] = f.size ?? [0, 0];
    body = `<img alt="${escapeHtml(f.title)}" width="${w}" height="${h}" src="data:image/png;base64,${f.pngBytes.toString('base64')}">`;
  } else {
    body = `<img alt="${escapeHtml(f.title)}" src="${escapeHtml(f.png)}">`;
  }
  return `<figure id="${escapeHtml(f.id)}">\n${body}\n<figcaption><strong>${escapeHtml(f.title)}.</strong> ${escapeHtml(
    f.caption,
  )} <span class="files">(${links})</span></figcaption>\n</figure>`;
}

function tableBlock(t: Table, files?: { csv?: string; md?: string }, notes?: readonly string[]): string {
  const links = [
    files?.csv ? `<a href="${escapeHtml(files.csv)}">CSV</a>` : '',
    files?.md ? `<a href="${escapeHtml(files.md)}">Markdown</a>` : '',
  ]
    .filter(Boolean)
    .join(' · ');
  const noteHtml = (notes ?? []).map((n) => `<p class="notes">${escapeHtml(n)}</p>`).join('\n');
  return `<div class="scroll">${toHtml(t)}</div>\n${noteHtml}${links ? `\n<p class="notes files">${links}</p>` : ''}`;
}

function overview(e: ExperimentReport): string {
  const s = e.summary;
  const trials = new Set(s.results.map((r) => r.trial)).size;
  const percents = e.aggs.map((a) => a.percentRemaining);
  const levels = new Set(s.results.map((r) => r.level)).size;
  const conditions = [...new Set(e.aggs.map((a) => a.condition))];
  const iters = [...new Set(s.results.map((r) => r.iterations))];
  const rows: [string, string][] = [
    ['model', s.model],
    ['dataset', e.labels.standIn ? `${s.dataset} (stand-in: ${e.labels.standIn})` : s.dataset],
    ['scale', e.labels.scale ?? 'not recorded'],
    ['trials', String(trials)],
    [
      'levels',
      percents.length
        ? `${levels} (${formatPercentRemaining(Math.max(...percents))} to ${formatPercentRemaining(Math.min(...percents))} of weights remaining)`
        : '0',
    ],
    ['conditions', conditions.join(', ')],
    ['iterations per level', iters.join(', ')],
    ['wall time', `${formatDuration(s.wallSeconds)} (${s.wallSeconds.toFixed(1)} s)`],
    ['machine', `${s.machine.cpuModel}, ${s.machine.cpus} CPUs, ${s.machine.memoryGB.toFixed(1)} GB`],
    ['created', s.createdAt],
    ['run', `${s.name}-${s.hash}`],
    ['directory', s.dir],
  ];
  return `<dl class="overview">\n${rows
    .map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`)
    .join('\n')}\n</dl>`;
}

function experimentSection(e: ExperimentReport, model: ReportModel): string {
  const s = e.summary;
  const parts: string[] = [];
  const anchor = `exp-${e.labels.slug}`;
  parts.push(`<section id="${escapeHtml(anchor)}">`);
  parts.push(`<h2>${escapeHtml(e.labels.label)}: ${escapeHtml(s.model)} on ${escapeHtml(s.dataset)}</h2>`);
  parts.push(banners(e.labels.warnings));
  parts.push(overview(e));

  const paper = e.tables.find((t) => t.id === `${e.labels.slug}-paper`);
  parts.push('<h3>Comparison with the paper</h3>');
  if (paper && e.reference) {
    parts.push(`<p class="notes">${escapeHtml(e.reference.citation)}.</p>`);
    parts.push(tableBlock(paper.table, paper, paper.notes));
  } else {
    parts.push(
      `<p class="notes">${escapeHtml(e.comparisonNotes.join(' ') || 'No comparison with the paper was requested.')}</p>`,
    );
  }

  const charts = e.figures.filter((f) => f.group === 'chart');
  parts.push('<h3>Figures</h3>');
  parts.push(charts.length ? charts.map(figureHtml).join('\n') : '<p class="notes">No results to plot.</p>');

  parts.push('<h3>Results per level</h3>');
  parts.push(
    tableBlock(
      levelTable([{ label: e.labels.label, aggs: e.aggs }]),
      { csv: model.levelTable.csv, md: model.levelTable.md },
      model.levelTable.notes,
    ),
  );

  const sparsity = e.tables.find((t) => t.id === `${e.labels.slug}-sparsity`);
  parts.push('<h3>Per-layer sparsity</h3>');
  parts.push(
    sparsity
      ? tableBlock(sparsity.table, sparsity, sparsity.notes)
      : '<p class="notes">The run recorded no per-layer sparsity.</p>',
  );

  const cost = costTable(e.summary);
  if (cost) parts.push('<h3>Cost per level (ShrinkBench definitions)</h3>', tableBlock(cost));

  parts.push('<h3>Mask pictures</h3>');
  const masks = e.figures.filter((f) => f.group === 'mask');
  if (masks.length) {
    const heat = masks.filter((f) => f.svgText);
    const grids = masks.filter((f) => !f.svgText);
    parts.push(heat.map(figureHtml).join('\n'));
    if (grids.length) parts.push(`<div class="grids">\n${grids.map(figureHtml).join('\n')}\n</div>`);
    const heatTables = e.tables.filter(isHeatmapTable);
    if (heatTables.length) {
      parts.push(
        `<p class="notes files">Per-pixel counts: ${heatTables
          .map((t) => `<a href="${escapeHtml(t.csv!)}">${escapeHtml(t.id)}.csv</a>`)
          .join(' · ')}</p>`,
      );
    }
  } else {
    parts.push(`<p class="notes">${escapeHtml(e.maskNote ?? 'Mask pictures were not requested.')}</p>`);
  }

  parts.push('<h3>Hyperparameters</h3>');
  parts.push(tableBlock(configTable(s.config)));

  parts.push('<h3>Machine and wall time</h3>');
  const m = machineTable(s.machine);
  m.rows.push(['wall time (whole run)', `${formatDuration(s.wallSeconds)} (${s.wallSeconds.toFixed(1)} s)`]);
  // a level 0 copied from another run was trained (and is counted) there
  const trained = s.results.filter(trainedByItsRun);
  const perUnit = trained.reduce((a, r) => a + r.wallSeconds, 0);
  m.rows.push([
    'wall time (sum of trained levels)',
    `${formatDuration(perUnit)} over ${trained.length} trainings`,
  ]);
  parts.push(tableBlock(m));
  parts.push('</section>');
  return parts.join('\n');
}

export function renderHtml(model: ReportModel): string {
  figureCounter = 0;
  const allWarnings = [
    ...new Set(
      model.experiments.flatMap((e) =>
        e.labels.warnings.map((w) => (model.experiments.length > 1 ? `${e.labels.label}: ${w}` : w)),
      ),
    ),
  ];
  const nav =
    model.experiments.length > 1
      ? `<nav><ul>\n<li><a href="#all">All experiments</a></li>\n${model.experiments
          .map(
            (e) =>
              `<li><a href="#exp-${escapeHtml(e.labels.slug)}">${escapeHtml(e.labels.label)}</a> (${escapeHtml(e.summary.model)} on ${escapeHtml(e.summary.dataset)})</li>`,
          )
          .join('\n')}\n</ul></nav>`
      : '';
  const combined =
    model.combinedFigures.length > 0
      ? `<section id="all">\n<h2>All experiments</h2>\n${model.combinedFigures.map(figureHtml).join('\n')}\n</section>`
      : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="ticketlab report">
<title>${escapeHtml(model.title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header>
<h1>${escapeHtml(model.title)}</h1>
<p class="meta">Generated ${escapeHtml(model.generatedAt)} by <code>ticketlab report</code>. Lottery-ticket experiments after Frankle &amp; Carbin, ICLR 2019.</p>
${banners(allWarnings)}
</header>
${nav}
${combined}
${model.experiments.map((e) => experimentSection(e, model)).join('\n')}
</main>
</body>
</html>
`;
}
