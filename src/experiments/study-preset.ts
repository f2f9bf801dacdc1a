/**
 * `ticketlab reproduce resnet20-pruning-study`: the pruning study on the pre-activation bottleneck
 * ResNet-20 (network slimming's `preresnet`, depth 20; ../shared/research/next-milestone.md §1c) and
 * Renda et al.'s comparison of retraining methods (ICLR 2020; §5). Its experiments, each a list of runs:
 * 1. "Is it worth pruning?": one-shot global pruning of the trained conv weights to 50 / 30 / 10%
 *    remaining (one run, --densities), then the trained weights retrained for the full schedule. That is
 *    `--reset lr-rewind --rewind-iteration 0` (trained weights, the schedule replayed from step 0 for all
 *    T steps), the study's "fine-tuning" (network slimming's `--refine`: lr 0.1, 160 epochs); ticketlab's
 *    `--reset finetune` is Renda's, at a small fixed learning rate, and is not what the study does.
 * 2. Lottery tickets: 4 rounds of iterative pruning at 1 − (1 − pr)^(1/4) per round to pr = 50 / 70 / 90%
 *    (one run each), survivors reset to θ₀.
 * 3. Renda et al.: fine-tuning, weight rewinding and learning-rate rewinding (one run each) with the same
 *    budget T − k, iterative pruning at 20% per level.
 * 4. Structured pruning (the study's experiment 3, study-slimming.ts): one sparsity-training run at level
 *    0 (network slimming's penalty, Early-Bird's masks recorded every epoch, the weights kept at epochs
 *    10 / 30 / 50 / 100), and slim-retrain runs from it: channels removed by one global |γ| threshold
 *    from the weights at each point and the final ones (epoch 160), the thinner network retrained for the
 *    full schedule; and the early-bird ticket (p = 0.5) where the schedule is long enough for it.
 *
 * Every run starts from the same dense network at level 0 (same model, data, seed and schedule). With
 * level-0 sharing (lottery/share-level0.ts) it is trained twice per trial, not 7 times: once for
 * experiments 1 and 2 (θ₀ resets, k = 0) and once for Renda's runs, whose θ_k at k = T/16 is part of
 * what level 0 stores.
 */
import type { LotteryRequest } from '../lottery/resolve.js';
import { UserError } from '../util/errors.js';
import type { Preset, PresetOptions, PresetRun, Scale, SlimRetrainPresetRun } from './preset-types.js';
import { STUDY_SLIM_RATIOS, slimmingRuns, studySlimRetrainRuns } from './study-slimming.js';

export const STUDY_PRESET = 'resnet20-pruning-study';
const MODEL = 'preresnet20-bottleneck';

/** Fractions of the conv weights pruned in experiments 1 and 2. */
export const STUDY_PRUNED = [0.5, 0.7, 0.9] as const;
/** Rounds of iterative pruning in experiment 2. */
export const STUDY_ROUNDS = 4;
/** The rate per round that reaches `pruned` in STUDY_ROUNDS rounds. */
export const roundRate = (pruned: number): number => 1 - (1 - pruned) ** (1 / STUDY_ROUNDS);

export const RENDA_METHODS = ['finetune', 'weight-rewind', 'lr-rewind'] as const;
/** Renda's densities for ResNet-20 (iterative pruning keeping 80% per round: levels 1, 4, 7, 10). */
export const RENDA_DENSITIES = [0.8, 0.41, 0.21, 0.107] as const;

/** The study's schedule as the model's defaults give it (160 epochs of 703 iterations at batch 64). */
const PAPER_ITERATIONS = 112_480;
/**
 * Quick: iterations per unit on the Fashion-MNIST stand-in. One dense unit as quick runs it (400
 * iterations, 3 evaluations of 1,000 + 10,000 examples, 2 threads) used 311 s of CPU (1,830 s of wall
 * time at load 15-17 on 2 cores); 200 iterations with 3 evaluations of 15,000 at 1 thread used 107 s,
 * i.e. about 0.23 s per step and 1.2 ms per evaluated example: a unit is 130-155 CPU-seconds, and 34
 * units are 45-90 minutes on 2 quiet cores. The dense network reaches 77% test accuracy there.
 */
const QUICK_ITERATIONS = 400;
/**
 * The quick preset's time. The structured experiment adds one dense-sized unit and 5 slim-retrain units;
 * one of those (400 iterations at ratio 0.5, 2 threads, nice -n 10 at load 12-14) used 239 s of CPU (699 s
 * wall), 0.77 of the dense unit's 311 s: about 4.9 dense units more, 51-103 minutes for all 40.
 */
const QUICK_ESTIMATE = 'about 50-105 minutes';

