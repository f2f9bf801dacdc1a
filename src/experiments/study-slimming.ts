/**
 * The structured experiment of `reproduce resnet20-pruning-study` (the study's experiment 3,
 * mshalimay/Pruning-Lottery-Tickets-and-Early-Birds-with-Pytorch scripts/experiment3.sh, and
 * ../shared/research/next-milestone.md §1c, §4):
 *
 * - One sparsity-training run of the study's network at level 0: its schedule, network slimming's
 *   penalty s·sign(γ) on every BatchNorm scale, Early-Bird's channel masks recorded at the start of every
 *   epoch, and the weights kept at epochs 10 / 30 / 50 / 100 of 160 (quick: the same fractions of its
 *   iterations). s = 1e-4: Early-Bird's search training (`-sr`, s = 1e-4) and network slimming's default
 *   (1e-4 for VGG; 1e-5 for ResNet-164), which is also the default. The study itself is no guide
 *   here: its experiment3.sh passes no `--sr` (its structured pruning slims the plain dense network,
 *   s = 0), and its main.py's `--sr` would add a hard-coded 0.01·sign(γ), 100× network slimming's value.
 * - Slim-retrain runs from it: channels removed physically at one global |γ| threshold (the study's
 *   ratios 0.3 and 0.5; quick: 0.5 only) from the weights at each of those points and the final ones
 *   (epoch 160), the thinner network retrained from its surviving weights for the full schedule again —
 *   the study's "retrain for 160 epochs" (epoch_start=1) and network slimming's --refine. Early-Bird's
 *   main_c continues the schedule from the epoch instead (160 − E epochs); the study gives every point
 *   the same budget, so the preset does. The study slims the best weights up to each epoch; the preset
 *   the weights at that epoch (the study's author: "results changed little by using them").
 * - The early-bird ticket (p = 0.5): a second lottery run, the same training with --early-bird-stop 0.5,
 *   which stops at the start of the epoch the detector fires at (its weights equal the sparsity run's at
 *   that iteration bit for bit, test/early-bird-stop.test.ts), slimmed at 0.5 and retrained the same way.
 *   Only when the schedule can reach the detector's first chance (the start of epoch 4, its window of 5
 *   masks full): quick scale trains 400 iterations, under one epoch, so it has no early-bird run and the
 *   report says that the sparsity run's detector never fired. If it does not fire at paper scale either,
 *   the slim-retrain run is skipped with that line (run-preset.ts missingWeights), not a crash.
 */
import { type LotteryRequest, resolveConfig } from '../lottery/resolve.js';
import { epochIterationsOf } from '../lottery/snapshots.js';
import type { PresetSlimRequest } from './preset-types.js';

/** Network slimming's penalty on BatchNorm γ in the sparsity-training run (see above for why 1e-4). */
export const STUDY_BN_L1 = 1e-4;
/** The study's schedule, in epochs; a point of training is named by its epoch of these 160. */
export const STUDY_EPOCHS = 160;
/** The points of training the channels are chosen at besides the end (the study's --epochs-save). */
export const STUDY_SLIM_EPOCHS = [10, 30, 50, 100] as const;
/** The study's channel prune ratios (experiment3.sh). */
export const STUDY_SLIM_RATIOS = [0.3, 0.5] as const;
/** The Early-Bird detector whose ticket is slimmed (and the ratio it is slimmed at). */
export const EARLY_BIRD_P = 0.5;
/** The first epoch the detector can fire at: its window holds the masks of 5 epoch starts (0-4). */
export const EARLY_BIRD_FIRST_EPOCH = 4;

/** The iteration of a schedule of `iterations` steps at `epoch` of the study's 160 epochs. */
export const slimPointIteration = (epoch: number, iterations: number): number =>
  Math.round((epoch / STUDY_EPOCHS) * iterations);

/** Whether a run of `request` trains long enough for the Early-Bird detector to fire at all. */
export function earlyBirdCanFire(request: LotteryRequest): boolean {
  const config = resolveConfig(request);
  return config.iterations > EARLY_BIRD_FIRST_EPOCH * epochIterationsOf(config);
}

/** The experiment's lottery runs: the sparsity training, and the early-bird stop where it can fire. */
export function slimmingRuns(
  base: LotteryRequest,
  iterations: number,
): { variant: string; request: LotteryRequest }[] {
  const trained: LotteryRequest = { ...base, levels: 0, bnL1: STUDY_BN_L1 };
  const sparsity: LotteryRequest = {
    ...trained,
    earlyBird: true,
    saveWeightsAt: STUDY_SLIM_EPOCHS.map((e) => slimPointIteration(e, iterations)),
  };
  return [
    { variant: 'sparsity', request: sparsity },
    ...(earlyBirdCanFire(sparsity)
      ? [{ variant: 'early-bird-stop', request: { ...trained, earlyBirdStop: EARLY_BIRD_P } }]
      : []),
  ];
}

/** The experiment's slim-retrain runs (variant and source variant as in slimmingRuns' names). */
export function studySlimRetrainRuns(
  slimming: readonly { variant: string }[],
  ratios: readonly number[],
  iterations: number,
  trials: number,
): { variant: string; source: string; request: PresetSlimRequest }[] {
  const runs: { variant: string; source: string; request: PresetSlimRequest }[] = [];
  const slim = { from: 'bn', retrainFrom: 'slimmed' } as const;
  for (let trial = 0; trial < trials; trial++) {
    const t = trials > 1 ? `-trial${trial}` : '';
    for (const ratio of ratios)
      for (const epoch of [...STUDY_SLIM_EPOCHS, STUDY_EPOCHS])
        runs.push({
          variant: `prune${Math.round(ratio * 100)}-epoch${epoch}${t}`,
          source: 'sparsity',
          request: {
            ...slim,
            trial,
            ratio,
            weights: epoch === STUDY_EPOCHS ? 'final' : String(slimPointIteration(epoch, iterations)),
          },
        });
    if (slimming.some((r) => r.variant === 'early-bird-stop'))
      runs.push({
        variant: `prune${Math.round(EARLY_BIRD_P * 100)}-early-bird${t}`,
        source: 'early-bird-stop',
        request: { ...slim, trial, ratio: EARLY_BIRD_P, weights: 'early-bird' },
      });
  }
  return runs;
}
