/**
 * A unit's Early-Bird recorder (`--early-bird`, `--early-bird-stop p`) and, when it stopped training,
 * what the unit records of the stop. Stopping applies to level 0 only: that is where Early-Bird draws
 * its ticket (the dense network trained until its channel mask settles); the pruned levels after it
 * retrain for their whole schedule, as the paper's retraining does.
 */
import { type EarlyBirdRecorder, earlyBirdRecorder } from '../train/early-bird-record.js';
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
