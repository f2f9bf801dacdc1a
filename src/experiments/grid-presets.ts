/**
 * `reproduce pruning-grid`: the grid of a widely watched walkthrough of the lottery-ticket paper, as a
 * sweep spec — LeNet-300-100 on MNIST, one-shot vs iterative (5 rounds) pruning, magnitude (l1) vs
 * random pruning, target prune ratios r split into per-round rates 1 − (1 − r)^(1/rounds) with the
 * output layer at half the rate, with and without random re-initialization (the random-reinit
 * control beside each ticket, on the same mask), 5 seeds (trials), 15,000 iterations per run. Ratio
 * 0 is every run's level 0 (the dense network, trained before any pruning), so it is not a run of its
 * own. At paper scale the spec is examples/sweeps/pruning-grid.yaml's, so the two share their runs.
 */
import type { Preset, PresetOptions } from './preset-types.js';

export interface GridScale {
  /** Target prune ratios (fraction of weights removed after the last round). */
  ratios: number[];
  trials: number;
  iterations: number;
  evalEvery: number;
}

export const PRUNING_GRID_SCALES: Record<PresetOptions['scale'], GridScale> = {
  paper: { ratios: [0.2, 0.4, 0.6, 0.8, 0.9, 0.95, 0.97], trials: 5, iterations: 15_000, evalEvery: 100 },
  // about half an hour of a loaded 2-core machine: 3 of the 7 ratios (the middle and the two
  // sparsest, where the methods part), 1 seed, 500 iterations (half an epoch) evaluated every 50
  quick: { ratios: [0.5, 0.9, 0.97], trials: 1, iterations: 500, evalEvery: 50 },
};

/** The rounds of the walkthrough's two methods: one-shot prunes once, iterative in 5 rounds. */
export const PRUNING_GRID_ROUNDS = { 'one-shot': 1, iterative: 5 } as const;

/** The sweep spec of the grid at a scale (trials overridable). */
export function pruningGridSpec(opts: PresetOptions): Record<string, unknown> {
  const s = PRUNING_GRID_SCALES[opts.scale];
  return {
    name: `pruning-grid-${opts.scale}`,
    base: {
      model: 'lenet300',
      dataset: 'mnist',
      iterations: s.iterations,
      evalEvery: s.evalEvery,
      trials: opts.trials ?? s.trials,
      controls: ['random-reinit'],
    },
    grid: { 'pruning.strategy': ['magnitude', 'random'], prune: s.ratios },
    zip: {
      'pruning.schedule': Object.keys(PRUNING_GRID_ROUNDS),
      levels: Object.values(PRUNING_GRID_ROUNDS),
    },
    derived: {
      'pruning.rates.fc': '1 - (1 - prune)^(1/levels)',
      'pruning.rates.output': '(1 - (1 - prune)^(1/levels)) / 2',
    },
  };
}

const quick = PRUNING_GRID_SCALES.quick;
const paper = PRUNING_GRID_SCALES.paper;

export const GRID_PRESETS: Record<string, Preset> = {
  'pruning-grid': {
    name: 'pruning-grid',
    description:
      "a walkthrough's grid as a sweep: one-shot vs iterative (5 rounds), magnitude vs random, target prune " +
      'ratios 0–97%, with/without random re-init, 5 seeds (LeNet-300-100, MNIST); parallel coordinates, ' +
      'smoothed curves per ratio, desired vs actual prune ratio per round',
    datasets: ['default'],
    quickNote:
      `quick scale: ratios ${quick.ratios.map((r) => `${r * 100}%`).join(', ')} (paper: ` +
      `${paper.ratios.map((r) => `${r * 100}%`).join(', ')}), ${quick.trials} seed (paper: ${paper.trials}), ` +
      `${quick.iterations} iterations evaluated every ${quick.evalEvery} (paper: ${paper.iterations.toLocaleString('en')} ` +
      `every ${paper.evalEvery}); ratio 0 is each run's dense level 0; --trials sets the seeds`,
    runs: () => [],
    sweep: pruningGridSpec,
  },
};
