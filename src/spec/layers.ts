/**
 * Layer kinds and which parameters pruning may touch: defined once here, for models (which tag their
 * layers), pruning (one rate per kind) and the engine (which parameters carry masks).
 */

/**
 * The kinds of prunable weight tensors; each kind has its own pruning rate (Frankle & Carbin, Section 2).
 * 'shortcut': a residual projection (1×1 conv), which the paper's ResNet leaves unpruned (Appendix I).
 */
export const LAYER_KINDS = ['fc', 'conv', 'output', 'shortcut'] as const;
export type LayerKind = (typeof LAYER_KINDS)[number];

/**
 * A parameter is prunable when it belongs to a layer with a kind: its weight always, its bias only
 * when biases are pruned too (the paper prunes weights only).
 */
export function isPrunableParam(
  decl: { role: string; layerKind?: string },
  opts: { pruneBiases: boolean },
): boolean {
  if (decl.layerKind === undefined) return false;
  return decl.role === 'weight' || (opts.pruneBiases && decl.role === 'bias');
}
