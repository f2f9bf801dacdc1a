/**
 * `ticketlab reproduce` presets: the paper's experiments as lottery runs. `paper` scale uses the
 * paper's settings; `quick` shrinks iterations (and, for controls, the levels they run at) to finish
 * on a 2-core machine, and every output says so. Presets whose runs coincide (Figure 1 draws on the
 * same runs as Figures 4 and 5) resolve to identical configurations, so the run store computes them once.
 */
import { UserError } from '../util/errors.js';
import { DEEP_PRESETS } from './deep-presets.js';
import type { Preset, PresetOptions, PresetRun, Scale } from './preset-types.js';
import { ZHOU_PRESETS } from './zhou-presets.js';
import { GRADUAL_PRESETS } from './gradual-presets.js';
import { GRID_PRESETS } from './grid-presets.js';
import { STUDY_PRESETS } from './study-preset.js';

export type { Preset, PresetOptions, PresetRun, Scale } from './preset-types.js';

/** Levels the paper's numbers refer to (LeNet: 0.8^n of the weights remain after n levels). */
const LENET_QUICK_CONTROL_LEVELS = [3, 7, 9, 15, 16]; // 51.3%, 21.1%, 13.5%, 3.6%, 2.9% remaining
/** Random pruning at the level of the paper's early-stopping claims and at the sparse end. */
const LENET_QUICK_RANDOM_PRUNE_LEVELS = [7, 15]; // 21.1%, 3.6%

const LENET_QUICK_TRIALS = 2;

function lenetRun(dataset: string, scale: Scale, trials: number): PresetRun {
  const quick = scale === 'quick';
  return {
    name: `lenet-iterative-${dataset}-${scale}`,
    request: {
      model: 'lenet300',
      dataset,
      ...(quick
        ? {
            // 10,000 iterations: long enough that the dense network stops improving mid-run (its
            // minimum validation loss near iteration 5,000), so early stopping can show the paper's
            // effect; at 2,500 it was still improving at the end. Controls only where the paper's
            // claims are, to stay around half an hour on 2 quiet cores.
            iterations: 10_000,
            evalEvery: 200,
            levels: 16,
            trainEvalSize: 2000,
            controlLevels: {
              'random-reinit': LENET_QUICK_CONTROL_LEVELS,
              'random-prune': LENET_QUICK_RANDOM_PRUNE_LEVELS,
            },
          }
        : { iterations: 50_000, evalEvery: 100, levels: 20, trainEvalSize: 10_000 }),
      pruningSchedule: 'iterative',
      reset: 'init',
      controls: quick ? ['random-reinit', 'random-prune'] : ['random-reinit', 'random-prune', 'one-shot'],
      trials,
    },
    labels: {
      scale,
      preset: 'lenet-iterative',
      ...(dataset !== 'mnist' ? { standIn: `${dataset} (the paper uses mnist)` } : {}),
    },
  };
}

/** Measured minutes of each network's quick run on Fashion-MNIST, 1 trial, 2 cores (README). */
const CONV_QUICK_MINUTES: Record<string, number> = { conv2: 6, conv4: 12, conv6: 22 };

const CONV_PAPER_ITERATIONS: Record<string, number> = { conv2: 20_000, conv4: 25_000, conv6: 30_000 };

function convRuns(dataset: string, scale: Scale, trials: number): PresetRun[] {
  const quick = scale === 'quick';
  return ['conv2', 'conv4', 'conv6'].map((model) => ({
    name: `conv-iterative-${model}-${dataset}-${scale}`,
    request: {
      model,
      dataset,
      ...(quick
        ? {
            // 200 iterations and levels 0-2 keep all three networks under ~45 minutes on 2 cores.
            iterations: 200,
            evalEvery: 100,
            levels: 2,
            validationSize: 1000,
            controlLevels: { 'random-prune': [2] },
          }
        : { iterations: CONV_PAPER_ITERATIONS[model], evalEvery: 100, levels: 15 }),
      pruningSchedule: 'iterative',
      reset: 'init',
      controls: ['random-reinit', 'random-prune'],
      trials,
    },
    labels: {
      scale,
      preset: 'conv-iterative',
      ...(dataset !== 'cifar10'
        ? { standIn: `${dataset} standing in for cifar10 (nets adapted to 1×28×28 input)` }
        : {}),
    },
  }));
}

function checkDataset(preset: string, dataset: string, allowed: string[]): void {
  if (!allowed.includes(dataset)) {
    throw new UserError(
      `preset ${preset} does not take --dataset ${dataset}`,
      `choose one of: ${allowed.join(', ')}`,
    );
  }
}

