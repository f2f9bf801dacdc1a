/** The report's cost figure (issue 17): wall time per iteration against percent remaining, only for runs with costs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { costFigure } from '../src/report/cost-figure.js';
import type { RunSummary } from '../src/report/schema.js';

const result = (trial: number, level: number, fraction: number, wallSeconds: number, speedup?: number) => ({
  trial,
  level,
  condition: 'ticket',
  fractionRemaining: fraction,
  iterations: 1000,
  wallSeconds,
  ...(speedup ? { cost: { theoreticalSpeedup: speedup } } : {}),
});

test('cost figure: measured ms per iteration per level (mean, min–max over trials) and the theoretical time', () => {
  const summary = {
    results: [
      result(0, 0, 1, 10, 1),
      result(1, 0, 1, 12, 1),
      result(0, 1, 0.2, 4, 5),
      result(1, 1, 0.2, 6, 5),
    ],
  } as unknown as RunSummary;
  const fig = costFigure(summary, 'run', { title: 'Cost' })!;
  assert.equal(fig.id, 'run-cost');
  const values = (fig.spec as unknown as { data: { values: Record<string, unknown>[] } }).data.values;
  const pick = (series: string) =>
    values.filter((v) => v.series === series).map((v) => [v.percent, v.mean, v.min, v.max]);
  assert.deepEqual(pick('ticket, measured'), [
    [100, 11, 10, 12],
    [20, 5, 4, 6],
  ]);
  // the dense level's 11 ms over the theoretical speedup
  assert.deepEqual(pick('ticket, theoretical (dense × non-zero FLOPs)'), [
    [100, 11, 11, 11],
    [20, 2.2, 2.2, 2.2],
  ]);
  const older = { results: [result(0, 0, 1, 10)] } as unknown as RunSummary;
  assert.equal(costFigure(older, 'run', { title: 'Cost' }), undefined);
});
