/**
 * `reproduce gradual-lth`: fasterai's lottery-ticket tutorial (fasterai v0.2.4,
 * nbs/07e_tutorial.lottery_ticket.ipynb; ../shared/research/next-milestone.md §1d, §3) as four runs —
 * a dense baseline, and pruning during training with SparsifyCallback(50, 'weight', 'local',
 * large_final, Schedule(sched_iterative, start_pct=0.25)): conv weights to 50% in 3 steps at 25%, 50%
 * and 75% of training, layer-wise, with the survivors reset to θ₀ after each step (lth), rewound to
 * their values after epoch 1 (rewind), or the final mask put on θ₀ at the end (reset_end: evaluated
 * untrained, then retrained as level 1).
 *
 * `paper` (the tutorial's scale): torchvision ResNet-18, 2 classes, Adam lr 1e-3, batch 64, 20 epochs,
 * on an imported image folder (`ticketlab datasets import <pets> --name pets --labels first-letter-case
 * --size 64`, as the tutorial resizes its pet photos to 64×64 and labels cat/dog by the case of the file
 * name's first letter; `--dataset` names another import). `quick`: LeNet-5 on the
 * Fashion-MNIST stand-in, 20 "epochs" of 20 iterations, so four runs finish in minutes on 2 cores.
 */
import type { LotteryRequest } from '../lottery/resolve.js';
import { UserError } from '../util/errors.js';
import type { Preset, PresetOptions, PresetRun } from './preset-types.js';

/** The conditions of the tutorial, each one run. */
export const GRADUAL_CONDITIONS = ['dense', 'lth', 'rewind', 'reset_end'] as const;

const TUTORIAL_SCHEDULE: LotteryRequest = {
  gradualSchedule: 'iterative',
  gradualSparsity: 0.5,
  gradualSteps: 3,
  gradualStart: 0.25,
  gradualEnd: 1,
  strategy: 'large_final',
  scope: 'layerwise',
};

function conditionRequest(condition: (typeof GRADUAL_CONDITIONS)[number], epoch: string): LotteryRequest {
  switch (condition) {
    case 'dense':
      return { levels: 0 };
    case 'lth':
      return { ...TUTORIAL_SCHEDULE, levels: 0, gradualReset: 'lth' };
    case 'rewind':
      return { ...TUTORIAL_SCHEDULE, levels: 0, gradualReset: 'rewind', gradualRewindIteration: epoch };
    case 'reset_end':
      // level 1 retrains the final mask from θ₀; --supermask records it untrained as well
      return { ...TUTORIAL_SCHEDULE, levels: 1, gradualResetEnd: true, reset: 'init', supermask: true };
  }
}

function gradualRuns(o: PresetOptions): PresetRun[] {
  const quick = o.scale === 'quick';
  const dataset = o.dataset ?? (quick ? 'fashion-mnist' : 'pets');
  if (quick && dataset !== 'fashion-mnist')
    throw new UserError(
      `gradual-lth --scale quick runs on the Fashion-MNIST stand-in, not ${dataset}`,
      'leave --dataset out, or use --scale paper for an image folder',
    );
  const base: LotteryRequest = quick
    ? {
        model: 'lenet5',
        dataset,
        iterations: 400,
        evalEvery: 40,
        learningRate: 1e-3,
        batchSize: 64,
        validationSize: 1000,
        // rates 0: level 1 of reset_end prunes nothing more (lenet5 prunes conv, fc and output kinds)
        rateConv: 0,
        rateFc: 0,
        rateOutput: 0,
      }
    : {
        model: 'resnet18',
        dataset,
        iterations: '20ep',
        evalEvery: '1ep',
        learningRate: 1e-3,
        optimizer: 'adam',
        weightDecay: 0,
        batchSize: 64,
        scope: 'layerwise',
        rateConv: 0,
        rateShortcut: 0,
        rateOutput: 0,
      };
  const epoch = quick ? '20it' : '1ep';
  return GRADUAL_CONDITIONS.map((condition) => {
    const request: LotteryRequest = { ...base, ...conditionRequest(condition, epoch), trials: o.trials ?? 1 };
    // rates only matter where there is a level 1
    if (condition !== 'reset_end')
      for (const k of ['rateConv', 'rateFc', 'rateOutput', 'rateShortcut'] as const) delete request[k];
    return {
      name: `gradual-lth-${condition}-${dataset}-${o.scale}`,
      request,
      labels: {
        scale: o.scale,
        preset: 'gradual-lth',
        ...(quick
          ? { standIn: 'fashion-mnist and LeNet-5 standing in for the pets image folder and ResNet-18' }
          : {}),
      },
    };
  });
}

export const GRADUAL_PRESETS: Record<string, Preset> = {
  'gradual-lth': {
    name: 'gradual-lth',
    description:
      "fasterai's lottery-ticket tutorial: pruning during training (conv weights to 50% in 3 steps at 25/50/75% " +
      'of training, large_final, layer-wise) with lth, rewind to epoch 1 and reset_end, beside a dense baseline',
    datasets: ['fashion-mnist', 'pets (an imported image folder)'],
    quickNote:
      'quick scale: LeNet-5 on the Fashion-MNIST stand-in instead of ResNet-18 on 64×64 pet photos; 400 iterations ' +
      '(20 "epochs" of 20 iterations, rewind to iteration 20) instead of 20 epochs; 1,000 validation examples; one trial',
    runs: gradualRuns,
  },
};
