/**
 * Comparing runs: one row per finished unit of every run in a run store, with every setting of its
 * run (config.json, by dotted path) and every result (the LevelResult fields, the best validation
 * accuracy along the curve, the thread count and completion time). Rows are filtered with
 * `key=value` conditions and shown as text, CSV or JSON.
 */
import { RunStore } from '../store/index.js';
import type { LevelResult } from '../lottery/summary.js';
import { UserError } from '../util/errors.js';

export type Cell = string | number | boolean | null;
export type Row = Record<string, Cell>;

const UNIT_COLUMNS = ['run', 'trial', 'level', 'condition'];
const RESULT_COLUMNS = [
  'fractionRemaining',
  'earlyStopIteration',
  'testAccuracyAtEarlyStop',
  'finalTestAccuracy',
  'maxValidationAccuracy',
  'validationLossAtEarlyStop',
  'trainAccuracyAtEarlyStop',
  'finalTrainAccuracy',
  'wallSeconds',
  'threads',
  'completedAt',
];

function flatten(value: unknown, prefix: string, out: Row): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (Array.isArray(value)) {
    out[prefix] = value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(',');
  } else {
    out[prefix] = (value as Cell) ?? null;
  }
}

/** Every finished unit under `root` as a row, settings then results. */
export function unitRows(root?: string): { rows: Row[]; settings: string[] } {
  const store = new RunStore({ root });
  const rows: Row[] = [];
  const settings = new Set<string>();
  for (const summary of store.list()) {
    if (summary.problem) continue;
    const run = store.loadRun(summary.dir);
    const config: Row = {};
    flatten(run.config, '', config);
    Object.keys(config).forEach((k) => settings.add(k));
    for (const key of run.doneKeys()) {
      const record = run.unitRecord(key);
      const r = record?.result as LevelResult | undefined;
      if (!r || typeof r.level !== 'number') continue;
      const maxValidation = r.curve?.length ? Math.max(...r.curve.map((p) => p.validationAccuracy)) : null;
      rows.push({
        run: `${summary.name}-${summary.hash}`,
        trial: r.trial,
        level: r.level,
        condition: r.condition,
        ...config,
        seed: r.seed, // the trial's own seed (config.json holds the first trial's)
        fractionRemaining: r.fractionRemaining,
        earlyStopIteration: r.earlyStopIteration,
        testAccuracyAtEarlyStop: r.testAccuracyAtEarlyStop,
        finalTestAccuracy: r.finalTestAccuracy,
        maxValidationAccuracy: maxValidation,
        validationLossAtEarlyStop: r.validationLossAtEarlyStop,
        trainAccuracyAtEarlyStop: r.trainAccuracyAtEarlyStop ?? null,
        finalTrainAccuracy: r.finalTrainAccuracy ?? null,
        wallSeconds: r.wallSeconds,
        threads: record?.threads ?? null,
        completedAt: record?.completedAt ?? null,
      });
    }
  }
  return { rows, settings: [...settings].sort() };
}

export function allColumns(settings: string[]): string[] {
  return [...UNIT_COLUMNS, ...settings.filter((s) => !UNIT_COLUMNS.includes(s)), ...RESULT_COLUMNS];
}

/** Settings whose value differs between rows: the default columns of the text table. */
export function varyingSettings(rows: Row[], settings: string[]): string[] {
  return settings.filter((s) => new Set(rows.map((r) => JSON.stringify(r[s] ?? null))).size > 1);
}

const OPERATORS = ['!=', '<=', '>=', '=', '<', '>'] as const;
type Operator = (typeof OPERATORS)[number];

export interface Condition {
  column: string;
  op: Operator;
  value: string;
}

export function parseCondition(text: string): Condition {
  for (const op of OPERATORS) {
    const i = text.indexOf(op);
    if (i > 0) return { column: text.slice(0, i).trim(), op, value: text.slice(i + op.length).trim() };
  }
  throw new UserError(
    `--where ${text}: expected key=value (or !=, <, <=, >, >=)`,
    'e.g. --where pruning.strategy=random',
  );
}

function matches(cell: Cell | undefined, c: Condition): boolean {
  const n = Number(c.value);
  const numeric = typeof cell === 'number' && c.value !== '' && Number.isFinite(n);
  const a = numeric ? (cell as number) : String(cell ?? '');
  const b = numeric ? n : c.value;
  switch (c.op) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

/** The rows meeting every condition; a condition on an unknown column is a UserError naming the columns. */
export function filterRows(rows: Row[], conditions: Condition[], columns: string[]): Row[] {
  for (const c of conditions) checkColumn(c.column, columns, '--where');
  return rows.filter((r) => conditions.every((c) => matches(r[c.column], c)));
}

export function checkColumn(column: string, columns: string[], option: string): void {
  if (!columns.includes(column)) {
    throw new UserError(`${option}: no column "${column}"`, `columns are: ${columns.join(', ')}`);
  }
}

const show = (v: Cell | undefined): string =>
  v === null || v === undefined
    ? ''
    : typeof v === 'number' && !Number.isInteger(v)
      ? String(Number(v.toPrecision(6)))
      : String(v);

export function formatText(rows: Row[], columns: string[]): string {
  const cells = rows.map((r) => columns.map((c) => show(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (xs: string[]) =>
    xs
      .map((x, i) => x.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(columns), ...cells.map(line)].join('\n');
}

export function formatCsv(rows: Row[], columns: string[]): string {
  const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const raw = (v: Cell | undefined) => (v === null || v === undefined ? '' : String(v));
  return [
    columns.map(quote).join(','),
    ...rows.map((r) => columns.map((c) => quote(raw(r[c]))).join(',')),
  ].join('\n');
}

export function formatJson(rows: Row[], columns: string[]): string {
  return JSON.stringify(rows.map((r) => Object.fromEntries(columns.map((c) => [c, r[c] ?? null]))));
}
