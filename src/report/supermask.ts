/**
 * The supermask table (Zhou et al. 2019, Section 5): per condition and level, the test accuracy
 * before any training of the unit's mask on its starting weights, of a random mask of the same
 * per-layer sizes, and of no mask — the `supermask` field of the run's results (`--supermask`).
 * Means over the trials that recorded it.
 */
import { formatPercentRemaining } from './paper.js';
import type { RunSummary } from './schema.js';
import type { Cell, Column, Table } from './tables.js';

const percent = (v: Cell) => (typeof v === 'number' ? (v * 100).toFixed(2) : String(v));
const col = (title: string, csv: string): Column => ({ title, csv, align: 'right', format: percent });

/** The table, or undefined when no result recorded supermask accuracies. */
export function supermaskTable(summary: RunSummary): Table | undefined {
  const groups = new Map<string, { level: number; condition: string; rows: RunSummary['results'] }>();
  for (const r of summary.results) {
    if (!r.supermask) continue;
    const key = `${r.level}\u0000${r.condition}`;
    const g = groups.get(key) ?? { level: r.level, condition: r.condition, rows: [] };
    g.rows.push(r);
    groups.set(key, g);
  }
  if (groups.size === 0) return undefined;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const rows: Cell[][] = [...groups.values()]
    .sort((a, b) => a.level - b.level || a.condition.localeCompare(b.condition))
    .map(({ level, condition, rows: rs }) => [
      condition,
      level,
      mean(rs.map((r) => r.fractionRemaining)),
      mean(rs.map((r) => r.supermask!.mask)),
      mean(rs.map((r) => r.supermask!.randomMask)),
      mean(rs.map((r) => r.supermask!.unmasked)),
      mean(rs.map((r) => r.finalTestAccuracy)),
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
      col('mask, untrained %', 'supermask_accuracy'),
      col('random mask, untrained %', 'random_mask_accuracy'),
      col('no mask, untrained %', 'unmasked_accuracy'),
      col('after training %', 'final_test_accuracy'),
      { title: 'trials', csv: 'trials', align: 'right' },
    ],
    rows,
  };
}
