/**
 * What a ticket costs, by ShrinkBench's definitions (Blalock et al. 2020, "What is the State of
 * Neural Network Pruning?", shrinkbench/metrics): parameters and non-zero parameters over every
 * parameter tensor; compression ratio = parameters / non-zero parameters; FLOPs = multiply-adds of
 * one example's forward pass through the fully connected and convolution layers (in·out for a
 * linear layer, out·in·kh·kw·H_out·W_out for a convolution); non-zero FLOPs = each layer's FLOPs
 * times its weight's non-zero fraction; theoretical speedup = FLOPs / non-zero FLOPs.
 */
import type { Model } from '../models/types.js';
import { buildInferenceGraph } from './step-graph.js';

export interface ModelCost {
  parameters: number;
  nonzeroParameters: number;
  compressionRatio: number;
  flops: number;
  nonzeroFlops: number;
  theoreticalSpeedup: number;
}

function nonzero(data: Float32Array): number {
  let n = 0;
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) n++;
  return n;
}

/** The cost of `model` with these parameter values (pruned weights are the zeros). */
export function modelCost(model: Model, weights: ReadonlyMap<string, Float32Array>): ModelCost {
  const { graph, build } = buildInferenceGraph(model, 1);
  const params = new Map(build.params.map((p) => [p.tensor.name, p.decl]));
  // every tensor's shape, by name, from the nodes that read it (and the graph's outputs)
  const shapes = new Map<string, readonly number[]>();
  for (const n of graph.nodes) for (const t of n.inputTensors) if (t) shapes.set(t.name, t.shape);
  for (const t of graph.outputs) shapes.set(t.name, t.shape);
  let parameters = 0;
  let nonzeroParameters = 0;
  for (const p of build.params) {
    const w = weights.get(p.decl.name);
    if (!w) throw new Error(`cost: missing parameter ${p.decl.name}`);
    parameters += w.length;
    nonzeroParameters += nonzero(w);
  }
  let flops = 0;
  let nonzeroFlops = 0;
  for (const n of graph.nodes) {
    if (n.op !== 'Gemm' && n.op !== 'Conv' && n.op !== 'MatMul') continue;
    const decl = params.get(n.inputs[1]);
    if (!decl || decl.role !== 'weight') continue;
    const w = weights.get(decl.name)!;
    let layer = w.length;
    if (n.op === 'Conv') {
      const out = shapes.get(graph.aliases.get(n.outputs[0]) ?? n.outputs[0]) ?? shapes.get(n.outputs[0]);
      if (out) layer *= out[2] * out[3];
    }
    flops += layer;
    nonzeroFlops += (layer * nonzero(w)) / w.length;
  }
  return {
    parameters,
    nonzeroParameters,
    compressionRatio: parameters / Math.max(1, nonzeroParameters),
    flops,
    nonzeroFlops: Math.round(nonzeroFlops),
    theoreticalSpeedup: flops / Math.max(1, nonzeroFlops),
  };
}
