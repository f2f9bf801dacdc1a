/**
 * Cost against fraction remaining: the measured wall time per iteration of each level (training and
 * evaluation, as LevelResult.cost's runs record it) beside the theoretical time that ShrinkBench's
 * non-zero FLOPs predict from the dense level, per condition, mean and min–max over trials. Only
 * for runs that recorded costs, so reports of older runs are unchanged.
 */
import { type ChartText, type SeriesPoint, levelMetricSpec } from './charts.js';
import { type Figure, figurePath } from './model.js';
import type { RunSummary } from './schema.js';
import { conditionsOf } from './stats.js';

type Result = RunSummary['results'][number];
const msPerIteration = (r: Result) => (1000 * r.wallSeconds) / Math.max(1, r.iterations);

function point(series: string, rs: readonly Result[], value: (r: Result) => number): SeriesPoint {
  const v = rs.map(value);
  return {
    series,
    percent: (100 * rs.reduce((s, r) => s + r.fractionRemaining, 0)) / rs.length,
    mean: v.reduce((a, b) => a + b, 0) / v.length,
    min: Math.min(...v),
    max: Math.max(...v),
    trials: rs.length,
  };
}

export function costFigure(s: RunSummary, slug: string, text: ChartText): Figure | undefined {
  const costed = s.results.filter((r) => r.cost && r.state !== 'diverged');
  if (!costed.length) return undefined;
  const points: SeriesPoint[] = [];
  // the dense level's measured time, scaled by non-zero FLOPs: what the pruning would buy in theory
  const dense = costed.filter((r) => r.level === 0);
  const denseMs = dense.length ? dense.reduce((a, r) => a + msPerIteration(r), 0) / dense.length : undefined;
  for (const c of conditionsOf(costed)) {
    const levels = [...new Set(costed.filter((r) => r.condition === c).map((r) => r.level))].sort(
      (a, b) => a - b,
    );
    for (const level of levels) {
      const rs = costed.filter((r) => r.condition === c && r.level === level);
      points.push(point(`${c}, measured`, rs, msPerIteration));
      if (denseMs !== undefined && c === 'ticket')
        points.push(
          point(
            'ticket, theoretical (dense × non-zero FLOPs)',
            rs,
            (r) => denseMs / r.cost!.theoreticalSpeedup,
          ),
        );
    }
  }
  const id = `${slug}-cost`;
  return {
    id,
    title: 'Wall time per iteration versus percent of weights remaining',
    caption:
      'Measured wall time per iteration of each level (training steps and evaluation; the machine’s load ' +
      'varies between levels) and, for the tickets, the dense level’s time divided by the theoretical speedup ' +
      '(FLOPs / non-zero FLOPs, ShrinkBench). Lines are means across trials; bands span the minimum and maximum trial.',
    svg: figurePath(id, 'svg'),
    png: figurePath(id, 'png'),
    spec: levelMetricSpec(points, text, { yTitle: 'ms per iteration', yZero: true, seriesTitle: 'series' }),
    group: 'chart',
  };
}
