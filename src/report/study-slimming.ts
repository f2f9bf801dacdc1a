/**
 * The structured section of study.md (experiments/study-slimming.ts): per point of training the channels
 * were chosen at (epochs 10 / 30 / 50 / 100 / 160 of the study's 160, and the early-bird ticket), the
 * slimmed network's parameters and FLOPs before → after, its test accuracy before retraining (the
 * surviving weights as they were cut) and after retraining, read from the preset's slim-retrain runs;
 * network slimming's published numbers beside them (other networks); and a figure of accuracy against
 * the epoch the channels were chosen at, the early-bird ticket marked.
 */
import { join } from 'node:path';
import type { SlimRunOutcome } from '../experiments/run-preset.js';
import { EARLY_BIRD_P, STUDY_BN_L1, STUDY_EPOCHS } from '../experiments/study-slimming.js';
import { studyRunTag } from '../experiments/study-preset.js';
import type { LevelResult, RunSummary } from '../lottery/summary.js';
import { writeFileAtomic } from '../store/index.js';
import { CHART_CONFIG, type TopLevelSpec } from './charts.js';
import { SLIMMING } from './study-numbers.js';
import { renderSvg, svgToPng } from './svg.js';
import { type Cell, type Table, toCsv, toMarkdown } from './tables.js';

/** One slim-retrain run of the section, or the line saying why it did not run. */
export interface SlimmingPoint {
  name: string;
  ratio: number;
  trial: number;
  /** final | early-bird | a snapshot's iteration. */
  weights: string;
  earlyBird: boolean;
  /** The source's iteration the channels were chosen at, and its place in the study's 160 epochs. */
  iteration?: number;
  scheduleEpoch?: number;
  result?: NonNullable<SlimRunOutcome['result']>;
  skipped?: string;
}

const sourceUnit = (s: RunSummary, trial: number): LevelResult | undefined =>
  s.results.find((r) => r.trial === trial && r.level === 0 && r.condition === 'ticket');

/** The points of the section, in the preset's order, from its slim-retrain outcomes and their sources. */
export function slimmingPoints(
  summaries: readonly RunSummary[],
  slim: readonly SlimRunOutcome[],
): SlimmingPoint[] {
  return slim
    .filter((o) => studyRunTag(o.run.name)?.experiment === 'slimming')
    .map((o) => {
      const source = summaries.find((s) => s.dir === o.sourceDir);
      const trial = o.run.request.trial ?? 0;
      const weights = o.run.request.weights ?? 'final';
      const iterations = Number((source?.config as { iterations?: number } | undefined)?.iterations);
      const unit = source ? sourceUnit(source, trial) : undefined;
      const iteration =
        weights === 'final'
          ? iterations
          : weights === 'early-bird'
            ? unit?.earlyBirdStop?.iteration
            : Number(weights);
      return {
        name: o.run.name,
        ratio: o.run.request.ratio,
        trial,
        weights,
        earlyBird: weights === 'early-bird',
        ...(iteration !== undefined && Number.isFinite(iteration)
          ? { iteration, scheduleEpoch: (iteration / iterations) * STUDY_EPOCHS }
          : {}),
        ...(o.result ? { result: o.result } : {}),
        ...(o.skipped ? { skipped: o.skipped } : {}),
      };
    });
}

const pct = (v: Cell) => (typeof v === 'number' ? (v * 100).toFixed(2) : String(v));
const count = (v: Cell) => (typeof v === 'number' ? v.toLocaleString('en-US') : String(v));
const epochText = (e: number) => (Number.isInteger(e) ? String(e) : e.toFixed(1));
const right = { align: 'right' as const };

function pointLabel(p: SlimmingPoint): string {
  const at = p.scheduleEpoch === undefined ? '' : `epoch ${epochText(p.scheduleEpoch)}`;
  const it = p.iteration === undefined ? '' : ` (it. ${p.iteration.toLocaleString('en-US')})`;
  return `${p.earlyBird ? `early bird${at ? `, ${at}` : ''}` : at}${it}${p.trial > 0 ? `, trial ${p.trial}` : ''}`;
}

