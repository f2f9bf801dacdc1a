/**
 * The report of runs that pruned during training (`gradual.schedule`): each layer's sparsity over
 * training as a figure (one panel per run, one line per layer), and a table of the runs' accuracies
 * beside fasterai's lottery-ticket tutorial (single runs, fasterai v0.2.4 nbs/07e; see
 * ../shared/research/next-milestone.md §3 "Tutorial outputs").
 */
import { join } from 'node:path';
import type { LevelResult, RunSummary } from '../lottery/summary.js';
import { writeFileAtomic } from '../store/index.js';
import { CHART_CONFIG, type TopLevelSpec } from './charts.js';
import { renderSvg, svgToPng } from './svg.js';

/** One point of a layer's sparsity (percent pruned) over training. */
export interface SparsityPoint {
  run: string;
  layer: string;
  iteration: number;
  sparsity: number;
}

/**
 * A step function per layer: its sparsity from iteration 0 (the unit's starting masks: 0 at level 0)
 * through every pruning step to the end of training.
 */
export function sparsityOverTime(run: string, r: LevelResult): SparsityPoint[] {
  const events = r.gradual?.events ?? [];
  const layers = events[0]?.layers.map((l) => l.layer) ?? [];
  const points: SparsityPoint[] = [];
  for (const layer of layers) {
    let last = 0;
    points.push({ run, layer, iteration: 0, sparsity: 0 });
    for (const e of events) {
      const l = e.layers.find((x) => x.layer === layer)!;
      const s = 100 * (1 - l.kept / l.total);
      // a vertical step at the pruning iteration
      points.push({ run, layer, iteration: e.iteration, sparsity: last });
      points.push({ run, layer, iteration: e.iteration, sparsity: s });
      last = s;
    }
    points.push({ run, layer, iteration: r.iterations, sparsity: last });
  }
  return points;
}

export function sparsitySpec(points: SparsityPoint[], title: string): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    config: CHART_CONFIG,
    title: { text: title, subtitle: 'percent of each pruned layer removed, over training' },
    data: { values: points },
    facet: { column: { field: 'run', type: 'nominal', title: null } },
    spec: {
      width: 260,
      height: 180,
      mark: { type: 'line', strokeWidth: 2 },
      encoding: {
        x: { field: 'iteration', type: 'quantitative', title: 'iteration' },
        y: { field: 'sparsity', type: 'quantitative', title: 'sparsity (%)', scale: { domain: [0, 100] } },
        color: { field: 'layer', type: 'nominal', title: 'layer' },
        detail: { field: 'layer' },
        order: { field: 'iteration' },
      },
    },
  } as TopLevelSpec;
}

/** The tutorial's reported accuracies (single runs; validation accuracy in fastai's output). */
export const TUTORIAL_RESULTS: Record<string, string> = {
  dense: '63.3% after 5 epochs (the prose says 79%)',
  lth: '82.7%',
  rewind: '85.5%',
  reset_end: '83.2% trained; 66.6% with the final mask on the initial weights',
};

const pct = (x: number | undefined) => (x === undefined ? '—' : `${(100 * x).toFixed(2)}%`);

/** The condition of a run of the gradual-lth preset, from its name (`gradual-lth-<condition>-…`). */
const conditionOf = (s: RunSummary) =>
  /^gradual-lth-(dense|lth|rewind|reset_end)-/.exec(s.name)?.[1] ?? s.name;

/** Markdown table: one row per run, its final and early-stop test accuracy, and the tutorial's number. */
export function gradualTable(summaries: RunSummary[]): string {
  const rows = [
    '| run | weights remaining (pruned layers) | final test acc | test acc @ES | reset_end: untrained / retrained | tutorial |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const s of summaries) {
    const level0 = s.results.find((r) => r.level === 0 && r.condition === 'ticket');
    if (!level0) continue;
    const level1 = s.results.find((r) => r.level === 1 && r.condition === 'ticket');
    const last = level0.gradual?.events.at(-1);
    const remaining = last
      ? `${(100 * (last.layers.reduce((a, l) => a + l.kept, 0) / last.layers.reduce((a, l) => a + l.total, 0))).toFixed(1)}%`
      : '100%';
    const resetEnd = level0.gradual?.resetEnd
      ? `${pct(level0.gradual.resetEnd.test)} / ${pct(level1?.finalTestAccuracy)}`
      : '';
    const condition = conditionOf(s);
    rows.push(
      `| ${condition} | ${remaining} | ${pct(level0.finalTestAccuracy)} | ${pct(level0.testAccuracyAtEarlyStop)} | ${resetEnd} | ${TUTORIAL_RESULTS[condition] ?? ''} |`,
    );
  }
  return rows.join('\n');
}

/** Writes gradual.md, gradual-sparsity.svg and .png into `out` when some run pruned during training. */
export async function writeGradualReport(summaries: RunSummary[], out: string): Promise<string | null> {
  const pruned = summaries.filter((s) => s.results.some((r) => r.gradual));
  if (!pruned.length) return null;
  const points = pruned.flatMap((s) =>
    s.results.filter((r) => r.gradual).flatMap((r) => sparsityOverTime(conditionOf(s), r)),
  );
  const svg = await renderSvg(sparsitySpec(points, 'Sparsity per layer during training'));
  writeFileAtomic(join(out, 'gradual-sparsity.svg'), svg);
  writeFileAtomic(join(out, 'gradual-sparsity.png'), svgToPng(svg));
  const md = [
    '# Pruning during training',
    '',
    gradualTable(summaries),
    '',
    '![sparsity per layer during training](gradual-sparsity.svg)',
    '',
  ].join('\n');
  const path = join(out, 'gradual.md');
  writeFileAtomic(path, md);
  return path;
}
