/**
 * The fully resolved hyperparameters of a lottery experiment. Their schema and type come from the
 * settings table (src/spec/settings.ts), where each setting is declared once.
 */
import { isPrunableParam } from '../spec/layers.js';
import type { LotteryConfig } from '../spec/settings.js';

export { INITS, lotteryConfigSchema, type LotteryConfig, type LotteryRequest } from '../spec/settings.js';

/** Which parameters carry masks: weights of fc/conv/output layers, and their biases when asked. */
export function isPrunable(config: LotteryConfig, decl: { role: string; layerKind?: string }): boolean {
  return isPrunableParam(decl, config.pruning);
}

/** Conditions trained at each level: the ticket itself, then the requested controls (not at level 0). */
export function conditionsAt(config: LotteryConfig, level: number): string[] {
  if (level === 0) return ['ticket'];
  const only = config.controlLevels ?? {};
  return ['ticket', ...config.controls.filter((c) => only[c]?.includes(level) ?? true)];
}

/** The seed of a trial: distinct, stable streams per trial. */
export function trialSeed(config: LotteryConfig, trial: number): number {
  return config.seed + trial;
}
