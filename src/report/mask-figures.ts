/**
 * Mask pictures of an experiment, as report model: for an MLP whose first layer sees an image, heat
 * maps of surviving connections per input pixel (a chart, with the counts as CSV tables) and grids
 * of per-unit masks (PNG). Reads masks only through the MaskReader it is given.
 */
import { heatmapSpec, type HeatmapPanel } from './charts.js';
import { maskGridSpec } from './mask-grid-chart.js';
import {
  GRID_COLORS,
  imageShapeFor,
  maskGridPng,
  maskHeatmap,
  sampleUnits,
  type LayerMask,
  type MaskReader,
} from './masks.js';
import { figurePath, tablePath, type ExperimentReport, type Figure, type NamedTable } from './model.js';
import { formatPercentRemaining } from './paper.js';
import { conditionsOf, pickLevels } from './stats.js';
import type { Table } from './tables.js';

/** Targets for "a few levels" (the paper's Figure 3 levels, without the dense one). */
const MASK_LEVELS = [51.3, 21.1, 7.0, 3.6];
/** Screen pixels per mask pixel, and between unit images, in the per-unit grids. */
const GRID_SCALE = 3;
const GRID_GAP = 2;

/** The figures, the heat maps' count tables, or a note saying why there are none. */
export function maskFigures(
  e: ExperimentReport,
  masks: MaskReader,
  subtitle: string[],
): { figures: Figure[]; tables: NamedTable[]; note?: string } {
  const { summary: s, labels } = e;
  const files = masks.find(s.dir);
  if (files.length === 0)
    return { figures: [], tables: [], note: `No mask files were found under ${s.dir}.` };
  const trial = Math.min(...files.map((f) => f.trial));
  const mine = files.filter((f) => f.trial === trial);

  // the first layer: its inputs are the model's input size
  const inputShape = s.config.inputShape;
  let inputs: number | undefined;
  if (Array.isArray(inputShape) && inputShape.every((d) => Number.isInteger(d)) && inputShape.length > 0) {
    inputs = (inputShape as number[]).reduce((a, b) => a * b, 1);
  }
  const probe = masks.firstLayer(mine[0].path, inputs);
  if (!probe) {
    return {
      figures: [],
      tables: [],
      note: 'Mask pictures are drawn for multilayer perceptrons whose first layer sees an image; this model has none.',
    };
  }
  const imageShape = imageShapeFor(s.config, probe.shape[1]);
  if (!imageShape) {
    return {
      figures: [],
      tables: [],
      note: `The first layer (${probe.name}, ${probe.shape[1]} inputs) does not see a single-channel 2-D image; no mask pictures.`,
    };
  }
  const inputsN = probe.shape[1];

  const percentOf = (condition: string, level: number, mask: LayerMask) =>
    e.aggs.find((a) => a.condition === condition && a.level === level)?.percentRemaining ??
    (mask.data.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0) / mask.data.length) * 100;

  const ticketCond = mine.some((f) => f.condition === 'ticket') ? 'ticket' : mine[0].condition;
  const ticketFiles = mine.filter((f) => f.condition === ticketCond);
  const loaded = new Map<string, LayerMask>();
  const load = (path: string) => {
    let m = loaded.get(path);
    if (!m) {
      m = masks.firstLayer(path, inputsN);
      if (m) loaded.set(path, m);
    }
    return m;
  };
  const levelPercents = ticketFiles
    .map((f) => {
      const m = load(f.path);
      return m ? { level: f.level, percent: percentOf(ticketCond, f.level, m) } : undefined;
    })
    .filter((x): x is { level: number; percent: number } => x !== undefined);
  const pruned = levelPercents.filter((l) => l.percent < 99.999);
  const pool = pruned.length > 0 ? pruned : levelPercents;
  const levels = pool.length <= MASK_LEVELS.length ? pool : pickLevels(pool, MASK_LEVELS, 100);

  const panels: HeatmapPanel[] = [];
  const tables: NamedTable[] = [];
  const conditions = [ticketCond, ...conditionsOf(mine).filter((c) => c !== ticketCond)];
  for (const c of conditions) {
    for (const l of levels) {
      const f = mine.find((x) => x.condition === c && x.level === l.level);
      if (!f) continue;
      const m = load(f.path);
      if (!m) continue;
      if (c !== ticketCond) {
        // the same mask as the ticket's (random re-initialization) adds nothing
        const t = ticketFiles.find((x) => x.level === l.level);
        const tm = t && load(t.path);
        if (tm && tm.data.length === m.data.length && tm.data.every((v, i) => v === m.data[i])) continue;
      }
      const counts = maskHeatmap(m.data, m.shape, imageShape);
      const pct = percentOf(c, l.level, m);
      panels.push({
        row: c,
        title: [c, `level ${l.level} · ${formatPercentRemaining(pct)} remaining`],
        imageShape,
        counts,
        max: Math.max(...counts),
      });
      const [h, wd] = imageShape;
      const table: Table = {
        columns: Array.from({ length: wd }, (_, x) => ({ title: `x${x}`, align: 'right' as const })),
        rows: Array.from({ length: h }, (_, y) => Array.from(counts.subarray(y * wd, (y + 1) * wd))),
      };
      const id = `${labels.slug}-heatmap-${c}-level-${String(l.level).padStart(2, '0')}`;
      tables.push({
        id,
        title: `Surviving ${m.name} connections per input pixel, ${c}, level ${l.level}`,
        table,
        csv: tablePath(id, 'csv'),
      });
    }
  }
  const figures: Figure[] = [];
  const out = probe.shape[0];
  if (panels.length > 0) {
    const id = `${labels.slug}-mask-heatmap`;
    figures.push({
      id,
      title: `First-layer mask as a heat map (${probe.name}, trial ${trial})`,
      caption:
        `Each ${imageShape[0]}×${imageShape[1]} image counts, for every input pixel, how many of the ${out} hidden units still connect to it. ` +
        `All panels share one colour scale (one legend), so equal colours are equal counts. Rows are conditions whose masks differ (random re-initialization shares the ticket's mask).`,
      svg: figurePath(id, 'svg'),
      png: figurePath(id, 'png'),
      spec: heatmapSpec(
        panels,
        {
          title: `Surviving ${probe.name} connections per input pixel`,
          subtitle: [...subtitle, `trial ${trial}`],
        },
        `units still connected (of ${out})`,
      ),
      group: 'mask',
    });
  }
  const units = sampleUnits(out, 64);
  for (const l of levels) {
    const f = ticketFiles.find((x) => x.level === l.level);
    const m = f && load(f.path);
    if (!m) continue;
    const grid = maskGridPng(m.data, m.shape, imageShape, {
      units,
      columns: 8,
      scale: GRID_SCALE,
      gap: GRID_GAP,
    });
    const id = `${labels.slug}-mask-units-level-${String(l.level).padStart(2, '0')}`;
    const shown =
      units.length === out
        ? `all ${out} units`
        : `${units.length} of ${out} units (${units.slice(0, 4).join(', ')}, … ${units[units.length - 1]}, evenly spaced)`;
    const title = `Per-unit masks of ${m.name}, ${ticketCond}, level ${l.level} (${formatPercentRemaining(l.percent)} of all weights)`;
    const rgb = (c: readonly number[]) => `rgb(${c.join(',')})`;
    figures.push({
      id,
      title,
      caption: `One ${imageShape[0]}×${imageShape[1]} image per hidden unit, ${shown}, left to right then top to bottom; dark pixels are inputs the unit still sees. Trial ${trial}.`,
      svg: figurePath(id, 'svg'),
      png: figurePath(id, 'png'),
      // a figure of its own: title, axes naming the units and a legend of the two colours
      spec: maskGridSpec(
        {
          ...grid,
          tile: [imageShape[1] * GRID_SCALE, imageShape[0] * GRID_SCALE],
          gap: GRID_GAP,
          kept: rgb(GRID_COLORS.kept),
          pruned: rgb(GRID_COLORS.pruned),
        },
        { title, subtitle: [...subtitle, `trial ${trial} · ${shown}`] },
      ),
      group: 'mask',
    });
  }
  return { figures, tables };
}
