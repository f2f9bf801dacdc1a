/**
 * Aggregates across trials: per (condition, level) statistics, mean training curves with their
 * min–max envelope, the dense baseline and level lookup by percent remaining.
 */
import type { LevelResult, RunSummary } from './schema.js';

/** Mean, minimum and maximum of a sample (the paper's error bars are min and max across trials). */
export interface Stat {
  mean: number;
  min: number;
  max: number;
  n: number;
}

export function stat(values: readonly number[]): Stat {
  if (values.length === 0) return { mean: NaN, min: NaN, max: NaN, n: 0 };
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { mean: sum / values.length, min, max, n: values.length };
}

/** Scales a statistic (e.g. fractions to percentages). */
export function scaleStat(s: Stat, k: number): Stat {
  return { mean: s.mean * k, min: s.min * k, max: s.max * k, n: s.n };
}

/** One (condition, level) across trials. Accuracies are percentages. */
export interface LevelAggregate {
  condition: string;
  level: number;
  /** Mean over trials of fractionRemaining × 100. */
  percentRemaining: number;
  trials: number;
  earlyStopIteration: Stat;
  validationLossAtEarlyStop: Stat;
  testAccuracyAtEarlyStop: Stat;
  finalTestAccuracy: Stat;
  /** Present when every trial reports it. */
  trainAccuracyAtEarlyStop?: Stat;
  finalTrainAccuracy?: Stat;
  iterations: Stat;
  wallSeconds: Stat;
}

const PREFERRED_ORDER = ['dense', 'ticket', 'one-shot', 'random-reinit', 'random-prune'];

/** Conditions in a stable order: known ones first (dense, ticket, ...), then others as they appear. */
export function conditionsOf(results: readonly { condition: string }[]): string[] {
  const seen: string[] = [];
  for (const r of results) if (!seen.includes(r.condition)) seen.push(r.condition);
  const known = PREFERRED_ORDER.filter((c) => seen.includes(c));
  return [...known, ...seen.filter((c) => !PREFERRED_ORDER.includes(c))];
}

function optionalStat(
  rs: readonly LevelResult[],
  pick: (r: LevelResult) => number | undefined,
): Stat | undefined {
  const values = rs.map(pick);
  if (values.some((v) => v === undefined)) return undefined;
  return scaleStat(stat(values as number[]), 100);
}

