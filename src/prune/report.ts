/** Per-layer sparsity tables: what a set of masks keeps, against what a schedule intended. */
import { countOnes } from './count.js';
import { keptAfterRounds } from './schedule.js';
import { layerSize } from './masks.js';
import { rateFor } from './rates.js';
import type { LayerKind, Masks, PrunableLayer, PruneRates } from './types.js';

export interface SparsityRow {
  layer: string;
  kind: LayerKind;
  total: number;
  kept: number;
  /** kept / total (1 for an empty layer). */
  fractionRemaining: number;
  /** What the schedule intended, if one was given. */
  desiredFractionRemaining: number | null;
}

export interface SparsityReport {
  rows: SparsityRow[];
  totals: { total: number; kept: number; fractionRemaining: number; desiredFractionRemaining: number | null };
}

/**
 * The intended sparsity: either a layer-wise schedule (`rates` applied for `rounds` rounds, with the
 * exact rounding of `keptAfterRounds`), or the desired fraction remaining per layer name.
 */
export type DesiredSparsity = { rates: PruneRates; rounds: number } | Map<string, number>;

export function sparsityReport(
  layers: readonly PrunableLayer[],
  masks: Masks,
  desired?: DesiredSparsity,
): SparsityReport {
  const rows: SparsityRow[] = [];
  let total = 0;
  let kept = 0;
  let desiredKept = 0;
  let allDesired = desired !== undefined;
  for (const layer of layers) {
    const n = layerSize(layer);
    const mask = masks.get(layer.name);
    if (mask && mask.length !== n) {
      throw new RangeError(`mask of ${layer.name} has ${mask.length} entries, its weight has ${n}`);
    }
    const k = mask ? countOnes(mask) : n; // no mask: nothing pruned
    let want: number | null = null;
    if (desired instanceof Map) {
      want = desired.get(layer.name) ?? null;
    } else if (desired) {
      want = n === 0 ? 1 : keptAfterRounds(n, rateFor(desired.rates, layer.kind), desired.rounds) / n;
    }
    if (want === null) allDesired = false;
    else desiredKept += want * n;
    rows.push({
      layer: layer.name,
      kind: layer.kind,
      total: n,
      kept: k,
      fractionRemaining: n === 0 ? 1 : k / n,
      desiredFractionRemaining: want,
    });
    total += n;
    kept += k;
  }
  return {
    rows,
    totals: {
      total,
      kept,
      fractionRemaining: total === 0 ? 1 : kept / total,
      desiredFractionRemaining: allDesired ? (total === 0 ? 1 : desiredKept / total) : null,
    },
  };
}

/**
 * The report as a table: `markdown` (GitHub pipes) or `ascii` (boxed, for terminals). Percentages
 * have `digits` decimals (default 2).
 */
export function formatSparsityReport(
  report: SparsityReport,
  options: { format?: 'markdown' | 'ascii'; digits?: number } = {},
): string {
  const format = options.format ?? 'markdown';
  const digits = options.digits ?? 2;
  const pct = (f: number | null) => (f === null ? '—' : `${(100 * f).toFixed(digits)}%`);
  const withDesired = report.rows.some((r) => r.desiredFractionRemaining !== null);
  const header = ['layer', 'kind', 'weights', 'kept', 'remaining'];
  if (withDesired) header.push('desired');
  const body = report.rows.map((r) => {
    const cells = [r.layer, r.kind, String(r.total), String(r.kept), pct(r.fractionRemaining)];
    if (withDesired) cells.push(pct(r.desiredFractionRemaining));
    return cells;
  });
  const t = report.totals;
  const totalRow = [
    format === 'markdown' ? '**total**' : 'total',
    '',
    String(t.total),
    String(t.kept),
    pct(t.fractionRemaining),
  ];
  if (withDesired) totalRow.push(pct(t.desiredFractionRemaining));
  const rightAligned = header.map((_, i) => i >= 2);
  const all = [header, ...body, totalRow];
  const widths = header.map((_, i) => Math.max(...all.map((row) => row[i].length)));
  const cell = (s: string, i: number) => (rightAligned[i] ? s.padStart(widths[i]) : s.padEnd(widths[i]));
  const line = (row: string[]) => `| ${row.map(cell).join(' | ')} |`;

  if (format === 'markdown') {
    const rule = `|${widths.map((w, i) => (rightAligned[i] ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
    return [line(header), rule, ...body.map(line), line(totalRow)].join('\n');
  }
  const border = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  return [border, line(header), border, ...body.map(line), border, line(totalRow), border].join('\n');
}
