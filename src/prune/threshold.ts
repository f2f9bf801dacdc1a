/**
 * Threshold masks: how many weights to keep decided by a threshold on the trained values p instead of
 * a rate. The course project built on Zhou et al. keeps p where |p| > m + α·s, m and s the mean and
 * standard deviation of p over all parameters (biases included); its text takes m = mean |p|, its
 * code m = mean p — both are here (`centre`). A fixed magnitude threshold keeps |p| > value.
 *
 * Statistics are over the REMAINING entries of the pooled layers, in float64; s is the population
 * standard deviation (divided by n). The pool then loses every remaining weight with |p| ≤ t: with a
 * magnitude criterion (magnitude, large_final) that is exactly the mask |p| > t; with another
 * criterion, the same count of its lowest scores.
 */
import type { Masks, PrunableLayer, Weights } from './types.js';

export type ThresholdRule =
  { rule: 'std'; alpha: number; centre: 'abs-mean' | 'mean' } | { rule: 'value'; value: number };

export interface ThresholdStats {
  /** The threshold t: |p| > t is kept. */
  threshold: number;
  /** Remaining entries the statistics covered, and how many of them have |p| > t. */
  remaining: number;
  kept: number;
}

/** t and the counts for `rule` over the remaining trained values of `layers`. */
export function thresholdStats(
  layers: readonly PrunableLayer[],
  weights: Weights,
  masks: Masks,
  rule: ThresholdRule,
): ThresholdStats {
  const entries = layers.map((l) => {
    const w = weights.get(l.name);
    const m = masks.get(l.name);
    if (!w || !m) throw new RangeError(`no weights or mask for layer ${l.name}`);
    return { w, m };
  });
  let threshold: number;
  if (rule.rule === 'value') {
    if (!(rule.value >= 0)) throw new RangeError(`a magnitude threshold must be ≥ 0, got ${rule.value}`);
    threshold = rule.value;
  } else {
    let n = 0;
    let sum = 0;
    let sumAbs = 0;
    for (const { w, m } of entries)
      for (let i = 0; i < w.length; i++)
        if (m[i] !== 0) {
          n++;
          sum += w[i];
          sumAbs += Math.abs(w[i]);
        }
    if (n === 0) return { threshold: 0, remaining: 0, kept: 0 };
    const mean = sum / n;
    let squares = 0;
    for (const { w, m } of entries)
      for (let i = 0; i < w.length; i++) if (m[i] !== 0) squares += (w[i] - mean) ** 2;
    const std = Math.sqrt(squares / n);
    threshold = (rule.centre === 'abs-mean' ? sumAbs / n : mean) + rule.alpha * std;
  }
  let remaining = 0;
  let kept = 0;
  for (const { w, m } of entries)
    for (let i = 0; i < w.length; i++)
      if (m[i] !== 0) {
        remaining++;
        if (Math.abs(w[i]) > threshold) kept++;
      }
  return { threshold, remaining, kept };
}
