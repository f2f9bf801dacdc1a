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

/** Weights kept and in all over `layers` (a level's sparsity records, or some of them). */
export function keptOf(layers: readonly { kept: number; total: number }[]): { kept: number; total: number } {
  let kept = 0;
  let total = 0;
  for (const l of layers) {
    kept += l.kept;
    total += l.total;
  }
  return { kept, total };
}

/** One row per level of trial 0's ticket: % remaining, kept / total, and % remaining per kind. */
export function fractionRemainingTable(summary: RunSummary): Table | undefined {
  const tickets = summary.results
    .filter((r) => r.condition === 'ticket' && r.trial === summary.results[0]?.trial && r.sparsity.length)
    .sort((a, b) => a.level - b.level);
  if (tickets.length === 0 || tickets[0].sparsity.length <= MANY_LAYERS) return undefined;
  const kinds = [...new Set(tickets[0].sparsity.map((l) => l.kind))];
  const rows = tickets.map((r) => {
    const { kept, total } = keptOf(r.sparsity);
    const byKind = kinds.map((k) => {
      const ofKind = keptOf(r.sparsity.filter((l) => l.kind === k));
      return ofKind.total === 0 ? null : (100 * ofKind.kept) / ofKind.total;
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
