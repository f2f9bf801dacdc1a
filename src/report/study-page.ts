/**
 * The page of `reproduce resnet20-pruning-study`: study.md beside the preset's report, with the three
 * tables of study.ts (also as CSV) and three figures that stand on their own — accuracy versus weights
 * remaining for one-shot pruning before and after retraining, for the lottery tickets' rounds, and for
 * Renda's three retraining methods — each with the published numbers drawn beside ours; and the
 * structured experiment's section (study-slimming.ts: its table and figure from the slim-retrain runs).
 */
import { join } from 'node:path';
import type { SlimRunOutcome } from '../experiments/run-preset.js';
import { STUDY_PRESET, studyRunTag } from '../experiments/study-preset.js';
import type { RunSummary } from '../lottery/summary.js';
import { writeFileAtomic } from '../store/index.js';
import { CHART_CONFIG, type TopLevelSpec } from './charts.js';
import { RENDA, STUDY } from './study-numbers.js';
import {
  type StudyPoint,
  denseDuplicates,
  lotteryTable,
  oneShotTable,
  rendaTable,
  studyPoints,
} from './study.js';
import { slimmingSection } from './study-slimming.js';
import { renderSvg, svgToPng } from './svg.js';
import { type Table, toCsv, toMarkdown } from './tables.js';

/** One mark of a figure: accuracy (%) at a percent of weights remaining. */
export interface FigurePoint {
  percent: number;
  accuracy: number;
  /** Colour: the method or run. */
  series: string;
  /** Line style: ours or published, before or after retraining. */
  kind: string;
}

export function accuracySpec(points: FigurePoint[], title: string, subtitle: string[]): TopLevelSpec {
  const percents = points.map((p) => p.percent);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    config: CHART_CONFIG,
    title: { text: title, subtitle },
    width: 460,
    height: 280,
    data: { values: points },
    encoding: {
      x: {
        field: 'percent',
        type: 'quantitative',
        title: '% of conv weights remaining (log scale)',
        // the data's range, not log decades down to 1%
        scale: { type: 'log', reverse: true, nice: false, domain: [Math.min(...percents) / 1.2, 120] },
        axis: {
          values: [100, 70, 50, 30, 20, 10, 5, 3, 2, 1].filter((v) => v >= Math.min(...percents) / 1.2),
        },
      },
      y: { field: 'accuracy', type: 'quantitative', title: 'test accuracy (%)', scale: { zero: false } },
      color: { field: 'series', type: 'nominal', title: null, legend: { labelLimit: 320 } },
    },
    // lines carry the dash legend (points would turn its symbols into dots); points mark the measurements
    layer: [
      {
        mark: { type: 'line', strokeWidth: 2 },
        encoding: {
          strokeDash: {
            field: 'kind',
            type: 'nominal',
            title: null,
            // the first kind listed (ours, or after retraining) is drawn solid
            scale: { domain: [...new Set(points.map((p) => p.kind))] },
            legend: {
              symbolType: 'stroke',
              symbolStrokeColor: '#444',
              symbolStrokeWidth: 2,
              labelLimit: 320,
            },
          },
          detail: [{ field: 'series' }, { field: 'kind' }],
          order: { field: 'percent', sort: 'descending' },
        },
      },
      { mark: { type: 'point', filled: true, size: 40 } },
    ],
  } as TopLevelSpec;
}

/** Experiment 1: ours and the study's, before and after retraining, dense at 100%. */
export function oneShotPoints(points: readonly StudyPoint[]): FigurePoint[] {
  const own = points.filter((p) => p.experiment === 'one-shot');
  const dense = own.find((p) => p.level === 0);
  const out: FigurePoint[] = [];
  for (const [series, denseAcc] of [
    ['ours', dense ? dense.after * 100 : undefined],
    ['study', STUDY.dense],
  ] as const) {
    if (denseAcc === undefined) continue;
    for (const kind of ['after retraining', 'before retraining (@w0)'])
      out.push({ percent: 100, accuracy: denseAcc, series, kind });
  }
  for (const p of own.filter((x) => x.level > 0)) {
    if (p.beforeRetraining !== undefined)
      out.push({
        percent: p.prunedFraction * 100,
        accuracy: p.beforeRetraining * 100,
        series: 'ours',
        kind: 'before retraining (@w0)',
      });
    out.push({
      percent: p.prunedFraction * 100,
      accuracy: p.after * 100,
      series: 'ours',
      kind: 'after retraining',
    });
  }
  for (const s of STUDY.oneShot) {
    const percent = (1 - s.pruned) * 100;
    out.push({ percent, accuracy: s.beforeRetraining, series: 'study', kind: 'before retraining (@w0)' });
    out.push({ percent, accuracy: s.after, series: 'study', kind: 'after retraining' });
  }
  return out;
}

