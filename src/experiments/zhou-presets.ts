/**
 * Presets for Zhou et al.'s "Deconstructing Lottery Tickets" (2019) and the course project built on
 * it: mask criteria, weight actions and supermasks (`reproduce zhou-criteria`), and the large-final
 * threshold mask on LeNet-5 (`reproduce lf-threshold`).
 */
import type { LotteryRequest } from '../lottery/resolve.js';
import type { RunSummary } from '../lottery/summary.js';
import { UserError } from '../util/errors.js';

// presets.ts's Preset shape, restated so that presets.ts can include these without an import cycle
type Scale = 'quick' | 'paper';
interface PresetRun {
  name: string;
  request: LotteryRequest;
  labels: Pick<RunSummary, 'scale' | 'standIn' | 'preset'>;
}
interface Preset {
  name: string;
  description: string;
  datasets: string[];
  runs(opts: { dataset?: string; scale: Scale; trials?: number }): PresetRun[];
  quickNote: string;
}

function mnistOnly(preset: string, dataset?: string): void {
  if (dataset && dataset !== 'mnist')
    throw new UserError(`preset ${preset} does not take --dataset ${dataset}`, 'choose mnist');
}

/** (criterion, mask-1 action, mask-0 action) conditions of Zhou's LeNet-300-100 figures. */
const ZHOU_CONDITIONS: [string, string, string][] = [
  ['large_final', 'reset', 'zero'],
  ['magnitude_increase', 'reset', 'zero'],
  ['movement', 'reset', 'zero'],
  ['large_init_large_final', 'reset', 'zero'],
  ['large_final_same_sign', 'reset', 'zero'],
  ['large_init', 'reset', 'zero'],
  ['small_final', 'reset', 'zero'],
  ['random', 'reset', 'zero'],
  ['snip', 'reset', 'zero'],
  ['large_final', 'random_reshuffle', 'zero'],
  ['large_final', 'signed_reshuffle', 'zero'],
  ['large_final', 'signed_constant', 'zero'],
  ['large_final', 'reset', 'freeze_init'],
  ['large_final', 'reset', 'freeze_init_zero_mask'],
  ['large_final_same_sign', 'signed_constant', 'zero'],
];

/**
 * Conv-2/4/6 under the same conditions. Zhou's rates per round are the models' own (conv 10%, 10%,
 * 15%; fc 20%; output 10%), and so are Adam's learning rates (2e-4, 3e-4, 3e-4) and batch 60; Zhou
 * trains 27/34/40 epochs of CIFAR-10 (≈ 20k/25k/30k iterations, the models' defaults).
 */
function zhouConvRuns(dataset: string, scale: Scale, trials: number): PresetRun[] {
  const quick = scale === 'quick';
  const standIn =
    dataset === 'cifar10'
      ? {}
      : { standIn: `${dataset} standing in for cifar10 (nets adapted to 1×28×28 input)` };
  return ['conv2', 'conv4', 'conv6'].flatMap((model) =>
    ZHOU_CONDITIONS.map(([strategy, keptWeights, prunedWeights]) => ({
      name: `zhou-${model}-${dataset}-${strategy}-${keptWeights}-${prunedWeights}-${scale}`,
      request: {
        model,
        dataset,
        strategy,
        keptWeights,
        prunedWeights,
        supermask: true,
        // as conv-iterative's quick scale: 200 iterations, levels 0-2, 1,000 validation examples
        ...(quick
          ? { iterations: 200, evalEvery: 100, levels: 2, validationSize: 1000 }
          : { evalEvery: 100, levels: 15 }),
        trials,
      },
      labels: { scale, preset: 'zhou-criteria', ...standIn },
    })),
  );
}

function zhouRuns(scale: Scale, trials: number): PresetRun[] {
  const quick = scale === 'quick';
  return ZHOU_CONDITIONS.map(([strategy, keptWeights, prunedWeights]) => ({
    name: `zhou-${strategy}-${keptWeights}-${prunedWeights}-${scale}`,
    request: {
      model: 'lenet300',
      dataset: 'mnist',
      strategy,
      keptWeights,
      prunedWeights,
      supermask: true,
      // Zhou: Adam 0.0012, batch 60, 55 epochs (≈ 50,000 iterations), fc 20% and output 10% per round
      ...(quick
        ? { iterations: 2000, evalEvery: 250, levels: 6 }
        : { iterations: 50_000, evalEvery: 100, levels: 24 }),
      trials,
    },
    labels: { scale, preset: 'zhou-criteria' },
  }));
}

