/**
 * The cost of each level's network (ShrinkBench's definitions, recorded by the lottery as
 * LevelResult.cost): one row per level and condition of trial 0, or null when the run recorded none
 * (older runs), so their reports are unchanged.
 */
import type { RunSummary } from './schema.js';
import type { Cell, Table } from './tables.js';

const fixed = (digits: number) => (v: Cell) => (typeof v === 'number' ? v.toFixed(digits) : String(v));
const grouped = (v: Cell) => (typeof v === 'number' ? Math.round(v).toLocaleString('en-US') : String(v));

export function costTable(summary: RunSummary): Table | null {
  const rows = summary.results.filter(
    (r) => r.cost && r.trial === Math.min(...summary.results.map((q) => q.trial)),
  );
  if (!rows.length) return null;
  rows.sort((a, b) => a.level - b.level || a.condition.localeCompare(b.condition));
  // runs recorded since the export sizes were added also show what `ticketlab export` would write
  const exported = rows.every((r) => r.cost!.exportBytes !== undefined);
  const table: Table = {
    columns: [
      { title: 'level', align: 'right' },
      { title: 'condition' },
      { title: '% remaining', align: 'right', format: fixed(1) },
      { title: 'parameters', align: 'right', format: grouped },
      { title: 'non-zero parameters', align: 'right', format: grouped },
      { title: 'compression', align: 'right', format: (v) => `${fixed(2)(v)}×` },
      { title: 'FLOPs', align: 'right', format: grouped },
      { title: 'non-zero FLOPs', align: 'right', format: grouped },
      { title: 'theoretical speedup', align: 'right', format: (v) => `${fixed(2)(v)}×` },
      { title: 'ms / iteration (wall)', align: 'right', format: fixed(2) },
    ],
    rows: rows.map((r) => {
      const c = r.cost!;
      return [
        r.level,
        r.condition,
        100 * r.fractionRemaining,
        c.parameters,
        c.nonzeroParameters,
        c.compressionRatio,
        c.flops,
        c.nonzeroFlops,
        c.theoreticalSpeedup,
        (1000 * r.wallSeconds) / Math.max(1, r.iterations),
      ];
    }),
  };
  if (!exported) return table;
  table.columns.push(
    { title: 'export (bytes)', align: 'right', format: grouped },
    { title: 'vs dense export', align: 'right', format: fixed(3) },
    { title: 'export form' },
  );
  rows.forEach((r, i) => {
    const c = r.cost!;
    table.rows[i].push(c.exportBytes!, c.exportBytes! / c.denseExportBytes!, c.exportFormat ?? '');
  });
  return table;
}
