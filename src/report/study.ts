/**
 * The tables of `reproduce resnet20-pruning-study` (experiments/study-preset.ts): each experiment's
 * accuracies before retraining (@w0, @w(t−1)) and after, beside the study's and Renda et al.'s numbers
 * (study-numbers.ts). Means over trials; "after" is the test accuracy at early stopping (minimum
 * validation loss), the study's is its best test accuracy over training.
 */
import { RENDA_METHODS, studyRunTag } from '../experiments/study-preset.js';
import { beforeRetrainingLabel } from '../lottery/before-retraining.js';
import type { RunSummary } from '../lottery/summary.js';
import { formatPercentRemaining } from './paper.js';
import { keptOf } from './fraction-table.js';
import { RENDA, STUDY, rendaRowNear } from './study-numbers.js';
import type { Cell, Table } from './tables.js';

/** One level of one study run: the ticket's results, averaged over trials. */
export interface StudyPoint {
  experiment: string;
  variant: string;
  level: number;
  /** Fraction of all maskable weights remaining (the summary's fractionRemaining; the fc layer included). */
  fraction: number;
  /**
   * Fraction remaining of the kinds the run prunes (a rate > 0: the conv weights), the density Renda's
   * and the study's numbers are given at; the same as `fraction` when the summary does not say.
   */
  prunedFraction: number;
  /** Test accuracy of the mask on the trained weights it was pruned from, untrained (0-1). */
  beforeRetraining?: number;
  /** 0 = @w0, otherwise @w(t−1). */
  sourceLevel?: number;
  /** Test accuracy at early stopping after retraining (0-1). */
  after: number;
  final: number;
  trials: number;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Kept / total over the layers of the kinds `summary` prunes, or the result's own fraction. */
function prunedFraction(summary: RunSummary, r: RunSummary['results'][number]): number {
  const rates = (summary.config?.pruning as { rates?: Record<string, number> } | undefined)?.rates ?? {};
  const { kept, total } = keptOf((r.sparsity ?? []).filter((l) => (rates[l.kind] ?? 0) > 0));
  return total > 0 ? kept / total : r.fractionRemaining;
}

/** The ticket's points of every study run among `summaries`, in run order then level order. */
export function studyPoints(summaries: readonly RunSummary[]): StudyPoint[] {
  const points: StudyPoint[] = [];
  for (const s of summaries) {
    const tag = studyRunTag(s.name);
    if (!tag) continue;
    const tickets = s.results.filter((r) => r.condition === 'ticket');
    for (const level of [...new Set(tickets.map((r) => r.level))].sort((a, b) => a - b)) {
      const rs = tickets.filter((r) => r.level === level);
      const before = rs.filter((r) => r.beforeRetraining);
      points.push({
        ...tag,
        level,
        fraction: mean(rs.map((r) => r.fractionRemaining)),
        prunedFraction: mean(rs.map((r) => prunedFraction(s, r))),
        ...(before.length
          ? {
              beforeRetraining: mean(before.map((r) => r.beforeRetraining!.testAccuracy)),
              sourceLevel: before[0].beforeRetraining!.sourceLevel,
            }
          : {}),
        after: mean(rs.map((r) => r.testAccuracyAtEarlyStop)),
        final: mean(rs.map((r) => r.finalTestAccuracy)),
        trials: rs.length,
      });
    }
  }
  return points;
}

const pct = (v: Cell) => (typeof v === 'number' ? (v * 100).toFixed(2) : String(v));
const published = (v: Cell) => (typeof v === 'number' ? v.toFixed(2) : String(v));
const remaining = (v: Cell) => (typeof v === 'number' ? formatPercentRemaining(v * 100) : String(v));
const right = { align: 'right' as const };

/** Experiment 1: one-shot pruning by 50 / 70 / 90%, @w0 and after, beside the study's. */
export function oneShotTable(points: readonly StudyPoint[]): Table | undefined {
  const own = points.filter((p) => p.experiment === 'one-shot');
  if (!own.length) return undefined;
  const dense = own.find((p) => p.level === 0);
  const rows: Cell[][] = [
    ['dense', dense?.fraction ?? 1, null, null, STUDY.dense, dense?.after ?? null, dense?.final ?? null],
  ];
  STUDY.oneShot.forEach((study, i) => {
    const p = own.find((x) => x.level === i + 1);
    rows.push([
      `${Math.round(study.pruned * 100)}%`,
      p?.fraction ?? null,
      study.beforeRetraining,
      p?.beforeRetraining ?? null,
      study.after,
      p?.after ?? null,
      p?.final ?? null,
    ]);
  });
  return {
    columns: [
      { title: 'conv weights pruned', csv: 'pruned' },
      { title: '% remaining (ours)', csv: 'fraction_remaining', format: remaining, ...right },
      { title: 'study @w0 %', csv: 'study_before_retraining', format: published, ...right },
      { title: 'ours @w0 %', csv: 'before_retraining', format: pct, ...right },
      { title: 'study after %', csv: 'study_after', format: published, ...right },
      { title: 'ours after (test @ES) %', csv: 'after', format: pct, ...right },
      { title: 'ours final %', csv: 'final', format: pct, ...right },
    ],
    rows,
  };
}

/** Experiment 2: the lottery runs' rounds, @w0 / @w(t−1) and after, with the study's last rounds. */
export function lotteryTable(points: readonly StudyPoint[]): Table | undefined {
  const own = points.filter((p) => p.experiment === 'lottery');
  if (!own.length) return undefined;
  const rows: Cell[][] = own.map((p) => {
    const pruned = Number(p.variant.replace('pruned', '')) / 100;
    const last = own.filter((x) => x.variant === p.variant).every((x) => x.level <= p.level);
    return [
      `${Math.round(pruned * 100)}%`,
      p.level === 0 ? 'dense' : p.level,
      p.fraction,
      p.sourceLevel === undefined ? '—' : beforeRetrainingLabel(p.sourceLevel),
      p.beforeRetraining ?? null,
      p.after,
      p.final,
      p.level === 0 ? STUDY.dense : last && p.level > 0 ? (STUDY.lotteryFinal[pruned] ?? '—') : '—',
    ];
  });
  return {
    columns: [
      { title: 'target pruned', csv: 'target_pruned' },
      { title: 'round', csv: 'round', ...right },
      { title: '% remaining', csv: 'fraction_remaining', format: remaining, ...right },
      { title: 'before retraining', csv: 'pruned_at' },
      { title: 'ours before %', csv: 'before_retraining', format: pct, ...right },
      { title: 'ours after (test @ES) %', csv: 'after', format: pct, ...right },
      { title: 'ours final %', csv: 'final', format: pct, ...right },
      { title: 'study %', csv: 'study', format: published, ...right },
    ],
    rows,
  };
}

/** Experiment 3: our three retraining methods per level, and Renda's at the same density. */
export function rendaTable(points: readonly StudyPoint[]): Table | undefined {
  const own = points.filter((p) => p.experiment === 'renda');
  if (!own.length) return undefined;
  const levels = [...new Set(own.map((p) => p.level))].sort((a, b) => a - b);
  const rows: Cell[][] = levels.map((level) => {
    const at = (m: string) => own.find((p) => p.level === level && p.variant === m);
    const atLevel = own.filter((p) => p.level === level);
    const fraction = mean(atLevel.map((p) => p.fraction));
    // Renda's densities are of the pruned (conv) weights; the unpruned fc layer lifts `fraction`
    const prunedFraction = mean(atLevel.map((p) => p.prunedFraction));
    const renda = level === 0 ? undefined : rendaRowNear(prunedFraction);
    return [
      level,
      fraction,
      prunedFraction,
      ...RENDA_METHODS.map((m) => at(m)?.after ?? null),
      level === 0 ? 'dense' : (renda?.density ?? '—'),
      ...RENDA_METHODS.map((m) => (level === 0 ? RENDA.dense : (renda?.[m] ?? null))),
    ];
  });
  return {
    columns: [
      { title: 'level', csv: 'level', ...right },
      { title: '% remaining', csv: 'fraction_remaining', format: remaining, ...right },
      { title: 'conv % remaining', csv: 'pruned_fraction_remaining', format: remaining, ...right },
      ...RENDA_METHODS.map((m) => ({ title: `ours ${m} %`, csv: m, format: pct, ...right })),
      { title: 'Renda density', csv: 'renda_density', ...right },
      ...RENDA_METHODS.map((m) => ({
        title: `Renda ${m} %`,
        csv: `renda_${m}`,
        format: published,
        ...right,
      })),
    ],
    rows,
  };
}

/**
 * Runs that trained the same dense network at level 0: their number, and whether their level-0 test
 * accuracies agree (they should, bit for bit, at the same thread count).
 */
export function denseDuplicates(points: readonly StudyPoint[]): { runs: number; agree: boolean } {
  const dense = points.filter((p) => p.level === 0);
  return { runs: dense.length, agree: new Set(dense.map((p) => p.final)).size <= 1 };
}
