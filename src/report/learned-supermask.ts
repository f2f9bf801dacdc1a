/**
 * The report of learned-supermask runs (`ticketlab reproduce supermask`): a table per variant —
 * test accuracy of the thresholded mask (σ(s) > 0.5) and the mean of sampled masks, the fraction
 * kept, a random mask of the same per-layer sizes and the unmasked weights — with the paper's number
 * beside ours, the validation curve as a figure (SVG and PNG), and the settings, machine and wall time.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { SupermaskResult } from '../experiments/learned-supermask.js';
import { type CurveRow, curvesSpec } from './charts.js';
import { renderSvg, svgToPng } from './svg.js';

export interface SupermaskReportRow {
  variant: string;
  dir: string;
  result: SupermaskResult;
}

export interface SupermaskReportMeta {
  title: string;
  /** What the quick scale changed, when quick. */
  quickNote?: string;
  paper: string;
  /** Wall time of the whole command, load averages before and after. */
  wallSeconds: number;
  loadBefore: number[];
  loadAfter: number[];
  command: string;
}

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Rows grouped by variant, in first-seen order, with the mean and min–max over trials. */
function byVariant(rows: readonly SupermaskReportRow[]): [string, SupermaskResult[]][] {
  const groups = new Map<string, SupermaskResult[]>();
  for (const r of rows) groups.set(r.variant, [...(groups.get(r.variant) ?? []), r.result]);
  return [...groups];
}

function span(xs: number[]): string {
  if (xs.length === 1) return pct(xs[0]);
  return `${pct(mean(xs))} (${pct(Math.min(...xs))}–${pct(Math.max(...xs))})`;
}

export function supermaskTable(rows: readonly SupermaskReportRow[]): string {
  const lines = [
    '| variant | trials | sampled masks (mean of each trial’s samples) | σ(s) > 0.5 | fraction kept (σ > 0.5) | mean σ(s) | random mask, same sizes | unmasked | wall time |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const [variant, rs] of byVariant(rows)) {
    lines.push(
      `| ${variant} | ${rs.length} | ${span(rs.map((r) => r.testAccuracySampledMean))} | ` +
        `${span(rs.map((r) => r.testAccuracyThresholded))} | ${span(rs.map((r) => r.fractionKept))} | ` +
        `${span(rs.map((r) => r.expectedFractionKept))} | ${span(rs.map((r) => r.testAccuracyRandomMask))} | ` +
        `${span(rs.map((r) => r.testAccuracyUnmasked))} | ${mean(rs.map((r) => r.wallSeconds)).toFixed(0)} s |`,
    );
  }
  return lines.join('\n');
}

function layerTable(rows: readonly SupermaskReportRow[]): string {
  const lines = ['| variant | seed | layer | kept / total |', '| --- | --- | --- | --- |'];
  for (const r of rows)
    for (const l of r.result.layers)
      lines.push(
        `| ${r.variant} | ${r.result.seed} | ${l.name} | ${l.kept} / ${l.total} (${pct(l.kept / l.total)}) |`,
      );
  return lines.join('\n');
}

function csv(rows: readonly SupermaskReportRow[]): string {
  const head =
    'variant,seed,iterations,rescale,signed_constant,score_init,test_acc_sampled_mean,test_acc_thresholded,' +
    'fraction_kept,expected_fraction_kept,test_acc_random_mask,test_acc_unmasked,wall_seconds,threads,run_dir';
  const body = rows.map(({ variant, dir, result: r }) =>
    [
      JSON.stringify(variant),
      r.seed,
      r.iterations,
      r.settings.rescale,
      r.settings.signedConstant,
      r.settings.scoreInit,
      r.testAccuracySampledMean,
      r.testAccuracyThresholded,
      r.fractionKept,
      r.expectedFractionKept,
      r.testAccuracyRandomMask,
      r.testAccuracyUnmasked,
      r.wallSeconds.toFixed(1),
      r.threads,
      JSON.stringify(dir),
    ].join(','),
  );
  return [head, ...body].join('\n') + '\n';
}

