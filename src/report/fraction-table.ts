/**
 * The fraction of weights remaining per level, overall and per layer kind: for deep networks (many
 * layers, global pruning) the one table that says what each level kept — the paper's Pm ladder
 * (ResNet: 100, 80, 64.1 … 41.7, 27.1, 21.9, 11.8%; VGG-19 … 6.9, 3.5, 1.5%) with the kept counts
 * of the pruned kind and of the unpruned ones (shortcuts, output layer).
 */
import { formatPercentRemaining } from './paper.js';
import type { RunSummary } from './schema.js';
import type { Cell, Table } from './tables.js';

/** A report gets this table when its model has more prunable layers than this (not LeNets, Conv-2/4/6). */
export const MANY_LAYERS = 8;

const pct = (v: Cell) => (typeof v === 'number' ? formatPercentRemaining(v) : String(v));
const count = (v: Cell) => (typeof v === 'number' ? v.toLocaleString('en-US') : String(v));

/** One row per level of trial 0's ticket: % remaining, kept / total, and % remaining per kind. */
export function fractionRemainingTable(summary: RunSummary): Table | undefined {
  const tickets = summary.results
    .filter((r) => r.condition === 'ticket' && r.trial === summary.results[0]?.trial && r.sparsity.length)
    .sort((a, b) => a.level - b.level);
  if (tickets.length === 0 || tickets[0].sparsity.length <= MANY_LAYERS) return undefined;
  const kinds = [...new Set(tickets[0].sparsity.map((l) => l.kind))];
  const rows = tickets.map((r) => {
    const total = r.sparsity.reduce((s, l) => s + l.total, 0);
    const kept = r.sparsity.reduce((s, l) => s + l.kept, 0);
    const byKind = kinds.map((k) => {
      const ls = r.sparsity.filter((l) => l.kind === k);
      const t = ls.reduce((s, l) => s + l.total, 0);
      return t === 0 ? null : (100 * ls.reduce((s, l) => s + l.kept, 0)) / t;
    });
    return [r.level, 100 * r.fractionRemaining, kept, total, ...byKind];
  });
  return {
    columns: [
      { title: 'level', align: 'right' },
      { title: '% remaining (Pm)', csv: 'percent_remaining', align: 'right', format: pct },
      { title: 'weights kept', csv: 'kept', align: 'right', format: count },
      { title: 'of prunable', csv: 'total', align: 'right', format: count },
      ...kinds.map((k) => ({ title: `% ${k}`, csv: `percent_${k}`, align: 'right' as const, format: pct })),
    ],
    rows,
  };
}
