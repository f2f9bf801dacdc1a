/**
 * The paper's Section 4 (Figures 7 and 8, Appendix I) as presets: VGG-19 and "ResNet-18" (OpenLTH's
 * ResNet-20) on CIFAR-10 with global pruning, each learning-rate variant a run of its own, side by
 * side, with the random re-initialization control. At lower learning rates, or with warmup, winning
 * tickets appear; at lr 0.1 without warmup they do not.
 *
 * `paper`: the paper's settings (VGG-19: batch 64, 160 epochs = 112,480 iterations, drops at epochs
 * 80 and 120; ResNet: batch 128, 30,000 iterations, drops at 20,000 and 25,000; SGD momentum 0.9,
 * weight decay 1e-4). `quick`: the Fashion-MNIST stand-in (1×28×28), far shorter training and fewer
 * levels; the schedule keeps the paper's proportions (milestones and warmup as fractions of training).
 */
import type { LotteryRequest } from '../lottery/resolve.js';
import { UserError } from '../util/errors.js';
import type { Preset, PresetOptions, PresetRun, Scale } from './preset-types.js';

interface Variant {
  /** Run-name suffix, e.g. 'lr0.1' or 'lr0.1-warmup'. */
  id: string;
  learningRate: number;
  /** Warmup in the paper's iterations (scaled with training at quick scale). */
  warmup: number;
  scope: 'global' | 'layerwise';
}

interface DeepExperiment {
  preset: string;
  model: string;
  paperIterations: number;
  paperMilestones: number[];
  /** Durations as given at paper scale (the run records them). */
  paperDurations: Pick<LotteryRequest, 'iterations' | 'milestones'>;
  paperLevels: number;
  paperEvalEvery: number;
  /** Where the paper's figures show test accuracy at fixed iterations (report: accuracy at iteration N). */
  paperAccuracyAt: number[];
  variants: Variant[];
  quick: {
    iterations: number;
    evalEvery: number;
    levels: number;
    controlLevels: number[];
    validationSize: number;
  };
}

const RESNET: DeepExperiment = {
  preset: 'resnet20-global',
  model: 'resnet20',
  paperIterations: 30_000,
  paperMilestones: [20_000, 25_000],
  paperDurations: { iterations: '30000it', milestones: ['20000it', '25000it'] },
  // Pm = 11.8% at k = 10; two more levels show where tickets stop
  paperLevels: 12,
  // the paper plots accuracy at 10K, 20K and 30K iterations
  paperEvalEvery: 2000,
  paperAccuracyAt: [10_000, 20_000, 30_000],
  variants: [
    { id: 'lr0.1', learningRate: 0.1, warmup: 0, scope: 'global' },
    { id: 'lr0.01', learningRate: 0.01, warmup: 0, scope: 'global' },
    { id: 'lr0.03-warmup20k', learningRate: 0.03, warmup: 20_000, scope: 'global' },
  ],
  quick: { iterations: 300, evalEvery: 50, levels: 4, controlLevels: [4], validationSize: 1000 },
};

const VGG: DeepExperiment = {
  preset: 'vgg19-global',
  model: 'vgg19',
  paperIterations: 112_480,
  paperMilestones: [56_240, 84_360],
  paperDurations: { iterations: '160ep', milestones: ['80ep', '120ep'] },
  // Pm = 1.5% at k = 19 (global, with warmup); one more level shows where tickets stop
  paperLevels: 20,
  // the paper plots accuracy at 30K, 60K and 112K iterations
  paperEvalEvery: 5000,
  // 112K is the end of training, 112,480 iterations
  paperAccuracyAt: [30_000, 60_000, 112_480],
  variants: [
    { id: 'lr0.1', learningRate: 0.1, warmup: 0, scope: 'global' },
    { id: 'lr0.01', learningRate: 0.01, warmup: 0, scope: 'global' },
    { id: 'lr0.1-warmup10k', learningRate: 0.1, warmup: 10_000, scope: 'global' },
    { id: 'lr0.1-warmup10k-layerwise', learningRate: 0.1, warmup: 10_000, scope: 'layerwise' },
  ],
  quick: { iterations: 150, evalEvery: 50, levels: 3, controlLevels: [3], validationSize: 1000 },
};

/** Paper-scale iterations scaled to quick training, as the schedule's milestones and warmup are. */
const scaleToQuick = (e: DeepExperiment, it: number) =>
  Math.round((it * e.quick.iterations) / e.paperIterations);