export interface ScaleSettings {
  dataset: string;
  iterations: number;
  /** The training settings every run shares at this scale. */
  common: LotteryRequest;
  /** Renda: how the levels are pruned (the report matches them to RENDA_DENSITIES by density). */
  renda: LotteryRequest;
  /** Structured pruning: the channel prune ratios the slimmed networks are cut at. */
  slimRatios: readonly number[];
  standIn?: string;
}

function scaleSettings(scale: Scale, dataset: string): ScaleSettings {
  const standIn = dataset === 'cifar10' ? undefined : `${dataset} standing in for cifar10 (1×28×28 input)`;
  if (scale === 'paper')
    return {
      dataset,
      iterations: PAPER_ITERATIONS,
      // the model's defaults are the study's: SGD Nesterov 0.9, wd 1e-4, lr 0.1 ÷10 at 80/120 of 160
      // epochs, batch 64; the study trains with crops and flips
      common: { ...(dataset === 'cifar10' ? { augment: true } : {}) },
      // 20% per level, as Renda: levels 1, 4, 7 and 10 are 0.80, 0.41, 0.21 and 0.107 remaining
      renda: { rateConv: 0.2, levels: 10 },
      slimRatios: STUDY_SLIM_RATIOS,
      standIn,
    };
  return {
    dataset,
    iterations: QUICK_ITERATIONS,
    common: {
      iterations: QUICK_ITERATIONS,
      milestones: [QUICK_ITERATIONS / 2, (QUICK_ITERATIONS * 3) / 4],
      evalEvery: QUICK_ITERATIONS / 2,
      validationSize: 1000,
      ...(dataset === 'cifar10' ? { augment: true } : {}),
    },
    // Renda's four densities in 4 iterative levels (not 10 of 20%): rounds of 20, 49, 49 and 49%
    renda: { densities: [...RENDA_DENSITIES], levels: RENDA_DENSITIES.length },
    // one ratio, the larger of the study's (and the Early-Bird p the preset watches)
    slimRatios: [0.5],
    standIn,
  };
}

/** One experiment of the study: its runs at a scale. */
export interface StudyExperiment {
  id: 'one-shot' | 'lottery' | 'renda' | 'slimming';
  title: string;
  runs(s: ScaleSettings, trials: number): { variant: string; request: LotteryRequest }[];
}

const base = (s: ScaleSettings, trials: number): LotteryRequest => ({
  model: MODEL,
  dataset: s.dataset,
  scope: 'global',
  trials,
  ...s.common,
});

export const STUDY_EXPERIMENTS: StudyExperiment[] = [
  {
    id: 'one-shot',
    title: 'Is it worth pruning? One-shot pruning, then the trained weights retrained for the full schedule',
    runs: (s, trials) => [
      {
        variant: 'retrain',
        request: {
          ...base(s, trials),
          pruningSchedule: 'one-shot',
          levels: STUDY_PRUNED.length,
          densities: STUDY_PRUNED.map((p) => Number((1 - p).toFixed(6))),
          reset: 'lr-rewind',
          rewindIteration: 0,
        },
      },
    ],
  },
  {
    id: 'lottery',
    title: `Lottery tickets: ${STUDY_ROUNDS} rounds of iterative pruning, survivors reset to θ₀`,
    runs: (s, trials) =>
      STUDY_PRUNED.map((pruned) => ({
        variant: `pruned${Math.round(pruned * 100)}`,
        request: {
          ...base(s, trials),
          pruningSchedule: 'iterative',
          levels: STUDY_ROUNDS,
          rateConv: roundRate(pruned),
          reset: 'init',
        },
      })),
  },
  {
    id: 'renda',
    title: 'Renda et al.: fine-tuning vs weight rewinding vs learning-rate rewinding, budget T − k',
    runs: (s, trials) =>
      RENDA_METHODS.map((method) => ({
        variant: method,
        request: {
          ...base(s, trials),
          pruningSchedule: 'iterative',
          ...s.renda,
          reset: method,
          // k = 10 of 160 epochs (Renda's first checkpoint is epoch 12 of 182)
          rewindIteration: Math.round(s.iterations / 16),
        },
      })),
  },
  {
    // its lottery runs here; the slim-retrain runs from them are studySlimRetrainRuns (study-slimming.ts)
    id: 'slimming',
    title: 'Structured pruning: network slimming from points of training, and early-bird tickets',
    runs: (s, trials) =>
      slimmingRuns({ model: MODEL, dataset: s.dataset, trials, ...s.common }, s.iterations),
  },
];

