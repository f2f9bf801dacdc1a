/**
 * Export of a trained (and pruned) network as a standalone inference ONNX model: weights with the
 * mask applied are baked in as initializers; one input `input` [batch, ...] and one output `logits`,
 * with a symbolic batch dimension, loadable by any ONNX runtime.
 */
import type { Initializer } from '../graph/graph.js';
import { emitModel } from '../graph/onnx.js';
import type { Model } from '../models/types.js';
import type { TrainingEngine } from './engine.js';
import { buildInferenceGraph } from './step-graph.js';

export interface ExportMetadata {
  [key: string]: string | number | boolean;
}

export function exportInferenceModel(engine: TrainingEngine, metadata: ExportMetadata = {}): Uint8Array {
  return exportWeights(engine.model, engine.getWeights(), engine.getBuffers(), metadata);
}

export function exportWeights(
  model: Model,
  weights: ReadonlyMap<string, Float32Array>,
  buffers: ReadonlyMap<string, Float32Array>,
  metadata: ExportMetadata = {},
): Uint8Array {
  const { graph, build, x, logits } = buildInferenceGraph(model, 1);
  const bake = new Map<string, Initializer>();
  for (const { decl } of build.params) {
    const data = weights.get(decl.name);
    if (!data) throw new Error(`export: missing weights for ${decl.name}`);
    bake.set(decl.name, { name: decl.name, dtype: 'float32', shape: decl.shape, data });
  }
  for (const { decl } of build.buffers) {
    const data = buffers.get(decl.name);
    if (!data) throw new Error(`export: missing buffer ${decl.name}`);
    bake.set(decl.name, { name: decl.name, dtype: 'float32', shape: decl.shape, data });
  }
  return emitModel(graph, {
    inputs: [x],
    outputs: [logits],
    bake,
    batchDim: 'batch',
    docString: JSON.stringify({ producer: 'ticketlab', model: model.name, ...metadata }),
    rename: { [x.name]: 'input' },
  });
}
