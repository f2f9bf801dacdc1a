/**
 * Desired vs actual prune ratio per round, counted from the stored masks (the walkthrough's table):
 * the desired ratio after round k is 1 − (1 − p)^k for the per-round rate p of the layer kind holding
 * most prunable weights (the fc rate for LeNets: a target r split into 5 rounds gives p = 1 − (1 −
 * r)^(1/5), so round 5 desires r); the actual one is 1 − kept / total over every pruned layer in the
 * unit's masks.safetensors. They differ because other kinds are pruned at other rates (LeNet's output
 * layer at half the rate) and because a rate of a layer's size rounds to whole weights.
 */
import { readTensorFile } from '../store/index.js';
import { findMasks } from './masks.js';
import type { RunSummary } from './schema.js';
import type { Cell, Table } from './tables.js';

/** Kept and total weights per tensor of a mask file. */
export type MaskCounts = Map<string, { kept: number; total: number }>;

export function countMaskFile(path: string): MaskCounts {
  const out: MaskCounts = new Map();
  for (const [name, t] of readTensorFile(path).tensors) {
    let kept = 0;
    for (let i = 0; i < t.data.length; i++) if (Number(t.data[i]) !== 0) kept++;
    out.set(name, { kept, total: t.data.length });
  }
  return out;
}

/** Where the counts come from: the run's mask files on disk, or anything else in tests. */
export interface MaskCounter {
  /** Mask files of a run (trial, level, condition, path). */
  find(runDir: string): { trial: number; level: number; condition: string; path: string }[];
  count(path: string): MaskCounts;
}

export const diskMaskCounter: MaskCounter = { find: findMasks, count: countMaskFile };

export interface PruneRatioRow {
  level: number;
  /** 1 − (1 − p)^level, p the main kind's per-round rate. */
  desired: number;
  /** 1 − kept/total over the mask's tensors. */
  actual: number;
  /** The same over the main kind's layers only. */
  actualMain: number;
  mainKind: string;
}

/** The kind with most prunable weights in the run's results, and its per-round rate from the config. */
function mainRate(summary: RunSummary): { kind: string; rate: number } | undefined {
  const sparsity = summary.results.find((r) => r.sparsity.length > 0)?.sparsity ?? [];
  const byKind = new Map<string, number>();
  for (const l of sparsity) byKind.set(l.kind, (byKind.get(l.kind) ?? 0) + l.total);
  const kind = [...byKind.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  const pruning = summary.config.pruning as { keep?: string; rates?: Record<string, number> } | undefined;
  const rate = kind ? pruning?.rates?.[kind] : undefined;
  if (kind === undefined || rate === undefined || (pruning?.keep ?? 'rate') !== 'rate') return undefined;
  return { kind, rate };
}

/**
 * One row per pruned level of the first trial's ticket, or undefined where the table does not apply
 * (no pruned level, keep by threshold, no mask files).
 */
export function pruneRatioRows(
  summary: RunSummary,
  masks: MaskCounter = diskMaskCounter,
): PruneRatioRow[] | undefined {
  const main = mainRate(summary);
  if (!main) return undefined;
  const trial = Math.min(...summary.results.map((r) => r.trial));
  // runs with explicit densities (--densities) aim at those, not at the rates' ladder
  const densities = summary.config.densities as number[] | undefined;
  const kinds = new Map(summary.results.flatMap((r) => r.sparsity.map((l) => [l.layer, l.kind] as const)));
  const rows: PruneRatioRow[] = [];
  for (const f of masks.find(summary.dir)) {
    if (f.trial !== trial || f.level === 0 || f.condition !== 'ticket') continue;
    const counts = [...masks.count(f.path).entries()];
    const sum = (xs: typeof counts) => xs.reduce((a, [, c]) => [a[0] + c.kept, a[1] + c.total], [0, 0]);
    const [kept, total] = sum(counts);
    const [keptMain, totalMain] = sum(counts.filter(([name]) => kinds.get(name) === main.kind));
    rows.push({
      level: f.level,
      desired:
        densities?.[f.level - 1] !== undefined ? 1 - densities[f.level - 1] : 1 - (1 - main.rate) ** f.level,
      actual: 1 - kept / total,
      actualMain: totalMain > 0 ? 1 - keptMain / totalMain : Number.NaN,
      mainKind: main.kind,
    });
  }
  return rows.length > 0 ? rows.sort((a, b) => a.level - b.level) : undefined;
}

const pct = (v: Cell) => (typeof v === 'number' ? `${(100 * v).toFixed(2)}%` : String(v));
const signedPoints = (v: Cell) =>
  typeof v === 'number' ? `${v >= 0 ? '+' : ''}${(100 * v).toFixed(2)}` : String(v);

/** Columns first (e.g. the run's method and target), then round, desired, actual, difference. */
export function pruneRatioTable(
  groups: { key: Cell[]; rows: PruneRatioRow[] }[],
  keyColumns: string[],
): Table {
  const mainKind = groups[0]?.rows[0]?.mainKind ?? 'fc';
  return {
    columns: [
      ...keyColumns.map((title) => ({ title })),
      { title: 'round', align: 'right' as const },
      { title: 'desired pruned', csv: 'desired', align: 'right' as const, format: pct },
      { title: 'actual pruned (masks)', csv: 'actual', align: 'right' as const, format: pct },
      {
        title: `actual, ${mainKind} layers`,
        csv: `actual_${mainKind}`,
        align: 'right' as const,
        format: pct,
      },
      {
        title: 'actual − desired (points)',
        csv: 'difference',
        align: 'right' as const,
        format: signedPoints,
      },
    ],
    rows: groups.flatMap((g) =>
      g.rows.map((r) => [...g.key, r.level, r.desired, r.actual, r.actualMain, r.actual - r.desired]),
    ),
  };
}
