/**
 * Retrained slimmed networks in the report (`ticketlab slim --retrain` runs under <runs>/slim): one
 * table row per run — the unit and weights it was slimmed from, the ratio and channel scores, channels
 * kept, parameters and FLOPs before → after, the slimmed network's test accuracy before retraining,
 * the start and length of the retraining, final / best / early-stop test accuracy and the time — and
 * one figure of their test-accuracy curves.
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { SlimRetrainConfig, SlimRetrainResult } from '../experiments/slim-retrain.js';
import { SLIM_RETRAIN_KIND, SLIM_RETRAIN_UNIT } from '../experiments/slim-retrain.js';
import { readJson, writeFileAtomic } from '../store/index.js';
import { type CurveRow, curvesSpec } from './charts.js';
import { renderSvg, svgToPng } from './svg.js';

export interface SlimRetrainRow {
  dir: string;
  config: SlimRetrainConfig;
  result: SlimRetrainResult;
}

const isSlimRun = (dir: string): boolean => {
  try {
    return (readJson(join(dir, 'config.json')) as { kind?: unknown }).kind === SLIM_RETRAIN_KIND;
  } catch {
    return false;
  }
};

/**
 * The retrained-slim run directories an argument names: such a run itself, a directory of them
 * (<runs>/slim), or a runs root holding slim/. Unfinished runs are left out.
 */
export function slimRetrainDirs(path: string): string[] {
  if (!existsSync(path)) return [];
  const subdirs = (p: string) =>
    readdirSync(p, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => join(p, e.name))
      .sort();
  const candidates = isSlimRun(path)
    ? [path]
    : [...subdirs(path), ...(existsSync(join(path, 'slim')) ? subdirs(join(path, 'slim')) : [])];
  return candidates.filter((d) => isSlimRun(d) && existsSync(join(d, SLIM_RETRAIN_UNIT, 'result.json')));
}

/** A finished run's configuration and result. */
export function readSlimRetrainRun(dir: string): SlimRetrainRow {
  const record = readJson(join(dir, SLIM_RETRAIN_UNIT, 'result.json')) as { result: SlimRetrainResult };
  return { dir, config: readJson(join(dir, 'config.json')) as SlimRetrainConfig, result: record.result };
}

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
const count = (n: number) => n.toLocaleString('en-US');
const ratioOf = (after: number, before: number) => `${((100 * after) / before).toFixed(1)}%`;

/** The table, as Markdown lines. */
export function slimRetrainTable(rows: readonly SlimRetrainRow[]): string[] {
  return [
    '| run | slimmed from | ratio (scores) | channels kept | parameters | FLOPs | before retraining | retrained from | iterations | final | best | at early stop | time |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows
      .map(({ dir, config: c, result: r }) =>
        [
          basename(dir),
          `${basename(c.source.dir)} trial ${c.trial} level ${c.level} ${c.condition}, ${c.weights} weights`,
          `${c.ratio} (${c.from})`,
          `${count(r.channels.kept)} / ${count(r.channels.total)}`,
          `${count(r.before.parameters)} → ${count(r.after.parameters)} (${ratioOf(r.after.parameters, r.before.parameters)})`,
          `${count(r.before.flops)} → ${count(r.after.flops)} (${ratioOf(r.after.flops, r.before.flops)})`,
          pct(r.beforeRetraining.testAccuracy),
          r.retrainFrom,
          String(r.iterations),
          pct(r.finalTestAccuracy),
          pct(r.bestTestAccuracy),
          `${pct(r.testAccuracyAtEarlyStop)} (it. ${r.earlyStopIteration})`,
          `${r.wallSeconds.toFixed(0)} s, ${r.threads} threads`,
        ].join(' | '),
      )
      .map((line) => `| ${line} |`),
  ];
}

/** Writes slim-retrain.md (the table and the curves' figure) into `out`; null when there are no runs. */
export async function writeSlimRetrainReport(
  rows: readonly SlimRetrainRow[],
  out: string,
): Promise<string | null> {
  if (!rows.length) return null;
  const curves: CurveRow[] = rows.flatMap(({ dir, result: r }, k) =>
    r.curve.map((p) => ({
      panel: 'test accuracy',
      series: `${k + 1}: ${r.retrainFrom}, ${ratioOf(r.after.parameters, r.before.parameters)} params (${basename(dir)})`,
      order: rows.length - k,
      iteration: p.iteration,
      mean: 100 * p.testAccuracy,
      min: 100 * p.testAccuracy,
      max: 100 * p.testAccuracy,
    })),
  );
  const svg = await renderSvg(
    curvesSpec(
      curves,
      { title: 'Retrained slimmed networks: test accuracy' },
      { yTitle: 'test accuracy (%)', seriesTitle: 'run' },
    ),
  );
  writeFileAtomic(join(out, 'slim-retrain-curves.svg'), svg);
  writeFileAtomic(join(out, 'slim-retrain-curves.png'), svgToPng(svg));
  const md = [
    '# Retrained slimmed networks',
    '',
    'Channels with the smallest scores removed physically (`ticketlab slim --retrain`), the thinner dense ' +
      'network retrained from its surviving weights (slimmed) or from a fresh init (scratch). "Before ' +
      'retraining": the slimmed network as it was cut; "best": the highest test accuracy of the curve ' +
      '(what network slimming reports); "at early stop": at the minimum validation loss.',
    '',
    ...slimRetrainTable(rows),
    '',
    '![test accuracy while retraining](slim-retrain-curves.svg)',
    '',
  ];
  const path = join(out, 'slim-retrain.md');
  writeFileAtomic(path, md.join('\n'));
  return path;
}