/** Per point: parameters and FLOPs before → after, accuracy before retraining and after. */
export function slimmingTable(points: readonly SlimmingPoint[]): Table | undefined {
  const ran = points.filter((p) => p.result);
  if (!ran.length) return undefined;
  return {
    columns: [
      { title: 'channels chosen at', csv: 'chosen_at' },
      { title: 'ratio', csv: 'ratio', ...right },
      { title: 'channels kept', csv: 'channels_kept', ...right },
      { title: 'parameters', csv: 'parameters_before', format: count, ...right },
      { title: '→ after', csv: 'parameters_after', format: count, ...right },
      { title: 'FLOPs', csv: 'flops_before', format: count, ...right },
      { title: '→ after', csv: 'flops_after', format: count, ...right },
      { title: 'before retraining %', csv: 'before_retraining', format: pct, ...right },
      { title: 'after (test @ES) %', csv: 'after', format: pct, ...right },
      { title: 'best %', csv: 'best', format: pct, ...right },
      { title: 'final %', csv: 'final', format: pct, ...right },
    ],
    rows: ran.map((p) => {
      const r = p.result!;
      return [
        pointLabel(p),
        p.ratio,
        `${r.channels.kept} / ${r.channels.total}`,
        r.before.parameters,
        r.after.parameters,
        r.before.flops,
        r.after.flops,
        r.beforeRetraining.testAccuracy,
        r.testAccuracyAtEarlyStop,
        r.bestTestAccuracy,
        r.finalTestAccuracy,
      ];
    }),
  };
}

/** Network slimming's CIFAR-10 numbers (other networks than the study's). */
function publishedTable(): Table {
  return {
    columns: [
      { title: 'network slimming (CIFAR-10)', csv: 'network' },
      { title: 'baseline %', csv: 'baseline', ...right },
      { title: 'channels pruned', csv: 'pruned', ...right },
      { title: 'parameters', csv: 'parameters', ...right },
      { title: 'before retraining %', csv: 'before_retraining', ...right },
      { title: 'after %', csv: 'after', ...right },
    ],
    rows: SLIMMING.rows.map((r) => [r.network, r.baseline, r.pruned, r.parameters, r.before, r.after]),
  };
}

/** The figure's marks: accuracy (%) at the epoch of the study's 160 the channels were chosen at. */
export function slimmingFigurePoints(points: readonly SlimmingPoint[]) {
  return points
    .filter((p) => p.result && p.scheduleEpoch !== undefined)
    .flatMap((p) =>
      [
        ['after retraining (test @ES)', p.result!.testAccuracyAtEarlyStop],
        ['before retraining', p.result!.beforeRetraining.testAccuracy],
      ].map(([kind, accuracy]) => ({
        epoch: p.scheduleEpoch!,
        accuracy: 100 * (accuracy as number),
        series: `${Math.round(p.ratio * 100)}% of channels removed`,
        kind: kind as string,
        earlyBird: p.earlyBird,
        label: p.earlyBird ? `early bird (epoch ${epochText(p.scheduleEpoch!)})` : '',
      })),
    );
}

function figureSpec(points: readonly SlimmingPoint[], subtitle: string[]): TopLevelSpec {
  const marks = slimmingFigurePoints(points);
  const x = {
    field: 'epoch',
    type: 'quantitative',
    title: `channels chosen at: epoch of the ${STUDY_EPOCHS}-epoch schedule (quick: that fraction of its iterations)`,
    scale: { domain: [0, STUDY_EPOCHS] },
  };
  const y = { field: 'accuracy', type: 'quantitative', title: 'test accuracy (%)', scale: { zero: false } };
  const color = { field: 'series', type: 'nominal', title: null, legend: { labelLimit: 320 } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    config: CHART_CONFIG,
    title: { text: 'Network slimming: accuracy vs the epoch the channels were chosen at', subtitle },
    width: 460,
    height: 280,
    layer: [
      {
        data: { values: marks.filter((m) => !m.earlyBird) },
        mark: { type: 'line', point: { filled: true, size: 40 }, strokeWidth: 2 },
        encoding: {
          x,
          y,
          color,
          strokeDash: {
            field: 'kind',
            type: 'nominal',
            title: null,
            scale: { domain: ['after retraining (test @ES)', 'before retraining'] },
            legend: { symbolType: 'stroke', symbolStrokeColor: '#444', labelLimit: 320 },
          },
          detail: [{ field: 'series' }, { field: 'kind' }],
          order: { field: 'epoch' },
        },
      },
      {
        data: { values: marks.filter((m) => m.earlyBird) },
        mark: { type: 'point', shape: 'diamond', filled: true, size: 160 },
        encoding: { x, y, color },
      },
      {
        data: { values: marks.filter((m) => m.earlyBird && m.kind.startsWith('after')) },
        mark: { type: 'text', dy: -14, fontSize: 11 },
        encoding: { x, y, text: { field: 'label' } },
      },
    ],
  } as TopLevelSpec;
}

