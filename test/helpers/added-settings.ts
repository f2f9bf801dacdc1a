/** Settings added after test/fixtures/resolved-configs-before.json was recorded. */
import assert from 'node:assert/strict';
import type { LotteryConfig } from '../../src/lottery/config.js';

/**
 * Settings added since, at their defaults: Zhou et al.'s mask settings (pruning.keep and the threshold,
 * the kept- and pruned-weights actions, supermask measurements). Left out before comparing, so only
 * a configuration that sets them differs.
 */
export const ADDED_PRUNING: Record<string, unknown> = {
  keep: 'rate',
  thresholdAlpha: 1,
  thresholdCentre: 'mean',
  thresholdValue: 0,
  keptWeights: 'reset',
  prunedWeights: 'zero',
  supermask: false,
};
/** Top-level settings added since, at their defaults: how the step runs (--sparse-kernels, issue 17), the fine-tuning learning rate, network slimming's penalty and early-bird recording (issue 15), and the pruning granularity (issue 14). */
export const ADDED_TOP: Record<string, unknown> = {
  sparseKernels: 'off',
  finetuneLearningRate: 1e-3,
  bnL1: 0,
  earlyBird: false,
  granularity: 'weight',
  // explicit per-level densities (issue 15's pruning study): optional, absent by default
  densities: undefined,
  // weights from earlier points of training (issue 15): snapshots, the mask's source, Early-Bird stopping
  saveWeightsAt: [],
  maskFrom: 'final',
  earlyBirdStop: undefined,
  // level-0 sharing between runs (how a run is computed, not part of its identity)
  shareLevel0: true,
};

/**
 * Where warmup starts (issue 12): OpenLTH's rule, from zero, for a run with warmup; runs without
 * warmup store first-step, the rule runs had before the setting existed, so their identity stays.
 */
export const addedWarmupFrom = (schedule: { warmup: number }): string =>
  schedule.warmup > 0 ? 'zero' : 'first-step';

export function withoutAdded(config: LotteryConfig): unknown {
  const { warmupFrom, ...schedule } = config.schedule;
  assert.equal(warmupFrom, addedWarmupFrom(schedule), 'schedule.warmupFrom');
  const pruning: Record<string, unknown> = { ...config.pruning };
  for (const [key, value] of Object.entries(ADDED_PRUNING)) {
    assert.deepEqual(pruning[key], value, key);
    delete pruning[key];
  }
  // pruning during training (issue 14), off: its group holds only defaults
  const { gradual, ...rest } = config;
  assert.equal(gradual.schedule, 'none');
  const top: Record<string, unknown> = { ...rest, pruning, schedule };
  for (const [key, value] of Object.entries(ADDED_TOP)) {
    assert.deepEqual(top[key], value, key);
    delete top[key];
  }
  return top;
}
