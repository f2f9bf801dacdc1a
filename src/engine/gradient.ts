/**
 * The loss gradient of one batch at given weights, without training: what SNIP-style criteria score
 * (Lee et al. 2019; Zhou et al.'s `snip` and `grad`). A graph of its own (forward in training mode,
 * loss, backward; every parameter a separate input), so the training engine's step, state and update
 * plans are untouched. Dropout is off (every dropout mask is 1); BatchNorm uses the batch's statistics
 * and its running statistics are left as they are.
 */
import { Graph, type TypedArray, sizeOf } from '../graph/graph.js';
import { gradients } from '../graph/autodiff.js';
import { emitModel } from '../graph/onnx.js';
import type { Model } from '../models/types.js';
import { type LossFunction, softmaxCrossEntropyLoss } from './options.js';
import { CompiledGraph, signatureOf } from './session.js';
import { BuildContext } from './build-context.js';

export interface GradientBatch {
  /** [batch, ...model.inputShape] floats. */
  x: Float32Array;
  labels: Int32Array;
  batch: number;
}

/** d(mean loss)/dθ for every parameter of `model`, by name, at `weights` (and `buffers`). */
export async function batchGradient(
  model: Model,
  weights: ReadonlyMap<string, Float32Array>,
  buffers: ReadonlyMap<string, Float32Array>,
  data: GradientBatch,
  options: { loss?: LossFunction; threads?: number } = {},
): Promise<Map<string, Float32Array>> {
  const graph = new Graph(`${model.name}_gradient`);
  const build = new BuildContext(graph, true);
  const x = graph.input('x', [data.batch, ...model.inputShape]);
  const labels = graph.input('labels', [data.batch], 'int32');
  const { loss } = (options.loss ?? softmaxCrossEntropyLoss)(model.forward(build, x), labels);
  const grads = gradients(
    loss,
    build.params.map((p) => p.tensor),
  );
  const outputs = build.params.map((p, i) => graph.output(grads[i], `grad:${p.decl.name}`));
  const compiled = await CompiledGraph.create(
    emitModel(graph, { outputs, inputs: graph.inputs }),
    graph.inputs.map(signatureOf),
    outputs.map(signatureOf),
    { threads: options.threads },
  );
  try {
    const feeds: Record<string, TypedArray> = { x: data.x, labels: data.labels };
    for (const { decl } of build.params) {
      const w = weights.get(decl.name);
      if (!w || w.length !== sizeOf(decl.shape))
        throw new Error(`missing or wrong-sized parameter ${decl.name}`);
      feeds[decl.name] = w;
    }
    for (const { decl, tensor } of build.buffers) {
      const b = buffers.get(decl.name);
      if (!b) throw new Error(`missing buffer ${decl.name}`);
      feeds[tensor.name] = b;
    }
    for (const { decl, tensor } of build.dropouts)
      feeds[tensor.name] = new Float32Array(sizeOf(decl.shape)).fill(1);
    const out = await compiled.run(feeds);
    return new Map(
      build.params.map((p) => [p.decl.name, Float32Array.from(out[`grad:${p.decl.name}`] as Float32Array)]),
    );
  } finally {
    await compiled.release();
  }
}