export const PRESETS: Record<string, Preset> = {
  'lenet-iterative': {
    name: 'lenet-iterative',
    description:
      'Figures 3 and 4: LeNet-300-100, iterative pruning 20% per level (output layer 10%), reset to θ₀; ' +
      'controls random re-initialization, random pruning and one-shot pruning to the same levels (one-shot at paper scale only)',
    datasets: ['mnist', 'fashion-mnist'],
    quickNote:
      'quick scale: 10,000 iterations per level instead of 50,000, levels 0-16 instead of 0-20, evaluation every 200 ' +
      'iterations, training accuracy on 2,000 examples, 2 trials; random re-initialization only at levels 3, 7, 9, ' +
      '15, 16, random pruning only at levels 7 and 15, no one-shot control',
    estimate: (o) =>
      o.scale === 'quick' && (o.trials ?? LENET_QUICK_TRIALS) === LENET_QUICK_TRIALS
        ? 'about 16-20 minutes for its 48 units on 2 quiet cores (estimated from per-unit times: README)'
        : undefined,
    runs: (o) => {
      const dataset = o.dataset ?? 'mnist';
      checkDataset('lenet-iterative', dataset, ['mnist', 'fashion-mnist']);
      return [lenetRun(dataset, o.scale, o.trials ?? (o.scale === 'paper' ? 5 : LENET_QUICK_TRIALS))];
    },
  },
  'conv-iterative': {
    name: 'conv-iterative',
    description:
      "Figure 5: Conv-2, Conv-4, Conv-6 with the paper's per-layer rates (conv 10%/10%/15%, fc 20%, output 10%), " +
      'reset to θ₀, with the random re-initialization and random pruning controls',
    datasets: ['cifar10', 'fashion-mnist'],
    quickNote:
      'quick scale: 200 iterations per level instead of 20,000-30,000, levels 0-2 instead of 0-15, evaluation every ' +
      '100 iterations, validation on 1,000 held-out examples, random pruning only at level 2',
    estimate: (o) => {
      if (o.scale !== 'quick' || o.dataset !== 'fashion-mnist' || (o.trials ?? 1) !== 1) return undefined;
      const models = o.models?.length ? o.models : Object.keys(CONV_QUICK_MINUTES);
      const minutes = models.reduce((sum, m) => sum + (CONV_QUICK_MINUTES[m] ?? Number.NaN), 0);
      return Number.isNaN(minutes)
        ? undefined
        : `about ${minutes} minutes on 2 cores (measured, ${models.map((m) => `${m} ${CONV_QUICK_MINUTES[m]}`).join(', ')}: README)`;
    },
    runs: (o) => {
      const dataset = o.dataset ?? 'cifar10';
      checkDataset('conv-iterative', dataset, ['cifar10', 'fashion-mnist']);
      return convRuns(dataset, o.scale, o.trials ?? (o.scale === 'paper' ? 5 : 1));
    },
  },
  'figure-1': {
    name: 'figure-1',
    description:
      'Figure 1: early-stop iteration and test accuracy at early stop of winning tickets vs randomly sampled ' +
      'sparse networks (the random-pruning control), for LeNet and Conv-2/4/6 (the same runs as the two presets above)',
    datasets: ['default', 'fashion-mnist'],
    quickNote: 'quick scale: as lenet-iterative and conv-iterative at quick scale',
    runs: (o) => {
      const lenetData = o.dataset === 'fashion-mnist' ? 'fashion-mnist' : 'mnist';
      const convData = o.dataset === 'fashion-mnist' ? 'fashion-mnist' : 'cifar10';
      const lenetTrials = o.trials ?? (o.scale === 'paper' ? 5 : LENET_QUICK_TRIALS);
      return [
        lenetRun(lenetData, o.scale, lenetTrials),
        ...convRuns(convData, o.scale, o.trials ?? (o.scale === 'paper' ? 5 : 1)),
      ];
    },
  },
  ...DEEP_PRESETS,
  ...ZHOU_PRESETS,
  ...GRADUAL_PRESETS,
  ...GRID_PRESETS,
  ...STUDY_PRESETS,
};

/**
 * The runs of a preset, restricted to `opts.models` when given. Each network's run has its own
 * configuration and directory, so a restricted run computes exactly what the full preset would for it.
 */
export function presetRuns(preset: Preset, opts: PresetOptions): PresetRun[] {
  const runs = preset.runs(opts);
  const wanted = opts.models ?? [];
  if (!wanted.length) return runs;
  const available = [...new Set(runs.map((r) => r.request.model ?? ''))];
  const unknown = wanted.filter((m) => !available.includes(m));
  if (unknown.length) {
    throw new UserError(
      `preset ${preset.name} has no network ${unknown.join(', ')}`,
      `choose from: ${available.join(', ')}`,
    );
  }
  return runs.filter((r) => wanted.includes(r.request.model ?? ''));
}

export function presetNamed(name: string): Preset {
  const p = PRESETS[name];
  if (!p)
    throw new UserError(`unknown experiment "${name}"`, `choose one of: ${Object.keys(PRESETS).join(', ')}`);
  return p;
}