/** Experiment 2: per target, before (@w0 / @w(t−1)) and after each round. */
export function lotteryPoints(points: readonly StudyPoint[]): FigurePoint[] {
  return points
    .filter((p) => p.experiment === 'lottery')
    .flatMap((p) => {
      const series = `to ${p.variant.replace('pruned', '')}% pruned`;
      const after = {
        percent: p.prunedFraction * 100,
        accuracy: p.after * 100,
        series,
        kind: 'after retraining',
      };
      const before =
        p.beforeRetraining !== undefined
          ? [{ ...after, accuracy: p.beforeRetraining * 100, kind: 'before retraining (@w0, @w(t−1))' }]
          : p.level === 0
            ? [{ ...after, kind: 'before retraining (@w0, @w(t−1))' }]
            : [];
      return [after, ...before];
    });
}

/** Experiment 3: each method, ours after retraining and Renda's. */
export function rendaPoints(points: readonly StudyPoint[]): FigurePoint[] {
  const ours = points
    .filter((p) => p.experiment === 'renda')
    .map((p) => ({
      percent: p.prunedFraction * 100,
      accuracy: p.after * 100,
      series: p.variant,
      kind: 'ours',
    }));
  const methods = [...new Set(ours.map((p) => p.series))];
  const renda = methods.flatMap((m) => [
    { percent: 100, accuracy: RENDA.dense, series: m, kind: 'Renda et al.' },
    ...RENDA.rows.map((r) => ({
      percent: r.density * 100,
      accuracy: r[m as keyof typeof r],
      series: m,
      kind: 'Renda et al.',
    })),
  ]);
  return [...ours, ...renda];
}

/** What the quick scale can and cannot show, on its page. */
const QUICK_LIMITS = [
  '## What the quick scale can and cannot show',
  '',
  '- It can show the shapes: how far accuracy falls when the trained weights are pruned without retraining',
  '  (@w0 against density), whether retraining recovers it, whether iterative rounds hold accuracy better',
  '  than one shot, and how the three retraining methods order at the same budget.',
  '- It cannot show the values: a few hundred iterations (under one epoch) of a 1×28×28 stand-in, not 160',
  '  epochs of CIFAR-10; the dense network is not converged, so "after" compares short retrainings, and',
  '  differences of a point or less are within what another seed would give (1 trial).',
  '',
];

function section(
  title: string,
  table: Table | undefined,
  figure: string | undefined,
  text: string[],
): string[] {
  if (!table) return [`## ${title}`, '', 'No runs of this experiment in the report.', ''];
  return [
    `## ${title}`,
    '',
    ...text,
    '',
    toMarkdown(table),
    '',
    ...(figure ? [`![${title}](${figure})`, ''] : []),
  ];
}

/**
 * Writes study.md (tables, figures, notes) and its CSV, SVG and PNG files into `out` when some of
 * `summaries` are runs of the preset; returns the page's path, or null.
 */
/** Level-0 units a run copied from another run (provenance.sharedFrom) instead of training them. */
const copiedLevel0 = (runs: readonly RunSummary[]) =>
  runs.flatMap((s) => s.results).filter((r) => r.level === 0 && r.provenance?.sharedFrom).length;

