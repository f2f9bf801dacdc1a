/**
 * Pruning schedules and the exact rounding rule every count in ticketlab follows.
 *
 * Rounding rule: one round at rate p removes
 *
 *     prunedCount(p, remaining) = floor(p × remaining + 0.5 + 1e-7), clamped to [0, remaining]
 *
 * i.e. round half up. The 1e-7 makes decimal rates behave as written even where the double product
 * falls just short of a half (0.7 × 5 is 3.4999999999999996 in IEEE doubles, and rounds to 4 here,
 * as 3.5 would). It cannot change any other case: the floating-point error of the sum is below
 * 3e-8 for any count under 2^26 (67M), and any rate with at most six decimals gives a fractional part
 * that is a multiple of 1e-6, never within 1e-7 of one half without being one half.
 *
 * After n rounds a layer keeps keptAfterRounds(total, p, n): the rule above iterated n times.
 */
import { UserError } from '../util/errors.js';

const HALF_UP_SLACK = 1e-7;

export function checkRate(rate: number, what = 'pruning rate'): void {
  if (!(typeof rate === 'number' && rate >= 0 && rate <= 1)) {
    throw new UserError(`${what} must be a number in [0, 1], got ${String(rate)}`);
  }
}

/** How many of `remaining` weights one round at `rate` prunes (round half up; see the file comment). */
export function prunedCount(rate: number, remaining: number): number {
  checkRate(rate);
  if (!Number.isInteger(remaining) || remaining < 0) {
    throw new RangeError(`remaining must be a non-negative integer, got ${remaining}`);
  }
  const k = Math.floor(rate * remaining + 0.5 + HALF_UP_SLACK);
  return Math.min(Math.max(k, 0), remaining);
}

/** Weights left out of `total` after `rounds` rounds at `rate`, with the exact per-round rounding. */
export function keptAfterRounds(total: number, rate: number, rounds: number): number {
  checkRounds(rounds, true);
  let kept = total;
  for (let r = 0; r < rounds; r++) kept -= prunedCount(rate, kept);
  return kept;
}

/**
 * The per-round rate that prunes a total fraction `target` in `rounds` rounds:
 * p = 1 − (1 − target)^(1/rounds). E.g. rateForTarget(0.9, 10) ≈ 0.2057.
 */
export function rateForTarget(target: number, rounds: number): number {
  checkRate(target, 'target sparsity');
  checkRounds(rounds, false);
  return 1 - Math.pow(1 - target, 1 / rounds);
}

/** Fraction remaining after `rounds` rounds at `rate`, ignoring rounding: (1 − rate)^rounds. */
export function remainingAfter(rate: number, rounds: number): number {
  checkRate(rate);
  checkRounds(rounds, true);
  return Math.pow(1 - rate, rounds);
}

function checkRounds(rounds: number, allowZero: boolean): void {
  if (!Number.isInteger(rounds) || rounds < (allowZero ? 0 : 1)) {
    throw new UserError(`number of pruning rounds must be an integer ≥ ${allowZero ? 0 : 1}, got ${rounds}`);
  }
}
