/**
 * Pruning during training inside a lottery run: the level-0 ticket unit of a run with
 * `gradual.schedule` set trains with the gradual-pruning callback (train/gradual.ts), configured from
 * the run's settings; its final masks (not the all-ones masks it started from) are the unit's masks,
 * so level 1 (`--reset init` and rates 0: the final mask on θ₀, retrained) continues from them.
 */
import type { Masks, PrunableLayer } from '../prune/types.js';
import {
  type GradualOptions,
  type GradualPruning,
  type PruneEvent,
  checkGradualOptions,
  gradualPruning,
} from '../train/gradual.js';
import type { LotteryConfig } from './config.js';
import type { WeightSet } from './types.js';

/** The callback of a unit, or null when the run does not prune during training or the unit is not level 0's ticket. */
export function gradualCallbackFor(
  config: LotteryConfig,
  unit: { level: number; condition: string; seed: number },
  layers: PrunableLayer[],
  theta0: WeightSet,
  onPrune: (event: PruneEvent) => void,
): GradualPruning | null {
  const g = config.gradual;
  if (g.schedule === 'none' || unit.level !== 0 || unit.condition !== 'ticket') return null;
  const kinds: readonly string[] = g.kinds;
  const options: GradualOptions = {
    schedule: g.schedule,
    sparsity: g.sparsity,
    start: g.start,
    end: g.end,
    steps: g.steps,
    every: g.every,
    layers: layers.filter((l) => kinds.includes(l.kind)),
    strategy: config.pruning.strategy,
    scope: config.pruning.scope,
    granularity: config.granularity,
    globalLayers: config.pruning.globalLayers,
    seed: unit.seed,
    reset: g.reset,
    rewindIteration: g.reset === 'rewind' ? g.rewindIteration : undefined,
    batchNorm: g.batchNorm,
    resetEnd: g.resetEnd,
    keepTrained: true,
    initial: theta0,
    onPrune,
  };
  // refused before training starts, not from inside it
  checkGradualOptions(options, config.iterations);
  return gradualPruning(options);
}

/** One line of progress output for a pruning step: the target and each layer's sparsity. */
export function describePruneEvent(e: PruneEvent): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const layers = e.layers.map((l) => `${l.layer} ${pct(1 - l.kept / l.total)}`).join(', ');
  const reset =
    e.reset === 'theta0'
      ? '; survivors reset to θ₀'
      : e.reset === 'rewind'
        ? '; survivors rewound to θ_k'
        : '';
  return `iteration ${e.iteration}: pruned to ${pct(e.target)} (${layers})${reset}`;
}

/** The unit's final masks, in the order of `layers`. */
export function finalMasks(engineMasks: Masks, layers: PrunableLayer[]): Masks {
  return new Map(layers.map((l) => [l.name, engineMasks.get(l.name)!]));
}
