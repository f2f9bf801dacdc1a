/**
 * Accuracy before retraining (the pruning study's @w0 / @w(t−1) columns): per condition and level, the
 * test accuracy of the unit's mask on the trained weights it was pruned from, untrained, beside the
 * accuracy after retraining. Means over the trials that recorded it.
 */
import { beforeRetrainingLabel } from '../lottery/before-retraining.js';
import { formatPercentRemaining } from './paper.js';
import type { RunSummary } from './schema.js';
import type { Cell, Table } from './tables.js';

const percent = (v: Cell) => (typeof v === 'number' ? (v * 100).toFixed(2) : String(v));

/** The table, or undefined when no result recorded it (runs of level 0 only, or recorded before it existed). */
export function beforeRetrainingTable(summary: RunSummary): Table | undefined {
  const groups = new Map<string, RunSummary['results']>();
  for (const r of summary.results) {
    if (!r.beforeRetraining) continue;
    const key = `${r.level}\u0000${r.condition}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  if (groups.size === 0) return undefined;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const rows: Cell[][] = [...groups.values()]
    .sort((a, b) => a[0].level - b[0].level || a[0].condition.localeCompare(b[0].condition))
    .map((rs) => [
      rs[0].condition,
      rs[0].level,
      mean(rs.map((r) => r.fractionRemaining)),
      beforeRetrainingLabel(rs[0].beforeRetraining!.sourceLevel),
      mean(rs.map((r) => r.beforeRetraining!.testAccuracy)),
      mean(rs.map((r) => r.testAccuracyAtEarlyStop)),
      rs.length,
    ]);
  return {
    columns: [
      { title: 'condition', csv: 'condition' },
      { title: 'level', csv: 'level', align: 'right' },
      {
        title: '% remaining',
        csv: 'fraction_remaining',
        align: 'right',
        format: (v) => (typeof v === 'number' ? formatPercentRemaining(v * 100) : String(v)),
      },
      { title: 'pruned at', csv: 'pruned_at' },
      { title: 'before retraining %', csv: 'before_retraining_accuracy', align: 'right', format: percent },
      { title: 'after, test @ES %', csv: 'test_accuracy_at_early_stop', align: 'right', format: percent },
      { title: 'trials', csv: 'trials', align: 'right' },
    ],
    rows,
  };
}
