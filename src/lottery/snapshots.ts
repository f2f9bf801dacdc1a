/**
 * Weights from earlier points of a unit's training: the snapshots it keeps (`--save-weights-at`, and
 * the point `--mask-from` names) as `weights-at-<iteration>.safetensors` beside final and best, the
 * Early-Bird weights where `--early-bird-stop` stopped it (`early-bird.safetensors`), and the weights a
 * level's mask is computed from (`--mask-from final|best|<point>`).
 *
 * A snapshot is written to the unit's directory the moment training reaches its iteration, before the
 * checkpoint of that iteration (checkpointing runs last), so a unit resumed from a checkpoint finds
 * every earlier snapshot already on disk and one resumed from before a snapshot writes it again, with
 * the same bits.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { datasetNamed } from '../data/registry.js';
import type { Run } from '../store/index.js';
import { iterationsPerEpoch } from '../spec/durations.js';
import { snapshot } from '../train/callbacks.js';
import type { TrainCallback } from '../train/types.js';
import { UserError } from '../util/errors.js';
import type { LotteryConfig } from './config.js';
import { type WeightSet, unitKey } from './types.js';
import { loadWeights, saveWeights } from './weights-io.js';

/** The file of a unit's weights after `iteration` steps of its training. */
export const snapshotFile = (iteration: number): string => `weights-at-${iteration}.safetensors`;

/** The weights where `--early-bird-stop` stopped a unit (the same as its final weights). */
export const EARLY_BIRD_FILE = 'early-bird.safetensors';

/** Iterations in an epoch of a run: its training examples (less validation) per batch. */
export function epochIterationsOf(config: LotteryConfig): number {
  return iterationsPerEpoch(
    datasetNamed(config.dataset).trainCount - config.validationSize,
    config.batchSize,
  );
}

/** A point of training in words: `iteration 1200 (30ep)` when it is a whole number of epochs. */
export function describePoint(config: LotteryConfig, iteration: number): string {
  const perEpoch = epochIterationsOf(config);
  return iteration % perEpoch === 0
    ? `iteration ${iteration} (${iteration / perEpoch}ep)`
    : `iteration ${iteration}`;
}

/** The iterations a unit keeps its weights at: --save-weights-at, and the point --mask-from names. */
export function snapshotPoints(config: LotteryConfig): number[] {
  const points = new Set(config.saveWeightsAt);
  if (typeof config.maskFrom === 'number') points.add(config.maskFrom);
  return [...points].sort((a, b) => a - b);
}

export interface WeightSnapshots extends TrainCallback {
  /** Iterations whose snapshot this unit has written (or found written before a resume). */
  readonly saved: readonly number[];
}

/**
 * Writes the engine's weights and buffers to `dir` at each of `points` (after that many steps; 0 is
 * the starting weights). `beforeWrite` may throw to stop (a lost lease).
 */
export function weightSnapshots(
  dir: string,
  points: readonly number[],
  beforeWrite = () => {},
): WeightSnapshots {
  const wanted = new Set(points);
  const saved = new Set<number>();
  return {
    name: 'weight-snapshots',
    get saved() {
      return [...saved].sort((a, b) => a - b);
    },
    onIteration(iteration, { engine }) {
      if (wanted.has(iteration)) {
        beforeWrite();
        saveWeights(join(dir, snapshotFile(iteration)), snapshot(engine));
        saved.add(iteration);
      }
      return 'continue';
    },
    // the files are on disk already: a resumed unit only needs to know which
    save(checkpoint) {
      checkpoint.callbacks!['weight-snapshots'] = { json: { saved: [...saved] } };
    },
    restore(checkpoint) {
      saved.clear();
      const state = checkpoint.callbacks?.['weight-snapshots']?.json as { saved: number[] } | undefined;
      for (const s of state?.saved ?? []) saved.add(s);
    },
  };
}

/** The file of the ticket at `level` whose weights the next level's mask is computed from. */
export function maskSourcePath(config: LotteryConfig, run: Run, trial: number, level: number): string {
  const from = config.maskFrom;
  const file = from === 'final' || from === 'best' ? `${from}.safetensors` : snapshotFile(from);
  return run.path(unitKey(trial, level, 'ticket'), file);
}

/**
 * The weights of the ticket at `level` that the next level's mask (and its before-retraining accuracy)
 * is computed from: its final, best, or saved weights at the --mask-from point. A snapshot that is not
 * there (the unit stopped before it, or trained fewer steps) is refused with what to do.
 */
export function maskSourceWeights(config: LotteryConfig, run: Run, trial: number, level: number): WeightSet {
  const path = maskSourcePath(config, run, trial, level);
  if (typeof config.maskFrom === 'number' && !existsSync(path)) {
    const key = unitKey(trial, level, 'ticket');
    const result = run.unitRecord(key)?.result as
      { earlyBirdStop?: { iteration: number }; iterations?: number; state?: string } | undefined;
    const stop = result?.earlyBirdStop?.iteration;
    const why =
      stop !== undefined
        ? `it stopped at iteration ${stop} (--early-bird-stop)`
        : result?.state === 'diverged'
          ? 'it diverged before'
          : result?.iterations !== undefined && result.iterations < config.maskFrom
            ? `it trains only ${result.iterations} iterations`
            : 'it did not save them';
    throw new UserError(
      `--mask-from ${describePoint(config, config.maskFrom)}: ${key} has no weights at that point (${why})`,
      'give a point it reached (at most its iterations, before an Early-Bird stop), or --mask-from final',
    );
  }
  return loadWeights(path);
}
