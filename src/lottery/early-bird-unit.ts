/**
 * A unit's Early-Bird recorder (`--early-bird`, `--early-bird-stop p`) and, when it stopped training,
 * what the unit records of the stop. Stopping applies to level 0 only: that is where Early-Bird draws
 * its ticket (the dense network trained until its channel mask settles); the pruned levels after it
 * retrain for their whole schedule, as the paper's retraining does.
 */
import { type EarlyBirdRecorder, earlyBirdRecorder, unpackMask } from '../train/early-bird-record.js';
import { maskDistance } from '../train/early-bird.js';
import type { TrainResult } from '../train/types.js';
import type { LotteryConfig } from './config.js';
import type { LevelResult } from './summary.js';
import { UserError } from '../util/errors.js';

/** The ratio whose detector stops the unit at `level`, or undefined (only records, or nothing). */
export const earlyBirdStopAt = (config: LotteryConfig, level: number): number | undefined =>
  level === 0 ? config.earlyBirdStop : undefined;

/** The recorder of a unit, stopping at `earlyBirdStopAt`; undefined when nothing is recorded. */
export function unitEarlyBird(
  config: LotteryConfig,
  level: number,
  epochIterations: number,
): EarlyBirdRecorder | undefined {
  const stopAt = earlyBirdStopAt(config, level);
  if (!config.earlyBird && stopAt === undefined) return undefined;
  return earlyBirdRecorder({ epochIterations, ...(stopAt !== undefined ? { stopAt } : {}) });
}

/** Where the recorder stopped training (its epoch and iteration), or undefined if it did not. */
export function earlyBirdStopOf(
  recorder: EarlyBirdRecorder | undefined,
  result: TrainResult,
  stopAt: number | undefined,
): LevelResult['earlyBirdStop'] {
  if (!recorder || stopAt === undefined || result.stopped?.by !== recorder.name) return undefined;
  const found = recorder.detector.found.get(stopAt)!;
  return { ratio: stopAt, epoch: found.epoch, iteration: found.iteration };
}

/**
 * A run whose levels restart from θ_k needs level 0 to reach k: an Early-Bird stop before it is refused
 * (the unit is not recorded) rather than leaving level 1 without its starting weights.
 */
export function assertRewindReached(
  config: LotteryConfig,
  stop: LevelResult['earlyBirdStop'],
  captured: boolean,
): void {
  if (!stop || captured || !['rewind', 'weight-rewind'].includes(config.reset)) return;
  throw new UserError(
    `--early-bird-stop ${stop.ratio} stopped level 0 at iteration ${stop.iteration} (epoch ${stop.epoch}), ` +
      `before --rewind-iteration ${config.rewindIteration}: there is no θ_k for --reset ${config.reset}`,
    `give --rewind-iteration of at most ${stop.iteration}, or --reset init`,
  );
}

/** Where and why Early-Bird stopped a unit, with what it saved (`runs show`, the report's early-bird.md). */
export interface EarlyBirdStopDetail {
  ratio: number;
  epoch: number;
  iteration: number;
  /** The distance of the mask at the stop to each of the previous window − 1 masks, oldest first. */
  distances: { epoch: number; distance: number }[];
  /** ε: every distance is at most it. */
  threshold: number;
  /** Iterations the full schedule trains, and those the stop left untrained. */
  scheduled: number;
  saved: number;
}

/** The stop of a unit stopped by `--early-bird-stop`, from its record; undefined for any other unit. */
export function earlyBirdStopDetail(result: LevelResult): EarlyBirdStopDetail | undefined {
  const stop = result.earlyBirdStop;
  const record = result.earlyBird;
  if (!stop || !record) return undefined;
  const masks = record.ratios.find((r) => r.ratio === stop.ratio)?.masks;
  const at = record.epochs.indexOf(stop.epoch);
  if (!masks || at < record.window - 1) return undefined;
  const maskAt = (i: number) => unpackMask(masks[i], record.channels);
  const newest = maskAt(at);
  const distances = record.epochs
    .slice(at - record.window + 1, at)
    .map((epoch, k) => ({ epoch, distance: maskDistance(newest, maskAt(at - record.window + 1 + k)) }));
  return {
    ...stop,
    distances,
    threshold: record.epsilon,
    scheduled: result.iterations,
    saved: Math.max(0, result.iterations - stop.iteration),
  };
}

const distanceText = (d: number) => (d === 0 ? '0' : d.toFixed(3));

/** One sentence: where it stopped, the distances that decided it, the iterations saved. */
export function describeEarlyBirdStop(d: EarlyBirdStopDetail): string {
  const distances = d.distances.map((x) => `${distanceText(x.distance)} (epoch ${x.epoch})`).join(', ');
  const share = d.scheduled > 0 ? ` (${((100 * d.saved) / d.scheduled).toFixed(1)}%)` : '';
  return (
    `Early-Bird (p = ${d.ratio}) stopped training at the start of epoch ${d.epoch}, iteration ${d.iteration}: ` +
    `its channel mask was within ${d.threshold} of each of the previous ${d.distances.length} ` +
    `(distances ${distances}); ${d.iteration} of the ${d.scheduled} scheduled iterations trained, ` +
    `${d.saved} saved${share}`
  );
}
