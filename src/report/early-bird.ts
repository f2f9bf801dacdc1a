/**
 * Early-Bird tickets in the report (units trained with `--early-bird`): for each watched prune ratio,
 * the epochs × epochs normalized Hamming distance between the BatchNorm channel masks drawn at the
 * start of every epoch (You et al. 2020, Figure 2), and the curve the detector decides on — at each
 * epoch, the largest distance of its mask to the previous window − 1 (= 4) masks — with the threshold
 * ε = 0.1 and the epoch it fired at (the first epoch whose curve value is at most ε).
 */
import { join } from 'node:path';
import { describeEarlyBirdStop, earlyBirdStopDetail } from '../lottery/early-bird-unit.js';
import type { LevelResult, RunSummary } from '../lottery/summary.js';
import { writeFileAtomic } from '../store/index.js';
import { maskDistance } from '../train/early-bird.js';
import { type EarlyBirdRecord, unpackMask } from '../train/early-bird-record.js';
import { CHART_CONFIG, type TopLevelSpec } from './charts.js';
import { renderSvg, svgToPng } from './svg.js';

export interface EarlyBirdFigureData {
  ratio: number;
  epochs: number[];
  /** matrix[i][j]: the distance between the masks of epochs[i] and epochs[j]. */
  matrix: number[][];
  /** From the epoch the window is first full: the largest distance to the previous window − 1 masks. */
  curve: { epoch: number; maxDistance: number }[];
  threshold: number;
  /** The first epoch whose curve value is at most the threshold (what the detector fires at), or null. */
  firedAt: number | null;
  /** What the detector recorded while training (equal to firedAt unless the record is inconsistent). */
  recordedFiredAt: number | null;
}

/** The figures' data for one ratio of a unit's record. */
export function earlyBirdFigureData(record: EarlyBirdRecord, ratio: number): EarlyBirdFigureData {
  const entry = record.ratios.find((r) => r.ratio === ratio);
  if (!entry) throw new RangeError(`no early-bird masks of ratio ${ratio}`);
  const masks = entry.masks.map((m) => unpackMask(m, record.channels));
  const matrix = masks.map((a) => masks.map((b) => maskDistance(a, b)));
  const curve: EarlyBirdFigureData['curve'] = [];
  for (let i = record.window - 1; i < masks.length; i++) {
    let max = 0;
    for (let j = i - record.window + 1; j < i; j++) max = Math.max(max, matrix[i][j]);
    curve.push({ epoch: record.epochs[i], maxDistance: max });
  }
  const fired = curve.find((p) => p.maxDistance <= record.epsilon);
  return {
    ratio,
    epochs: [...record.epochs],
    matrix,
    curve,
    threshold: record.epsilon,
    firedAt: fired?.epoch ?? null,
    recordedFiredAt: entry.firedAt,
  };
}