/** Groups results by condition and level; sorted by condition order, then level. */
export function aggregateLevels(results: readonly LevelResult[]): LevelAggregate[] {
  const groups = new Map<string, LevelResult[]>();
  for (const r of results) {
    const key = `${r.condition}\u0000${r.level}`;
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  const order = conditionsOf(results);
  const out: LevelAggregate[] = [];
  for (const rs of groups.values()) {
    out.push({
      condition: rs[0].condition,
      level: rs[0].level,
      percentRemaining: stat(rs.map((r) => r.fractionRemaining)).mean * 100,
      trials: new Set(rs.map((r) => r.trial)).size,
      earlyStopIteration: stat(rs.map((r) => r.earlyStopIteration)),
      validationLossAtEarlyStop: stat(rs.map((r) => r.validationLossAtEarlyStop)),
      testAccuracyAtEarlyStop: scaleStat(stat(rs.map((r) => r.testAccuracyAtEarlyStop)), 100),
      finalTestAccuracy: scaleStat(stat(rs.map((r) => r.finalTestAccuracy)), 100),
      trainAccuracyAtEarlyStop: optionalStat(rs, (r) => r.trainAccuracyAtEarlyStop),
      finalTrainAccuracy: optionalStat(rs, (r) => r.finalTrainAccuracy),
      iterations: stat(rs.map((r) => r.iterations)),
      wallSeconds: stat(rs.map((r) => r.wallSeconds)),
    });
  }
  out.sort((a, b) => order.indexOf(a.condition) - order.indexOf(b.condition) || a.level - b.level);
  return out;
}

/** A training curve across trials: at each evaluated iteration, the mean, min and max. */
export interface CurvePoint extends Stat {
  iteration: number;
}

export type CurveMetric =
  'testAccuracy' | 'validationAccuracy' | 'validationLoss' | 'testLoss' | 'trainAccuracy';

/**
 * Aggregates the curves of several trials by iteration (accuracies as percentages). Iterations
 * evaluated by only some trials are kept, with n telling how many.
 */
export function aggregateCurve(
  results: readonly LevelResult[],
  metric: CurveMetric,
  smoothing = 0,
): CurvePoint[] {
  const by = new Map<number, number[]>();
  for (const r of results) {
    const points = r.curve.filter((p) => p[metric] !== undefined);
    const values = smoothSeries(
      points.map((p) => p[metric]!),
      smoothing,
    );
    points.forEach((p, i) => {
      const list = by.get(p.iteration);
      if (list) list.push(values[i]);
      else by.set(p.iteration, [values[i]]);
    });
  }
  const k = metric.endsWith('Accuracy') ? 100 : 1;
  return [...by.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([iteration, vs]) => ({ iteration, ...scaleStat(stat(vs), k) }));
}

/**
 * An exponential moving average (TensorBoard's and wandb's curve smoothing): s₀ = v₀,
 * sᵢ = w·sᵢ₋₁ + (1 − w)·vᵢ; weight 0 returns the values unchanged. Each trial's curve is smoothed
 * before trials are aggregated.
 */
export function smoothSeries(values: readonly number[], weight: number): number[] {
  if (!(weight >= 0 && weight < 1)) throw new RangeError(`smoothing weight ${weight} is not in [0, 1)`);
  if (weight === 0) return [...values];
  const out: number[] = [];
  for (const v of values) out.push(out.length === 0 ? v : weight * out[out.length - 1] + (1 - weight) * v);
  return out;
}

/** True for a level with all weights remaining. */
export function isFull(a: LevelAggregate): boolean {
  return a.percentRemaining >= 99.999;
}

/**
 * The dense network: the 'dense' condition if the run has one, else the ticket (or any condition)
 * at 100% remaining — level 0 of a lottery run is the dense network.
 */
export function denseBaseline(aggs: readonly LevelAggregate[]): LevelAggregate | undefined {
  return (
    aggs.find((a) => a.condition === 'dense') ??
    aggs.find((a) => a.condition === 'ticket' && isFull(a)) ??
    aggs.find(isFull)
  );
}

/** The level of `condition` whose percent remaining is nearest `percent` (by ratio, i.e. on a log scale). */
export function nearestLevel(
  aggs: readonly LevelAggregate[],
  condition: string,
  percent: number,
): LevelAggregate | undefined {
  let best: LevelAggregate | undefined;
  let bestDist = Infinity;
  for (const a of aggs) {
    if (a.condition !== condition) continue;
    const d = Math.abs(Math.log(a.percentRemaining / percent));
    if (d < bestDist) {
      best = a;
      bestDist = d;
    }
  }
  return best;
}

/**
 * Picks up to one level per target percent (nearest by ratio, no repeats), keeping those within a
 * factor `tolerance` of a target; returns levels sorted from dense to sparse.
 */
export function pickLevels(
  percents: readonly { level: number; percent: number }[],
  targets: readonly number[],
  tolerance = 1.6,
): { level: number; percent: number }[] {
  const chosen = new Map<number, { level: number; percent: number }>();
  for (const t of targets) {
    let best: { level: number; percent: number } | undefined;
    let bestDist = Infinity;
    for (const p of percents) {
      if (chosen.has(p.level)) continue;
      const d = Math.abs(Math.log(p.percent / t));
      if (d < bestDist) {
        best = p;
        bestDist = d;
      }
    }
    if (best && bestDist <= Math.log(tolerance)) chosen.set(best.level, best);
  }
  return [...chosen.values()].sort((a, b) => b.percent - a.percent);
}

/** The distinct levels of a summary with their mean percent remaining, dense first. */
export function levelsOf(summary: RunSummary, condition?: string): { level: number; percent: number }[] {
  const by = new Map<number, number[]>();
  for (const r of summary.results) {
    if (condition !== undefined && r.condition !== condition) continue;
    const l = by.get(r.level);
    if (l) l.push(r.fractionRemaining);
    else by.set(r.level, [r.fractionRemaining]);
  }
  return [...by.entries()]
    .map(([level, fs]) => ({ level, percent: stat(fs).mean * 100 }))
    .sort((a, b) => b.percent - a.percent || a.level - b.level);
}
