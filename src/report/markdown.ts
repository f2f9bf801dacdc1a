/**
 * The report as Markdown (index.md): the same sections as the HTML page, with figures as PNG
 * images linking to their SVGs and tables inline.
 */
import { formatPercentRemaining } from './paper.js';
import { costTable } from './cost-table.js';
import { configTable, formatDuration, levelTable, machineTable, toMarkdown, type Table } from './tables.js';
import type { ExperimentReport, Figure, ReportModel } from './model.js';

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function banners(warnings: readonly string[]): string[] {
  return warnings.map((w) => `> **${oneLine(w)}**`);
}

function figureMd(f: Figure): string {
  const img = `![${oneLine(f.title)}](${f.png})`;
  const links = f.svg ? ` ([SVG](${f.svg}) · [PNG](${f.png}))` : ` ([PNG](${f.png}))`;
  return `${img}\n\n*${oneLine(f.title)}.* ${oneLine(f.caption)}${links}`;
}

function tableMd(t: Table, files?: { csv?: string; md?: string }, notes?: readonly string[]): string {
  const out = [toMarkdown(t)];
  for (const n of notes ?? []) out.push('', `*${oneLine(n)}*`);
  if (files?.csv) out.push('', `[CSV](${files.csv})`);
  return out.join('\n');
}

function experimentMd(e: ExperimentReport, model: ReportModel): string {
  const s = e.summary;
  const out: string[] = [];
  out.push(`## ${e.labels.label}: ${s.model} on ${s.dataset}`, '');
  if (e.labels.warnings.length) out.push(...banners(e.labels.warnings), '');
  const trials = new Set(s.results.map((r) => r.trial)).size;
  const percents = e.aggs.map((a) => a.percentRemaining);
  out.push(
    `- model: ${s.model}`,
    `- dataset: ${e.labels.standIn ? `${s.dataset} (stand-in: ${e.labels.standIn})` : s.dataset}`,
    `- scale: ${e.labels.scale ?? 'not recorded'}`,
    `- trials: ${trials}`,
    `- levels: ${new Set(s.results.map((r) => r.level)).size}` +
      (percents.length
        ? ` (${formatPercentRemaining(Math.max(...percents))} to ${formatPercentRemaining(Math.min(...percents))} remaining)`
        : ''),
    `- conditions: ${[...new Set(e.aggs.map((a) => a.condition))].join(', ')}`,
    `- wall time: ${formatDuration(s.wallSeconds)} (${s.wallSeconds.toFixed(1)} s)`,
    `- run: \`${s.name}-${s.hash}\`, created ${s.createdAt}`,
    `- directory: \`${s.dir}\``,
    '',
  );

  out.push('### Comparison with the paper', '');
  const paper = e.tables.find((t) => t.id === `${e.labels.slug}-paper`);
  if (paper && e.reference)
    out.push(`${e.reference.citation}.`, '', tableMd(paper.table, paper, paper.notes), '');
  else out.push(e.comparisonNotes.join(' ') || 'No comparison with the paper was requested.', '');

  out.push('### Figures', '');
  const charts = e.figures.filter((f) => f.group === 'chart');
  if (charts.length) for (const f of charts) out.push(figureMd(f), '');
  else out.push('No results to plot.', '');

  out.push('### Results per level', '');
  out.push(
    tableMd(
      levelTable([{ label: e.labels.label, aggs: e.aggs }]),
      { csv: model.levelTable.csv },
      model.levelTable.notes,
    ),
    '',
  );

  out.push('### Per-layer sparsity', '');
  const sp = e.tables.find((t) => t.id === `${e.labels.slug}-sparsity`);
  out.push(sp ? tableMd(sp.table, sp, sp.notes) : 'The run recorded no per-layer sparsity.', '');

  const cost = costTable(s);
  if (cost) out.push('### Cost per level (ShrinkBench definitions)', '', tableMd(cost), '');

  out.push('### Mask pictures', '');
  const masks = e.figures.filter((f) => f.group === 'mask');
  if (masks.length) for (const f of masks) out.push(figureMd(f), '');
  else out.push(e.maskNote ?? 'Mask pictures were not requested.', '');

  out.push('### Hyperparameters', '', toMarkdown(configTable(s.config)), '');
  out.push('### Machine and wall time', '');
  const m = machineTable(s.machine);
  m.rows.push(['wall time (whole run)', `${formatDuration(s.wallSeconds)} (${s.wallSeconds.toFixed(1)} s)`]);
  out.push(toMarkdown(m), '');
  return out.join('\n');
}

export function renderMarkdown(model: ReportModel): string {
  const out: string[] = [
    `# ${model.title}`,
    '',
    `Generated ${model.generatedAt} by \`ticketlab report\`.`,
    '',
  ];
  const warnings = [
    ...new Set(
      model.experiments.flatMap((e) =>
        e.labels.warnings.map((w) => (model.experiments.length > 1 ? `${e.labels.label}: ${w}` : w)),
      ),
    ),
  ];
  if (warnings.length) out.push(...banners(warnings), '');
  if (model.combinedFigures.length) {
    out.push('## All experiments', '');
    for (const f of model.combinedFigures) out.push(figureMd(f), '');
  }
  for (const e of model.experiments) out.push(experimentMd(e, model));
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}
