/** Pruning masks for lottery-ticket experiments (Frankle & Carbin 2019, Sections 2 and 4). */
export type {
  LayerKind,
  Masks,
  PrunableLayer,
  PruneRates,
  PruneSpec,
  WeightSources,
  Weights,
} from './types.js';
export { LAYER_KINDS } from './types.js';
export { checkRate, keptAfterRounds, prunedCount, rateForTarget, remainingAfter } from './schedule.js';
export { applyMask, applyMasks, countKept, fullMasks, layerSize, pruneMasks } from './masks.js';
export { rateFor } from './rates.js';
export { pruneRandomly, randomMasksLike } from './random.js';
export { formatSparsityReport, sparsityReport } from './report.js';
export type { DesiredSparsity, SparsityReport, SparsityRow } from './report.js';
export { pruneLowest, pruneSmallest } from './select.js';
export { countOnes } from './count.js';
export type { LowestOptions, ScoreSegment, Segment } from './select.js';
export { criterionNamed, criterionNames, registerCriterion } from './criteria/registry.js';
export type { ChooseContext, Criterion, ScoreContext, WeightSource } from './criteria/types.js';
export { registerScope, scopeNamed, scopeNames } from './scopes/registry.js';
export type { PrunePool, Scope } from './scopes/types.js';
export { globalPool } from './scopes/global.js';
export { thresholdStats } from './threshold.js';
export type { ThresholdRule, ThresholdStats } from './threshold.js';
export {
  granularityNamed,
  granularityNames,
  isPerWeight,
  registerGranularity,
} from './granularities/registry.js';
export { randomGroupMasksLike } from './granularities/random-groups.js';
export type { Granularity, WeightForm } from './granularities/types.js';