const header = { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', config: CHART_CONFIG };

/** The distance matrices, one heat map per ratio, on one colour scale from 0 to 1. */
export function distanceMatrixSpec(data: readonly EarlyBirdFigureData[], title: string): TopLevelSpec {
  const values = data.flatMap((d) =>
    d.matrix.flatMap((row, i) =>
      row.map((distance, j) => ({ ratio: `p = ${d.ratio}`, a: d.epochs[i], b: d.epochs[j], distance })),
    ),
  );
  const side = Math.max(120, Math.min(260, 8 * (data[0]?.epochs.length ?? 0)));
  return {
    ...header,
    title: { text: title, subtitle: 'normalized Hamming distance between the channel masks of two epochs' },
    data: { values },
    facet: { column: { field: 'ratio', type: 'nominal', title: null } },
    spec: {
      width: side,
      height: side,
      mark: { type: 'rect' },
      encoding: {
        x: { field: 'a', type: 'ordinal', title: 'epoch', axis: { labelOverlap: 'parity' } },
        y: {
          field: 'b',
          type: 'ordinal',
          title: 'epoch',
          sort: 'descending',
          axis: { labelOverlap: 'parity' },
        },
        color: {
          field: 'distance',
          type: 'quantitative',
          title: 'distance',
          scale: { scheme: 'viridis', domain: [0, 1], reverse: true },
        },
      },
    },
  } as TopLevelSpec;
}

/**
 * The detector's curve per ratio, the threshold as a rule and the epoch it fired at as a point; with
 * `stop` (a unit `--early-bird-stop` stopped), a labelled vertical rule at the epoch training stopped.
 */
export function detectorCurveSpec(
  data: readonly EarlyBirdFigureData[],
  title: string,
  stop?: { ratio: number; epoch: number },
): TopLevelSpec {
  const points = data.flatMap((d) => d.curve.map((p) => ({ ratio: `p = ${d.ratio}`, ...p })));
  const fired = data.flatMap((d) =>
    d.firedAt === null
      ? []
      : [
          {
            ratio: `p = ${d.ratio}`,
            epoch: d.firedAt,
            maxDistance: d.curve.find((p) => p.epoch === d.firedAt)!.maxDistance,
          },
        ],
  );
  const threshold = data[0]?.threshold ?? 0.1;
  const stopLabel = stop && `training stopped here: epoch ${stop.epoch} (p = ${stop.ratio})`;
  const stopLayers = stop
    ? [
        {
          data: { values: [{ epoch: stop.epoch, label: stopLabel }] },
          mark: { type: 'rule', strokeDash: [2, 2], strokeWidth: 2, color: '#d62728' },
          encoding: { x: { field: 'epoch', type: 'quantitative' } },
        },
        {
          data: { values: [{ epoch: stop.epoch, label: stopLabel }] },
          mark: { type: 'text', align: 'right', dx: -4, y: 8, color: '#d62728', fontSize: 11 },
          encoding: { x: { field: 'epoch', type: 'quantitative' }, text: { field: 'label' } },
        },
      ]
    : [];
  const subtitle = `largest distance of each epoch's mask to the previous 4; early bird at the first ≤ ${threshold}`;
  return {
    ...header,
    title: {
      text: title,
      subtitle: stop
        ? [
            subtitle,
            `red dotted line: --early-bird-stop ${stop.ratio} stopped training at epoch ${stop.epoch}`,
          ]
        : subtitle,
    },
    width: 360,
    height: 200,
    layer: [
      {
        data: { values: points },
        mark: { type: 'line', strokeWidth: 2, point: true },
        encoding: {
          x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
          y: { field: 'maxDistance', type: 'quantitative', title: 'max distance to the last 4 masks' },
          color: { field: 'ratio', type: 'nominal', title: 'prune ratio' },
        },
      },
      {
        data: { values: [{ threshold }] },
        mark: { type: 'rule', strokeDash: [4, 3], color: '#888' },
        encoding: { y: { field: 'threshold', type: 'quantitative' } },
      },
      {
        data: { values: fired },
        mark: { type: 'point', shape: 'diamond', size: 120, filled: true },
        encoding: {
          x: { field: 'epoch', type: 'quantitative' },
          y: { field: 'maxDistance', type: 'quantitative' },
          color: { field: 'ratio', type: 'nominal' },
        },
      },
      ...stopLayers,
    ],
  } as TopLevelSpec;
}

/** The unit a run's early-bird figures show: trial 0's dense ticket when recorded, else the first. */
function recordedUnit(s: RunSummary): LevelResult | undefined {
  const withRecord = s.results.filter((r) => r.earlyBird);
  return withRecord.find((r) => r.trial === 0 && r.level === 0 && r.condition === 'ticket') ?? withRecord[0];
}

const epochText = (e: number | null) => (e === null ? 'not found' : `epoch ${e}`);

/**
 * Writes early-bird.md and, per run with a record, early-bird-<k>-distances and -curve (SVG and PNG)
 * into `out`. Null when no unit recorded early-bird masks.
 */
export async function writeEarlyBirdReport(summaries: RunSummary[], out: string): Promise<string | null> {
  const runs = summaries.flatMap((s) => {
    const unit = recordedUnit(s);
    return unit ? [{ s, unit, record: unit.earlyBird! }] : [];
  });
  if (!runs.length) return null;
  const md = [
    '# Early-Bird tickets',
    '',
    'The BatchNorm channel mask of each prune ratio p (global |γ| threshold) drawn at the start of every ' +
      'epoch; an early-bird ticket when the newest mask is within normalized Hamming distance ε of each of ' +
      'the previous 4 (You et al., ICLR 2020).',
    '',
    '| run | unit | channels | epochs | p | early bird |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  const figures: string[] = [];
  const stops: string[] = [];
  for (const [k, { s, unit, record }] of runs.entries()) {
    const data = record.ratios.map((r) => earlyBirdFigureData(record, r.ratio));
    const label = `trial ${unit.trial} level ${unit.level} ${unit.condition}`;
    const stop = earlyBirdStopDetail(unit);
    if (stop) stops.push(`${s.name}, ${label}: ${describeEarlyBirdStop(stop)}.`);
    for (const d of data)
      md.push(
        `| ${s.name} | ${label} | ${record.channels} | ${record.epochs.length} | ${d.ratio} | ${epochText(d.firedAt)} |`,
      );
    for (const [kind, spec] of [
      ['distances', distanceMatrixSpec(data, `Mask distances between epochs: ${s.name}`)],
      ['curve', detectorCurveSpec(data, `Early-Bird detector: ${s.name}`, stop)],
    ] as const) {
      const svg = await renderSvg(spec);
      const file = `early-bird-${k}-${kind}`;
      writeFileAtomic(join(out, `${file}.svg`), svg);
      writeFileAtomic(join(out, `${file}.png`), svgToPng(svg));
      figures.push(`![${kind} of ${s.name}](${file}.svg)`);
    }
  }
  // where --early-bird-stop stopped a unit (the red dotted line of its curve figure)
  if (stops.length) md.push('', ...stops.flatMap((t) => [t, '']));
  md.push('', ...figures.flatMap((f) => [f, '']));
  const path = join(out, 'early-bird.md');
  writeFileAtomic(path, md.join('\n'));
  return path;
}
