/**
 * The ticket's masks (Frankle & Carbin 2019, Appendix B "Strategy 1"): level L prunes the lowest-
 * magnitude remaining weights of level L−1's trained ticket (iterative), or of level 0's straight to
 * level L's target (one-shot schedule). Every mask is computed from the files of the units it depends
 * on, so any process can compute it, in any order, with the same result.
 */
import type { TrainingEngine } from '../engine/engine.js';
import { initialValues } from '../engine/init.js';
import type { ParamDecl } from '../models/types.js';
import { existsSync } from 'node:fs';
import {
  type Masks,
  type PrunableLayer,
  type PruneSpec,
  type WeightSources,
  criterionNamed,
  fullMasks,
  pruneMasks,
} from '../prune/index.js';
import type { Run } from '../store/index.js';
import { Rng } from '../util/rng.js';
import type { LotteryConfig } from './config.js';
import {
  type Condition,
  GRADIENT_FILE,
  type UnitPosition,
  type WeightSet,
  trialKey,
  unitKey,
} from './types.js';
import { loadMasks, loadWeights } from './weights-io.js';
import { densityRate } from '../spec/density-settings.js';
import { maskSourceWeights } from './snapshots.js';

export function prunableLayers(engine: TrainingEngine): PrunableLayer[] {
  const byName = new Map<string, ParamDecl>(engine.params.map((p) => [p.name, p]));
  return engine.maskedParams.map((name) => {
    const d = byName.get(name)!;
    return { name, kind: d.layerKind ?? 'fc', shape: d.shape };
  });
}

/** A fresh initialization (the random re-initialization control, or reset = reinit). */
export function freshInit(engine: TrainingEngine, seed: number): WeightSet {
  return {
    weights: new Map(engine.params.map((p) => [p.name, initialValues(p, seed)])),
    buffers: new Map(
      engine.buffers.map((b) => [b.name, new Float32Array(b.shape.reduce((a, c) => a * c, 1)).fill(b.init)]),
    ),
  };
}

/** The trained weights of the ticket at `level`. */
export function trainedTicket(run: Run, trial: number, level: number): WeightSet {
  return loadWeights(run.path(unitKey(trial, level, 'ticket'), 'final.safetensors'));
}

export function pruneSpecFor(config: LotteryConfig, level: number): { spec: PruneSpec; fromFull: boolean } {
  const { rates } = config.pruning;
  if (config.densities) {
    // explicit densities replace every given rate with the one that reaches the level's density
    const fromFull = config.pruning.schedule === 'one-shot';
    const p = densityRate(config.densities, level, fromFull);
    const at = (r?: number) => (r === undefined ? undefined : p);
    return {
      spec: {
        strategy: config.pruning.strategy,
        scope: config.pruning.scope,
        rates: {
          fc: at(rates.fc),
          conv: at(rates.conv),
          output: at(rates.output),
          shortcut: at(rates.shortcut),
        },
        globalLayers: config.pruning.globalLayers,
        granularity: config.granularity,
        ...thresholdOf(config),
      },
      fromFull,
    };
  }
  if (config.pruning.schedule === 'one-shot') {
    // straight to the level's target: remaining (1-p)^level of each kind, from the dense network
    const oneShot = (p?: number) => (p === undefined ? undefined : 1 - (1 - p) ** level);
    return {
      spec: {
        strategy: config.pruning.strategy,
        scope: config.pruning.scope,
        rates: { fc: oneShot(rates.fc), conv: oneShot(rates.conv), output: oneShot(rates.output) },
        globalLayers: config.pruning.globalLayers,
        granularity: config.granularity,
        ...thresholdOf(config),
      },
      fromFull: true,
    };
  }
  return {
    spec: {
      strategy: config.pruning.strategy,
      scope: config.pruning.scope,
      rates,
      globalLayers: config.pruning.globalLayers,
      granularity: config.granularity,
      ...thresholdOf(config),
    },
    fromFull: false,
  };
}

/** The threshold rule of `pruning.keep` (nothing for 'rate'). */
function thresholdOf(config: LotteryConfig): Pick<PruneSpec, 'threshold'> {
  const { keep, thresholdAlpha, thresholdCentre, thresholdValue } = config.pruning;
  if (keep === 'std-threshold')
    return { threshold: { rule: 'std', alpha: thresholdAlpha, centre: thresholdCentre } };
  if (keep === 'threshold') return { threshold: { rule: 'value', value: thresholdValue } };
  return {};
}

/**
 * θ₀ (the trial's init.safetensors), θ_k (its rewind.safetensors, when the run has a rewind point)
 * and the one-batch gradient at θ₀ (its gradient.safetensors) for criteria that score from them.
 * Only the sources the criterion `needs` are read, so a criterion that needs none (magnitude, random)
 * costs no file reads; a missing one is left out, and pruneMasks then names it. In a rewinding run
 * (`rewinding`), a criterion that needs θ₀ also gets θ_k, which it compares with instead (Zhou et
 * al.'s w_i is the value the kept weights restart from).
 */
export function pruneSources(
  run: Run,
  trial: number,
  strategy: string,
  rewinding = false,
): WeightSources | undefined {
  const needs = [...(criterionNamed(strategy).needs ?? [])];
  if (needs.length === 0) return undefined;
  if (rewinding && needs.includes('initial') && !needs.includes('rewind')) needs.push('rewind');
  const files = { initial: 'init.safetensors', rewind: 'rewind.safetensors', gradient: GRADIENT_FILE };
  const sources: WeightSources = {};
  for (const source of needs) {
    const path = run.path(trialKey(trial), files[source]);
    if (existsSync(path)) sources[source] = loadWeights(path).weights;
  }
  return sources;
}

/** The level whose trained ticket the ticket's mask at `level` (≥ 1) is pruned from. */
export function ticketSourceLevel({ config, level }: UnitPosition): number {
  return config.pruning.schedule === 'one-shot' ? 0 : level - 1;
}

/** The units the ticket's mask at a level reads: the source ticket (its weights and its mask). */
export function ticketMaskDependsOn(position: UnitPosition): string[] {
  return [unitKey(position.trial, ticketSourceLevel(position), 'ticket')];
}

/** The ticket's mask at `level` (≥ 1), from the source ticket's trained weights and mask. */
export function ticketMasks(
  config: LotteryConfig,
  run: Run,
  layers: PrunableLayer[],
  trial: number,
  level: number,
  seed: number,
): Masks {
  const { spec, fromFull } = pruneSpecFor(config, level);
  const source = fromFull ? 0 : level - 1;
  // the source's weights at --mask-from (final by default): criteria that read w_f read these
  const trained = maskSourceWeights(config, run, trial, source);
  const previous = fromFull
    ? fullMasks(layers)
    : loadMasks(run.path(unitKey(trial, source, 'ticket'), 'masks.safetensors'), layers);
  const sources = pruneSources(run, trial, spec.strategy, config.reset === 'rewind');
  return pruneMasks(layers, trained.weights, previous, {
    ...spec,
    seed: Rng.derive(seed, 'prune', level).uint32(),
    ...(sources ? { sources } : {}),
  });
}

/** The ticket itself: its mask, its starting weights from the run's reset strategy. */
export const ticketCondition: Condition = {
  name: 'ticket',
  description: 'the winning ticket: the pruned network, reset by the run’s reset strategy',
  sourceLevel: ticketSourceLevel,
  maskDependsOn: ticketMaskDependsOn,
  masks: (ctx) => ctx.ticketMasks(),
};