function curveRows(rows: readonly SupermaskReportRow[]): CurveRow[] {
  const out: CurveRow[] = [];
  byVariant(rows).forEach(([variant, rs], k) => {
    for (const point of rs[0].curve) {
      const values = rs
        .map((r) => r.curve.find((p) => p.iteration === point.iteration)?.validationAccuracy)
        .filter((v): v is number => v !== undefined)
        .map((v) => 100 * v);
      out.push({
        panel: 'validation accuracy, mask σ(s) > 0.5',
        series: variant,
        order: -k,
        iteration: point.iteration,
        mean: mean(values),
        min: Math.min(...values),
        max: Math.max(...values),
      });
    }
  });
  return out;
}

/** Writes index.md, results.csv, results.json and curves.svg/png into `out`; returns index.md's path. */
export async function writeSupermaskReport(
  rows: readonly SupermaskReportRow[],
  out: string,
  meta: SupermaskReportMeta,
): Promise<string> {
  mkdirSync(out, { recursive: true });
  const spec = curvesSpec(
    curveRows(rows),
    { title: meta.title, subtitle: ['learned supermask, LeNet-300-100 / MNIST, weights frozen'] },
    { yTitle: 'validation accuracy (%)', seriesTitle: 'variant' },
  );
  const svg = await renderSvg(spec);
  writeFileSync(join(out, 'curves.svg'), svg);
  writeFileSync(join(out, 'curves.png'), svgToPng(svg));
  writeFileSync(join(out, 'results.csv'), csv(rows));
  writeFileSync(
    join(out, 'results.json'),
    JSON.stringify(
      rows.map((r) => ({ variant: r.variant, dir: r.dir, ...r.result })),
      null,
      1,
    ) + '\n',
  );
  const first = rows[0]?.result;
  const md = [
    `# ${meta.title}`,
    '',
    ...(meta.quickNote ? [`**${meta.quickNote}.**`, ''] : []),
    `Command: \`${meta.command}\``,
    '',
    '## Test accuracy',
    '',
    supermaskTable(rows),
    '',
    `Paper (Zhou et al. 2019, Section 5): ${meta.paper}.`,
    '',
    'The sampled-mask column is how Zhou et al. report learned supermasks (each trial: the mean test accuracy ' +
      'of independently sampled masks m ~ Bernoulli(σ(s))); σ(s) > 0.5 is the expected mask rounded; the ' +
      'random mask keeps the same number of weights in each layer as σ(s) > 0.5, at random, on the same frozen ' +
      'weights. Validation accuracy during training uses σ(s) > 0.5.',
    '',
    '![validation accuracy](curves.svg)',
    '',
    '## Fraction kept per layer (σ(s) > 0.5)',
    '',
    layerTable(rows),
    '',
    '## Settings and machine',
    '',
    ...(first
      ? [
          `- model ${first.model}, dataset ${first.dataset}, ${first.iterations} iterations per run, ` +
            `${first.settings.samples} sampled masks, initial score ${first.settings.scoreInit}, ` +
            `${first.threads} onnxruntime threads; every setting of each run is in its run directory's identity.json`,
        ]
      : []),
    `- machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}; load average ` +
      `${meta.loadBefore.map((v) => v.toFixed(1)).join(' / ')} before, ` +
      `${meta.loadAfter.map((v) => v.toFixed(1)).join(' / ')} after (1 / 5 / 15 min)`,
    `- wall time of the command: ${meta.wallSeconds.toFixed(0)} s`,
    '',
    'Files: `results.csv`, `results.json` (every curve), `curves.svg`/`curves.png`.',
    '',
  ].join('\n');
  const path = join(out, 'index.md');
  writeFileSync(path, md);
  return path;
}

export const currentLoad = (): number[] => loadavg();