/** What the sparsity-training run's Early-Bird detector of EARLY_BIRD_P did, in one line. */
export function earlyBirdLine(summaries: readonly RunSummary[]): string {
  const sparsity = summaries.find((s) => studyRunTag(s.name)?.variant === 'sparsity');
  const record = sparsity && sourceUnit(sparsity, 0)?.earlyBird;
  if (!record) return 'The sparsity-training run has no Early-Bird record.';
  const ratio = record.ratios.find((r) => r.ratio === EARLY_BIRD_P);
  if (ratio?.firedAt !== null && ratio?.firedAt !== undefined)
    return (
      `Early-Bird detector (p = ${EARLY_BIRD_P}, window 5, distance ≤ ${record.epsilon}): fired at epoch ` +
      `${ratio.firedAt} of the sparsity-training run (iteration ${(ratio.firedAt * record.epochIterations).toLocaleString('en-US')}).`
    );
  const n = record.epochs.length;
  return (
    `**No early-bird ticket:** the Early-Bird detector (p = ${EARLY_BIRD_P}) never fired in the sparsity-training run ` +
    `— it drew masks at the start of ${n} epoch${n === 1 ? '' : 's'} (${record.epochIterations.toLocaleString('en-US')} ` +
    'iterations each) and needs 5 within distance 0.1 of each other, so at least 4 epochs of training; no early-bird ' +
    'weights were slimmed or retrained.'
  );
}

/**
 * The section's Markdown lines; writes its table (CSV) and figure (SVG, PNG) into `out`. `summaries`
 * are the study's lottery runs, `slim` the preset's slim-retrain outcomes.
 */
export async function slimmingSection(
  summaries: readonly RunSummary[],
  slim: readonly SlimRunOutcome[],
  out: string,
  where: string,
): Promise<string[]> {
  const title = '## 4. Structured pruning: network slimming and early-bird tickets';
  const sparsity = summaries.find((s) => studyRunTag(s.name)?.variant === 'sparsity');
  if (!sparsity) return [title, '', 'No runs of this experiment in the report.', ''];
  const points = slimmingPoints(summaries, slim);
  const table = slimmingTable(points);
  const dense = sourceUnit(sparsity, 0);
  const quick = sparsity.scale === 'quick';
  const lines = [
    title,
    '',
    `One sparsity-training run at level 0 (\`--bn-l1 ${STUDY_BN_L1} --early-bird\`, weights kept at epochs 10/30/50/100` +
      ' of 160; quick: the same fractions of its iterations), then for each point and the final weights the channels' +
      ' with the smallest |γ| removed at one global threshold, the thinner network rebuilt and retrained from its' +
      ' surviving weights for the full schedule again (the study: 160 epochs; network slimming’s --refine).' +
      ' s = 1e-4 is Early-Bird’s and network slimming’s (the study’s experiment3.sh trains without --sr). "Before' +
      ' retraining" is the slimmed network with the weights it was cut from; "after" is at early stopping.',
    '',
    ...(dense
      ? [
          `Sparsity-trained dense network: ${pct(dense.testAccuracyAtEarlyStop)}% test accuracy at early stopping, ` +
            `${pct(dense.finalTestAccuracy)}% final.`,
          '',
        ]
      : []),
    earlyBirdLine(summaries),
    '',
    ...points.filter((p) => p.skipped).flatMap((p) => [`- ${p.name}: skipped, ${p.skipped}.`, '']),
  ];
  if (table) {
    writeFileAtomic(join(out, 'tables', 'study-slimming.csv'), toCsv(table));
    const subtitle = [
      `ours: ${where}; L1 penalty s·|γ|, s = ${STUDY_BN_L1}; retrained for the full schedule from the surviving weights`,
      'before = the slimmed network untrained further; after = retrained, test accuracy at early stopping; ◆ = early bird',
      ...(points.some((p) => p.earlyBird && p.result)
        ? []
        : ['no early-bird ticket in these runs (the detector did not fire)']),
    ];
    const svg = await renderSvg(figureSpec(points, subtitle));
    writeFileAtomic(join(out, 'figures', 'study-slimming.svg'), svg);
    writeFileAtomic(join(out, 'figures', 'study-slimming.png'), svgToPng(svg));
    lines.push(toMarkdown(table), '', '![Network slimming](figures/study-slimming.svg)', '');
  } else lines.push('No slimmed network was retrained.', '');
  lines.push(
    `Published: ${SLIMMING.source}. These are other networks (VGG-19, ResNet-164), not the study’s ResNet-20;`,
    'the study’s own structured results are only an image in its Examples.md and are not transcribed.',
    '',
    toMarkdown(publishedTable()),
    '',
    ...(quick
      ? [
          `At quick scale the penalty moves a γ by about 0.02 at most (400 steps of lr × s = ${STUDY_BN_L1}, ×10 for momentum 0.9,`,
          'from γ = 1): it has not made γ sparse, so the removed channels still carry signal and the before-retraining accuracy says little about',
          'what slimming keeps at paper scale; the order of the points, not their values, is what it can show.',
          '',
        ]
      : []),
  );
  return lines;
}
