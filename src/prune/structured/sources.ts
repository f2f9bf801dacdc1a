/**
 * What channels can be scored by: BatchNorm scales |γ| (network slimming) or the L1 norm of a conv's
 * filters (for networks without BatchNorm). Apart from slim-network.ts so a command line can offer the
 * choices without loading the cost model's graph compiler.
 */
export const SLIM_SOURCES = ['bn', 'filter-norm'] as const;
export type SlimSource = (typeof SLIM_SOURCES)[number];
