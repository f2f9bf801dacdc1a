/** Compile a graph of the DSL with onnxruntime (1 thread), run it once on the feeds, release it. */
import { CompiledGraph, signatureOf } from '../../src/engine/session.js';
import type { Graph, Tensor, TypedArray } from '../../src/graph/graph.js';
import { emitModel } from '../../src/graph/onnx.js';

export async function runGraph(
  g: Graph,
  inputs: Tensor[],
  outputs: Tensor[],
  feeds: Record<string, TypedArray>,
): Promise<TypedArray[]> {
  const session = await CompiledGraph.create(
    emitModel(g, { outputs, inputs }),
    inputs.map(signatureOf),
    outputs.map(signatureOf),
    { threads: 1 },
  );
  try {
    const out = await session.run(feeds);
    return outputs.map((t) => out[t.name]);
  } finally {
    await session.release();
  }
}

/** runGraph for float64 graphs: each output copied as a Float64Array. */
export async function runGraph64(
  g: Graph,
  inputs: Tensor[],
  outputs: Tensor[],
  feeds: Record<string, TypedArray>,
): Promise<Float64Array[]> {
  return (await runGraph(g, inputs, outputs, feeds)).map((o) => Float64Array.from(o as Float64Array));
}