export async function writeStudyReport(
  summaries: readonly RunSummary[],
  out: string,
  slim: readonly SlimRunOutcome[] = [],
): Promise<string | null> {
  const runs = summaries.filter((s) => s.preset === STUDY_PRESET);
  // the structured experiment's runs train another network (with the γ penalty): section 4 only
  const structured = runs.filter((s) => studyRunTag(s.name)?.experiment === 'slimming');
  const points = studyPoints(runs.filter((s) => !structured.includes(s)));
  if (!runs.length) return null;
  const first = runs[0];
  const where = `${first.model} on ${first.dataset}${first.scale ? `, ${first.scale} scale` : ''}`;
  const tables = {
    'one-shot': oneShotTable(points),
    lottery: lotteryTable(points),
    renda: rendaTable(points),
  };
  const ours = `ours: ${where}`;
  const figures: Record<string, [FigurePoint[], string, string[]]> = {
    'one-shot': [
      oneShotPoints(points),
      'One-shot pruning of the trained conv weights: accuracy before and after retraining',
      [
        `${ours}; study: pre-activation bottleneck ResNet-20 on CIFAR-10, 160 epochs`,
        'before = @w0, the pruned trained weights untrained; after = retrained for the full schedule',
      ],
    ],
    lottery: [
      lotteryPoints(points),
      'Lottery tickets (4 rounds, reset to θ₀): each round before and after retraining',
      [
        ours,
        "before = the round's mask on the weights it was pruned from (@w0, then @w(t−1)); one colour per target",
      ],
    ],
    renda: [
      rendaPoints(points),
      'Retraining after pruning: fine-tuning vs weight rewinding vs LR rewinding',
      [
        `${ours}; Renda et al.: ResNet-20 on CIFAR-10`,
        'same budget T − k for every method; accuracy after retraining',
      ],
    ],
  };
  const paths: Record<string, string | undefined> = {};
  for (const [id, [pts, title, subtitle]] of Object.entries(figures)) {
    const table = tables[id as keyof typeof tables];
    if (!table) continue; // no runs of this experiment: nothing of ours to draw
    writeFileAtomic(join(out, 'tables', `study-${id}.csv`), toCsv(table));
    const svg = await renderSvg(accuracySpec(pts, title, subtitle));
    paths[id] = `figures/study-${id}.svg`;
    writeFileAtomic(join(out, paths[id]), svg);
    writeFileAtomic(join(out, `figures/study-${id}.png`), svgToPng(svg));
  }
  const dup = denseDuplicates(points);
  const md = [
    `# ResNet-20 pruning study (${where})`,
    '',
    ...(first.standIn
      ? [
          `**Stand-in:** ${first.standIn}. The published numbers are CIFAR-10's; compare shapes, not values.`,
          '',
        ]
      : []),
    `Published numbers: ${STUDY.source}; ${RENDA.source}.`,
    '"after" is ours at early stopping (minimum validation loss) and the study\'s best test accuracy over training.',
    '',
    ...section('1. Is it worth pruning?', tables['one-shot'], paths['one-shot'], [
      'One-shot global pruning of the trained conv weights, then the trained weights retrained for the full schedule',
      '(`--pruning one-shot --densities 0.5,0.3,0.1 --reset lr-rewind --rewind-iteration 0`).',
    ]),
    ...section('2. Lottery tickets', tables.lottery, paths.lottery, [
      '4 rounds at 1 − (1 − pr)^(1/4) per round, survivors reset to θ₀; "before" is the pruned network at the',
      "trained weights it was pruned from: @w0 in round 1, @w(t−1) after. The study's 4-round numbers are its last",
      'round (reset mode of its logs unverified).',
    ]),
    ...section('3. Renda et al.: how to retrain', tables.renda, paths.renda, [
      'Iterative pruning; each method retrains T − k steps: fine-tuning (trained weights, lr 0.001),',
      'weight rewinding (θ_k, schedule from k), LR rewinding (trained weights, schedule from k).',
    ]),
    ...(await slimmingSection(structured, slim, out, where)),
    ...(first.scale === 'quick' ? QUICK_LIMITS : []),
    '## Units',
    '',
    `${runs.reduce((n, s) => n + s.results.length, 0)} units in ${runs.length} runs` +
      (slim.length
        ? `, and ${slim.length} slim-retrain runs of one unit each (${slim.filter((o) => o.skipped).length} skipped).`
        : '.'),
    `${dup.runs} runs start from a dense network at level 0 (their level-0 final test accuracies ` +
      `${dup.agree ? 'agree' : 'differ'}); ${copiedLevel0(runs)} of those level-0 units were copied from another ` +
      'run with the same level-0 key (README: "Sharing level 0 between runs"), the rest trained.',
    '',
  ].join('\n');
  const path = join(out, 'study.md');
  writeFileAtomic(path, md);
  return path;
}
