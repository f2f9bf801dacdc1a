/**
 * Tables with raw values (for CSV) and display formats (for Markdown and HTML), and the report's
 * tables: per level × condition, per-layer sparsity, the paper comparison, hyperparameters.
 */
import { formatPercentRemaining, type ComparisonRow } from './paper.js';
import type { LayerSparsity, Machine, RunSummary } from './schema.js';
import { conditionsOf, type LevelAggregate, type Stat } from './stats.js';

export type Cell = string | number | null;

export interface Column {
  title: string;
  /** Header in CSV files (default: title). */
  csv?: string;
  /** Only in CSV (extra precision or detail), not in Markdown and HTML. */
  csvOnly?: boolean;
  /** Not in Markdown and HTML (e.g. the experiment column of a one-experiment table). */
  hideInDisplay?: boolean;
  align?: 'left' | 'right';
  /** Display format for Markdown and HTML; CSV always gets the raw value. */
  format?: (value: Cell) => string;
}

export interface Table {
  columns: Column[];
  rows: Cell[][];
}

function display(col: Column, v: Cell): string {
  if (v === null || (typeof v === 'number' && Number.isNaN(v))) return '—';
  if (col.format) return col.format(v);
  return typeof v === 'number' ? String(v) : v;
}

function escapeMarkdownCell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** The table as shown in Markdown and HTML: without CSV-only and hidden columns. */
export function displayed(table: Table): Table {
  const keep = table.columns.map((c) => !c.csvOnly && !c.hideInDisplay);
  return {
    columns: table.columns.filter((_, i) => keep[i]),
    rows: table.rows.map((r) => r.filter((_, i) => keep[i])),
  };
}

/** GitHub-flavoured Markdown. */
export function toMarkdown(full: Table): string {
  const table = displayed(full);
  const head = `| ${table.columns.map((c) => escapeMarkdownCell(c.title)).join(' | ')} |`;
  const rule = `|${table.columns.map((c) => (c.align === 'right' ? ' ---: ' : ' --- ')).join('|')}|`;
  const body = table.rows.map(
    (r) => `| ${table.columns.map((c, i) => escapeMarkdownCell(display(c, r[i] ?? null))).join(' | ')} |`,
  );
  return [head, rule, ...body].join('\n');
}