/** The experiment and variant of a study run, from its name (`<preset>-<experiment>-<variant>-…`). */
export function studyRunTag(
  name: string,
): { experiment: StudyExperiment['id']; variant: string } | undefined {
  const m =
    /^resnet20-pruning-study-(one-shot|lottery|renda|slimming)-([a-z0-9-]+?)-(cifar10|fashion-mnist|mnist)-/.exec(
      name,
    );
  return m ? { experiment: m[1] as StudyExperiment['id'], variant: m[2] } : undefined;
}

function studyScale(o: PresetOptions): ScaleSettings {
  const dataset = o.dataset ?? (o.scale === 'quick' ? 'fashion-mnist' : 'cifar10');
  if (!['cifar10', 'fashion-mnist'].includes(dataset))
    throw new UserError(
      `preset ${STUDY_PRESET} does not take --dataset ${dataset}`,
      'choose one of: cifar10, fashion-mnist',
    );
  return scaleSettings(o.scale, dataset);
}

/** A study run's name: `<preset>-<experiment>-<variant>-<dataset>-<scale>` (studyRunTag reads it). */
export const studyRunName = (
  experiment: StudyExperiment['id'],
  variant: string,
  o: PresetOptions,
  dataset: string,
) => `${STUDY_PRESET}-${experiment}-${variant}-${dataset}-${o.scale}`;

const studyLabels = (o: PresetOptions, s: ScaleSettings): PresetRun['labels'] => ({
  scale: o.scale,
  preset: STUDY_PRESET,
  ...(s.standIn ? { standIn: s.standIn } : {}),
});

export function studyRuns(o: PresetOptions): PresetRun[] {
  const s = studyScale(o);
  const trials = o.trials ?? 1;
  return STUDY_EXPERIMENTS.flatMap((e) =>
    e.runs(s, trials).map((r) => ({
      name: studyRunName(e.id, r.variant, o, s.dataset),
      request: r.request,
      labels: studyLabels(o, s),
    })),
  );
}

/** The structured experiment's slim-retrain runs, from the `slimming` runs of studyRuns. */
export function studySlimRuns(o: PresetOptions): SlimRetrainPresetRun[] {
  const s = studyScale(o);
  const trials = o.trials ?? 1;
  const slimming = STUDY_EXPERIMENTS.find((e) => e.id === 'slimming')!.runs(s, trials);
  return studySlimRetrainRuns(slimming, s.slimRatios, s.iterations, trials).map((r) => ({
    kind: 'slim-retrain',
    name: studyRunName('slimming', r.variant, o, s.dataset),
    source: studyRunName('slimming', r.source, o, s.dataset),
    request: r.request,
    labels: studyLabels(o, s),
  }));
}

export const STUDY_PRESETS: Record<string, Preset> = {
  [STUDY_PRESET]: {
    name: STUDY_PRESET,
    description:
      'the ResNet-20 pruning study (pre-activation bottleneck ResNet-20, CIFAR-10): one-shot pruning to 50/70/90% ' +
      'then retraining, 4-round lottery tickets to 50/70/90% with @w0 and @w(t−1), and Renda et al.: fine-tuning ' +
      'vs weight rewinding vs LR rewinding, and structured pruning: network slimming from the weights at epochs ' +
      '10/30/50/100/160 of a sparsity-trained network and its early-bird ticket, each slimmed network retrained',
    datasets: ['cifar10', 'fashion-mnist'],
    quickNote:
      `quick scale: fashion-mnist (1×28×28) standing in for cifar10 unless --dataset cifar10; ` +
      `${QUICK_ITERATIONS} iterations per unit instead of ${PAPER_ITERATIONS.toLocaleString('en-US')} (160 epochs), ` +
      'the lr drops at 1/2 and 3/4 of them (the study: epochs 80 and 120 of 160), evaluation at the middle and end, ' +
      'validation on 1,000 held-out examples; Renda at his 80/41/21/10.7% remaining in 4 iterative levels ' +
      '(--densities) instead of 10 levels of 20%; structured: the weights kept at iterations 25/75/125/250 (epochs ' +
      '10/30/50/100 of 160 as fractions), channel ratio 0.5 only, no early-bird ticket (the detector needs 4 epochs, ' +
      'quick trains under one); 1 trial; 40 units (35 trained, 5 dense ones shared: 34 lottery units and 1 sparsity ' +
      `training, 5 slimmed networks retrained), ${QUICK_ESTIMATE} on 2 quiet cores (estimated from measured units: README)`,
    runs: studyRuns,
    slimRetrainRuns: studySlimRuns,
    estimate: (o) =>
      o.scale === 'quick' && (o.trials ?? 1) === 1 && (o.dataset ?? 'fashion-mnist') === 'fashion-mnist'
        ? `${QUICK_ESTIMATE} for all 40 units on 2 quiet cores (estimated from measured units: README)`
        : undefined,
  },
};
