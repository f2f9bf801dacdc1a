/**
 * "Collapsed to chance": training that ran without a numeric blow-up but left the network no better
 * than guessing (e.g. LeNet-300-100 with `--lr 0.2 --warmup 400`: the loss stays finite, accuracy
 * sits at 1/classes). The divergence check cannot see it, so the curve is checked after training.
 *
 * Definition: the last COLLAPSE_WINDOW evaluations after iteration 0 all have a validation accuracy
 * at most 1/classes + COLLAPSE_MARGIN. Fewer evaluations after iteration 0 than that: not judged.
 */
import type { EvalPoint } from './types.js';

/** How many of the last evaluations must all sit at chance. */
export const COLLAPSE_WINDOW = 3;
/** Accuracy above chance (absolute) still counted as chance. */
export const COLLAPSE_MARGIN = 0.05;

/** What to change when a unit collapses to chance. */
export const COLLAPSE_FIX =
  'A learning rate too high for the optimizer is the usual cause: lower --lr (or shorten --warmup).';

export interface Collapse {
  /** First iteration of the window of evaluations at chance. */
  sinceIteration: number;
  /** The best validation accuracy within the window. */
  validationAccuracy: number;
  /** 1/classes. */
  chance: number;
}

/** The collapse found in `curve`, or undefined if the network learned something (or it is too early). */
export function collapsedToChance(curve: readonly EvalPoint[], classes: number): Collapse | undefined {
  const chance = 1 / classes;
  const trained = curve.filter((p) => p.iteration > 0);
  if (trained.length < COLLAPSE_WINDOW) return undefined;
  const window = trained.slice(-COLLAPSE_WINDOW);
  const best = Math.max(...window.map((p) => p.validationAccuracy));
  if (!(best <= chance + COLLAPSE_MARGIN)) return undefined;
  return { sinceIteration: window[0].iteration, validationAccuracy: best, chance };
}
