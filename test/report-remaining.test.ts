/** The report's fraction-remaining table: for many-layer models only, one row per level with per-kind columns. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fractionRemainingTable } from '../src/report/fraction-table.js';
import { toMarkdown } from '../src/report/tables.js';
import type { RunSummary } from '../src/report/schema.js';

function summary(layers: number, levels: number): RunSummary {
  const results = Array.from({ length: levels }, (_, level) => {
    const sparsity = Array.from({ length: layers }, (_, i) => ({
      layer: `l${i}`,
      kind: i === layers - 1 ? 'output' : i === 1 ? 'shortcut' : 'conv',
      total: 100,
      kept: i === layers - 1 || i === 1 ? 100 : Math.round(100 * 0.8 ** level),
    }));
    const kept = sparsity.reduce((s, l) => s + l.kept, 0);
    return { trial: 0, level, condition: 'ticket', fractionRemaining: kept / (100 * layers), sparsity };
  });
  return { results } as unknown as RunSummary;
}

test('fraction remaining per level: overall and per kind, only for models with many layers', () => {
  assert.equal(fractionRemainingTable(summary(5, 3)), undefined);
  const table = fractionRemainingTable(summary(10, 3))!;
  assert.deepEqual(
    table.columns.map((c) => c.title),
    ['level', '% remaining (Pm)', 'weights kept', 'of prunable', '% conv', '% shortcut', '% output'],
  );
  // level 2: 8 conv layers at 64 of 100, shortcut and output untouched → (512 + 200) / 1000
  assert.deepEqual(table.rows[2], [2, 71.2, 712, 1000, 64, 100, 100]);
  assert.match(toMarkdown(table), /\| 2 \| 71\.2% \| 712 \| 1,000 \| 64\.0% \| 100\.0% \| 100\.0% \|/);
});