function csvField(v: Cell): string {
  if (v === null) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  return /[",\r\n]/.test(v) || /^\s|\s$/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** RFC 4180 CSV (CRLF line ends, header row), raw values at full precision. */
export function toCsv(table: Table): string {
  const lines = [
    table.columns.map((c) => csvField(c.csv ?? c.title)),
    ...table.rows.map((r) => r.map(csvField)),
  ];
  return lines.map((l) => l.join(',')).join('\r\n') + '\r\n';
}

export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export function toHtml(full: Table, className = 'data'): string {
  const table = displayed(full);
  const th = table.columns
    .map((c) => `<th${c.align === 'right' ? ' class="num"' : ''}>${escapeHtml(c.title)}</th>`)
    .join('');
  const rows = table.rows
    .map(
      (r) =>
        `<tr>${table.columns
          .map(
            (c, i) =>
              `<td${c.align === 'right' ? ' class="num"' : ''}>${escapeHtml(display(c, r[i] ?? null))}</td>`,
          )
          .join('')}</tr>`,
    )
    .join('\n');
  return `<table class="${className}">\n<thead><tr>${th}</tr></thead>\n<tbody>\n${rows}\n</tbody>\n</table>`;
}

const pct = (v: Cell) => (typeof v === 'number' ? formatPercentRemaining(v) : String(v));
const fixed = (d: number) => (v: Cell) => (typeof v === 'number' ? v.toFixed(d) : String(v));
const int = (v: Cell) => (typeof v === 'number' ? Math.round(v).toLocaleString('en-US') : String(v));
const num = (title: string, format: Column['format'], csv?: string): Column => ({
  title,
  align: 'right',
  format,
  csv,
});
const csvOnly = (csv: string): Column => ({ title: csv, csv, csvOnly: true });

/**
 * One row per (experiment, condition, level): percent remaining, early-stop iteration and test
 * accuracy at early stop (mean, min, max across trials), final test accuracy, train accuracy at
 * early stop (if recorded), trials.
 */
export function levelTable(
  experiments: readonly { label: string; aggs: readonly LevelAggregate[] }[],
): Table {
  const withTrain = experiments.some((e) => e.aggs.some((a) => a.trainAccuracyAtEarlyStop));
  const columns: Column[] = [
    { title: 'experiment', csv: 'experiment', hideInDisplay: experiments.length === 1 },
    { title: 'condition', csv: 'condition' },
    num('level', String, 'level'),
    num('% remaining', pct, 'percent_remaining'),
    num('trials', String, 'trials'),
    num('early-stop iter (mean)', int, 'early_stop_iteration_mean'),
    num('early-stop iter (min)', int, 'early_stop_iteration_min'),
    num('early-stop iter (max)', int, 'early_stop_iteration_max'),
    num('test acc @ES % (mean)', fixed(2), 'test_accuracy_at_early_stop_mean'),
    num('test acc @ES % (min)', fixed(2), 'test_accuracy_at_early_stop_min'),
    num('test acc @ES % (max)', fixed(2), 'test_accuracy_at_early_stop_max'),
    num('final test acc % (mean)', fixed(2), 'final_test_accuracy_mean'),
  ];
  if (withTrain) columns.push(num('train acc @ES % (mean)', fixed(2), 'train_accuracy_at_early_stop_mean'));
  columns.push(
    csvOnly('final_test_accuracy_min'),
    csvOnly('final_test_accuracy_max'),
    csvOnly('validation_loss_at_early_stop_mean'),
    csvOnly('final_train_accuracy_mean'),
    csvOnly('iterations'),
    csvOnly('wall_seconds_mean'),
  );
  const s3 = (s: Stat) => [s.mean, s.min, s.max];
  const rows: Cell[][] = [];
  for (const e of experiments) {
    for (const a of e.aggs) {
      const row: Cell[] = [
        e.label,
        a.condition,
        a.level,
        a.percentRemaining,
        a.trials,
        ...s3(a.earlyStopIteration),
        ...s3(a.testAccuracyAtEarlyStop),
        a.finalTestAccuracy.mean,
      ];
      if (withTrain) row.push(a.trainAccuracyAtEarlyStop?.mean ?? null);
      row.push(
        a.finalTestAccuracy.min,
        a.finalTestAccuracy.max,
        a.validationLossAtEarlyStop.mean,
        a.finalTrainAccuracy?.mean ?? null,
        a.iterations.mean,
        a.wallSeconds.mean,
      );
      rows.push(row);
    }
  }
  return { columns, rows };
}

/** Per-layer kept counts of one (condition, level), averaged over trials. */
interface LevelSparsity {
  level: number;
  conditions: string[];
  percent: number;
  layers: { layer: string; kind: string; total: number; kept: number }[];
}

function sparsityByLevel(summary: RunSummary): LevelSparsity[] {
  const groups = new Map<
    string,
    { level: number; condition: string; fr: number[]; rows: LayerSparsity[][] }
  >();
  for (const r of summary.results) {
    if (r.sparsity.length === 0) continue;
    const key = `${r.level}\u0000${r.condition}`;
    const g = groups.get(key) ?? { level: r.level, condition: r.condition, fr: [], rows: [] };
    g.fr.push(r.fractionRemaining);
    g.rows.push(r.sparsity);
    groups.set(key, g);
  }
  const order = conditionsOf(summary.results);
  const out: LevelSparsity[] = [];
  const sorted = [...groups.values()].sort(
    (a, b) => a.level - b.level || order.indexOf(a.condition) - order.indexOf(b.condition),
  );
  for (const g of sorted) {
    const names = g.rows[0].map((l) => l.layer);
    const layers = names.map((name, i) => {
      const ls = g.rows.map((rows) => rows.find((l) => l.layer === name) ?? rows[i]);
      return {
        layer: name,
        kind: ls[0].kind,
        total: ls[0].total,
        kept: ls.reduce((s, l) => s + l.kept, 0) / ls.length,
      };
    });
    const percent = (g.fr.reduce((s, f) => s + f, 0) / g.fr.length) * 100;
    // conditions with the same per-layer counts at a level (the ticket and its controls) share a row
    const same = out.find(
      (o) =>
        o.level === g.level &&
        o.layers.length === layers.length &&
        o.layers.every((l, i) => l.layer === layers[i].layer && l.kept === layers[i].kept),
    );
    if (same) same.conditions.push(g.condition);
    else out.push({ level: g.level, conditions: [g.condition], percent, layers });
  }
  return out;
}

/**
 * Per-layer sparsity: Markdown/HTML wide (one row per level, a column per layer, "% (kept/total)"),
 * CSV long (one row per level × layer). Conditions with identical counts share a row.
 */
export function sparsityTables(summary: RunSummary): { wide: Table; long: Table } | undefined {
  const levels = sparsityByLevel(summary);
  if (levels.length === 0) return undefined;
  const layerNames: string[] = [];
  const info = new Map<string, { kind: string; total: number }>();
  for (const l of levels)
    for (const x of l.layers) {
      if (!layerNames.includes(x.layer)) layerNames.push(x.layer);
      info.set(x.layer, { kind: x.kind, total: x.total });
    }
  const wide: Table = {
    columns: [
      num('level', String),
      { title: 'conditions' },
      num('% remaining (all prunable)', pct),
      ...layerNames.map((n) =>
        num(`${n} (${info.get(n)!.kind}, ${info.get(n)!.total.toLocaleString('en-US')})`, String),
      ),
    ],
    rows: levels.map((l) => [
      l.level,
      l.conditions.join(', '),
      l.percent,
      ...layerNames.map((n) => {
        const x = l.layers.find((y) => y.layer === n);
        if (!x) return null;
        const p = x.total === 0 ? 100 : (x.kept / x.total) * 100;
        const kept = Number.isInteger(x.kept) ? x.kept.toLocaleString('en-US') : x.kept.toFixed(1);
        return `${formatPercentRemaining(p)} (${kept})`;
      }),
    ]),
  };
  const long: Table = {
    columns: [
      { title: 'level' },
      { title: 'conditions' },
      { title: 'layer' },
      { title: 'kind' },
      { title: 'total' },
      { title: 'kept' },
      { title: 'percent_remaining' },
    ],
    rows: levels.flatMap((l) =>
      l.layers.map((x) => [
        l.level,
        l.conditions.join(' '),
        x.layer,
        x.kind,
        x.total,
        x.kept,
        x.total === 0 ? 100 : (x.kept / x.total) * 100,
      ]),
    ),
  };
  return { wide, long };
}

/** The paper comparison: claim, paper, ours, the levels used, and notes. */
export function comparisonTable(rows: readonly ComparisonRow[]): Table {
  const level = (v: Cell) => (typeof v === 'number' ? formatPercentRemaining(v) : String(v));
  return {
    columns: [
      { title: 'claim', csv: 'claim' },
      { title: 'paper', csv: 'paper' },
      { title: 'ours', csv: 'ours' },
      num('paper level', level, 'paper_percent_remaining'),
      num('our level', level, 'our_percent_remaining'),
      { title: 'note', csv: 'note' },
      { title: 'source', csv: 'source' },
      csvOnly('claim_id'),
      csvOnly('paper_value'),
      csvOnly('paper_relation'),
      csvOnly('ours_value'),
      csvOnly('status'),
    ],
    rows: rows.map((r) => [
      r.claim.text,
      r.claim.paper.text,
      r.oursText,
      r.paperPercent ?? null,
      r.ourPercent ?? null,
      r.note ?? '',
      r.claim.source,
      r.claim.id,
      r.claim.paper.value,
      r.claim.paper.relation,
      r.ours ?? null,
      r.status,
    ]),
  };
}

/** Flattens nested config objects to dotted keys, values as compact JSON. */
export function flattenConfig(config: Record<string, unknown>, prefix = ''): [string, string][] {
  const out: [string, string][] = [];
  for (const key of Object.keys(config).sort()) {
    const v = config[key];
    const k = prefix ? `${prefix}.${key}` : key;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) {
      out.push(...flattenConfig(v as Record<string, unknown>, k));
    } else {
      out.push([k, typeof v === 'string' ? v : JSON.stringify(v)]);
    }
  }
  return out;
}

export function configTable(config: Record<string, unknown>): Table {
  return { columns: [{ title: 'hyperparameter' }, { title: 'value' }], rows: flattenConfig(config) };
}

export function machineTable(machine: Machine): Table {
  return {
    columns: [{ title: 'machine' }, { title: '' }],
    rows: [
      ['CPU', `${machine.cpuModel} (${machine.cpus} logical CPUs)`],
      ['memory', `${machine.memoryGB.toFixed(1)} GB`],
      ['platform', machine.platform],
      ['Node.js', machine.node],
      ['onnxruntime', machine.onnxruntime],
      ...(machine.threads
        ? [
            [
              'onnxruntime threads (metrics are bit-identical only at the same count)',
              String(machine.threads),
            ],
          ]
        : []),
    ],
  };
}

/** "1 h 02 min", "3 min 05 s", "12.3 s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '—';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  return `${m} min ${String(sec).padStart(2, '0')} s`;
}