/** 5 epochs of the 55,000 training examples (60,000 less 5,000 for validation) at batch 64. */
const FIVE_EPOCHS = Math.ceil((55_000 / 64) * 5); // 4297
const ONE_EPOCH = Math.ceil(55_000 / 64); // 860

function thresholdRuns(scale: Scale, trials: number): PresetRun[] {
  const quick = scale === 'quick';
  return [0, 0.5, 1, 1.5, 2].map((alpha) => ({
    name: `lf-threshold-alpha-${alpha}-${scale}`,
    request: {
      model: 'lenet5',
      dataset: 'mnist',
      // PyTorch's default init is uniform in ±1/√fan_in; the nearest here is uniform in ±√(6/fan_in)
      init: 'kaiming_uniform',
      optimizer: 'sgd',
      momentum: 0,
      learningRate: 0.01,
      batchSize: 64,
      iterations: quick ? ONE_EPOCH : FIVE_EPOCHS,
      evalEvery: quick ? 430 : 500,
      levels: 1,
      pruneBiases: true,
      keep: 'std-threshold',
      thresholdAlpha: alpha,
      thresholdCentre: 'mean',
      supermask: true,
      controls: ['random-reinit'],
      trials,
    },
    labels: { scale, preset: 'lf-threshold' },
  }));
}

export const ZHOU_PRESETS: Record<string, Preset> = {
  'zhou-criteria': {
    name: 'zhou-criteria',
    description:
      'Zhou et al. (2019): LeNet-300-100 on MNIST and Conv-2/4/6 (--dataset fashion-mnist: on the stand-in) under mask criteria × mask-1 actions × mask-0 actions, ' +
      'with the accuracy of every mask on its untrained starting weights (supermask) beside a random mask',
    datasets: ['cifar10', 'fashion-mnist'],
    quickNote:
      'quick scale: LeNet-300-100 2,000 iterations per level instead of 50,000, levels 0-6 instead of 0-24; ' +
      'Conv-2/4/6 200 iterations per level, levels 0-2, 1,000 validation examples; 15 conditions of ' +
      "Zhou's figures (not the full cross product). --models lenet300 runs LeNet alone",
    runs: (o) => {
      // LeNet-300-100 is always on MNIST; --dataset chooses the conv nets' data (CIFAR-10 or the stand-in)
      const convData = o.dataset ?? 'cifar10';
      if (!['cifar10', 'fashion-mnist', 'mnist'].includes(convData))
        throw new UserError(
          `preset zhou-criteria does not take --dataset ${convData}`,
          'choose cifar10 or fashion-mnist (the conv nets’ data; LeNet-300-100 is always on mnist)',
        );
      const trials = o.trials ?? 1;
      return [
        ...zhouRuns(o.scale, trials),
        ...(convData === 'mnist' ? [] : zhouConvRuns(convData, o.scale, trials)),
      ];
    },
  },
  'lf-threshold': {
    name: 'lf-threshold',
    description:
      'The course project on Zhou et al.: LeNet-5, SGD 0.01, batch 64, 5 epochs; a large-final mask keeping ' +
      '|p| > mean(p) + α·std(p) over all parameters (biases included), α in 0, 0.5, 1, 1.5, 2; the masked net ' +
      'retrained from θ₀, from a fresh init, and its accuracy untrained beside a random mask and no mask',
    datasets: ['mnist'],
    quickNote:
      'quick scale: 1 epoch (860 iterations) instead of 5 (4,297); epochs are counted as iterations of ' +
      '55,000 training examples at batch 64',
    runs: (o) => {
      mnistOnly('lf-threshold', o.dataset);
      return thresholdRuns(o.scale, o.trials ?? 1);
    },
  },
};
