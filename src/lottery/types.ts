/**
 * The types the parts of the lottery procedure share: unit keys, weight sets, and the two plug-in
 * kinds — reset strategies (where a pruned network's surviving weights start from) and conditions
 * (the ticket and its controls: which mask a unit trains, and what it depends on).
 */
import type { TrainingEngine } from '../engine/engine.js';
import type { Masks, PrunableLayer } from '../prune/index.js';
import type { Run } from '../store/index.js';
import type { Schedule } from '../train/schedule.js';
import type { LotteryConfig } from './config.js';

const pad2 = (n: number) => String(n).padStart(2, '0');

/** A unit's key in the run store: `trial-T/level-LL/<condition>`. */
export const unitKey = (trial: number, level: number, condition: string): string =>
  `trial-${trial}/level-${pad2(level)}/${condition}`;

/** The directory of a trial's shared files (init.safetensors = θ₀, rewind.safetensors = θ_k). */
export const trialKey = (trial: number): string => `trial-${trial}`;

/** The trial's file of one batch's gradient at θ₀ (for gradient-scored criteria: snip, grad). */
export const GRADIENT_FILE = 'gradient.safetensors';

export type WeightSet = { weights: Map<string, Float32Array>; buffers: Map<string, Float32Array> };

/** Where a unit sits in a run, for planning (no files are read). */
export interface UnitPosition {
  config: LotteryConfig;
  trial: number;
  /** ≥ 1: level 0 is always the dense ticket trained from θ₀. */
  level: number;
}

/** Everything a plug-in needs to build one unit's mask or starting weights. */
export interface UnitContext extends UnitPosition {
  condition: string;
  /** The trial's seed (every random draw of the unit derives from it). */
  seed: number;
  run: Run;
  engine: TrainingEngine;
  layers: PrunableLayer[];
  /** The level whose trained ticket this condition's mask was pruned from (see Condition.sourceLevel). */
  sourceLevel: number;
  /** θ₀ of the trial. */
  theta0(): WeightSet;
  /** The ticket's mask at this level. */
  ticketMasks(): Masks;
}

/**
 * How the surviving weights of a pruned network are reset before it is trained again (levels ≥ 1).
 * Register one in ./resets.ts.
 */
export interface ResetStrategy {
  name: string;
  description: string;
  /** Keys of the units whose files `startingWeights` reads, given the condition's source level. */
  dependsOn(position: UnitPosition, sourceLevel: number): string[];
  startingWeights(ctx: UnitContext): WeightSet;
  /**
   * How pruned networks retrain (levels ≥ 1); absent = the run's whole schedule from step 0. Renda et
   * al.'s methods retrain T − k steps: from schedule position k, or at a small fixed learning rate.
   */
  retraining?(config: LotteryConfig): Retraining;
}

/** The training of a pruned network: its steps, learning rate and schedule, and the schedule's start. */
export interface Retraining {
  iterations: number;
  learningRate: number;
  schedule: Schedule;
  /** The schedule position of the first step (TrainOptions.scheduleOffset). */
  scheduleOffset: number;
}

/**
 * What one unit at a level ≥ 1 trains: the ticket itself, or a control beside it. Register
 * controls in ./controls.ts.
 */
export interface Condition {
  name: string;
  description: string;
  /** The level whose trained ticket this condition's mask comes from (what reset 'none' continues). */
  sourceLevel(position: UnitPosition): number;
  /** Keys of the units whose files `masks` reads. */
  maskDependsOn(position: UnitPosition): string[];
  masks(ctx: UnitContext): Masks;
  /**
   * Starting weights that replace the run's reset strategy (e.g. a fresh initialization), with the
   * units they read; absent = the run's reset decides.
   */
  start?: { dependsOn(position: UnitPosition): string[]; startingWeights(ctx: UnitContext): WeightSet };
}