function deepRuns(e: DeepExperiment, dataset: string, scale: Scale, trials: number): PresetRun[] {
  const quick = scale === 'quick';
  const scaleIt = (it: number) => scaleToQuick(e, it);
  return e.variants.map((v) => ({
    name: `${e.preset}-${v.id}-${dataset}-${scale}`,
    request: {
      model: e.model,
      dataset,
      learningRate: v.learningRate,
      scope: v.scope,
      ...(quick
        ? {
            iterations: e.quick.iterations,
            milestones: e.paperMilestones.map(scaleIt),
            warmup: scaleIt(v.warmup),
            evalEvery: e.quick.evalEvery,
            levels: e.quick.levels,
            validationSize: e.quick.validationSize,
            controlLevels: { 'random-reinit': e.quick.controlLevels },
          }
        : {
            ...e.paperDurations,
            warmup: v.warmup,
            evalEvery: e.paperEvalEvery,
            levels: e.paperLevels,
          }),
      pruningSchedule: 'iterative',
      reset: 'init',
      controls: ['random-reinit'],
      trials,
    },
    labels: {
      scale,
      preset: e.preset,
      ...(dataset !== 'cifar10'
        ? { standIn: `${dataset} standing in for cifar10 (nets adapted to 1×28×28 input)` }
        : {}),
    },
  }));
}

function deepPreset(e: DeepExperiment, description: string): Preset {
  const q = e.quick;
  return {
    name: e.preset,
    description,
    datasets: ['cifar10', 'fashion-mnist'],
    quickNote:
      `quick scale: fashion-mnist (1×28×28) standing in for cifar10 unless --dataset cifar10; ` +
      `${q.iterations} iterations per level instead of ${e.paperIterations.toLocaleString('en-US')}, with the ` +
      `milestones and warmup scaled by the same factor; levels 0-${q.levels} instead of 0-${e.paperLevels}; ` +
      `evaluation every ${q.evalEvery} iterations; validation on ${q.validationSize.toLocaleString('en-US')} ` +
      `held-out examples; the random re-initialization control only at level${q.controlLevels.length > 1 ? 's' : ''} ` +
      `${q.controlLevels.join(', ')}; 1 trial`,
    runs: (o: PresetOptions) => {
      const dataset = o.dataset ?? (o.scale === 'quick' ? 'fashion-mnist' : 'cifar10');
      if (!['cifar10', 'fashion-mnist'].includes(dataset)) {
        throw new UserError(
          `preset ${e.preset} does not take --dataset ${dataset}`,
          'choose one of: cifar10, fashion-mnist',
        );
      }
      return deepRuns(e, dataset, o.scale, o.trials ?? (o.scale === 'paper' ? 5 : 1));
    },
  };
}

/**
 * The iterations at which a deep preset's report shows test accuracy versus weights remaining (the
 * paper's Figures 7 and 8): the paper's at paper scale; at quick scale scaled like the schedule and
 * moved to the nearest evaluation, so every unit has a measurement there. Undefined for other presets.
 */
export function fixedAccuracyIterations(preset: string, scale: Scale): number[] | undefined {
  const e = [RESNET, VGG].find((x) => x.preset === preset);
  if (!e) return undefined;
  if (scale === 'paper') return [...e.paperAccuracyAt];
  const every = e.quick.evalEvery;
  const onGrid = e.paperAccuracyAt.map((it) =>
    Math.min(e.quick.iterations, Math.max(every, every * Math.round(scaleToQuick(e, it) / every))),
  );
  return [...new Set(onGrid)];
}

export const DEEP_PRESETS: Record<string, Preset> = {
  'resnet20-global': deepPreset(
    RESNET,
    'Figure 8: ResNet-20 (the paper\'s "ResNet-18") on CIFAR-10, global pruning of the 3×3 convs at 20% per ' +
      'level, reset to θ₀, at lr 0.1, 0.01 and 0.03 with 20K iterations of warmup, with the random ' +
      're-initialization control',
  ),
  'vgg19-global': deepPreset(
    VGG,
    'Figure 7: VGG-19 on CIFAR-10, global pruning of the conv layers at 20% per level, reset to θ₀, at lr 0.1, ' +
      '0.01 and 0.1 with 10K iterations of warmup, and layer-wise pruning with warmup for comparison, with ' +
      'the random re-initialization control',
  ),
};
