/** Pruning masks for lottery-ticket experiments (Frankle & Carbin 2019, Sections 2 and 4). */
export type { LayerKind, Masks, PrunableLayer, PruneRates, PruneSpec, Weights } from './types.js';
export { checkRate, keptAfterRounds, prunedCount, rateForTarget, remainingAfter } from './schedule.js';
export {
  applyMask,
  applyMasks,
  countKept,
  fullMasks,
  globalPool,
  layerSize,
  pruneMasks,
  pruneRandomly,
  randomMasksLike,
  rateFor,
} from './masks.js';
export { formatSparsityReport, sparsityReport } from './report.js';
export type { DesiredSparsity, SparsityReport, SparsityRow } from './report.js';
export { countOnes, pruneSmallest } from './select.js';
