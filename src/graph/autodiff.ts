/**
 * Reverse-mode automatic differentiation over the graph DSL. Walks the nodes that lie between the
 * parameters and the scalar, last to first, calling each node's gradient rule; the rules emit the
 * backward pass as ordinary graph nodes, so forward, backward and optimizer end up in one ONNX graph.
 */
import { type GraphNode, ShapeError, type Tensor } from './graph.js';
import { add } from './ops.js';

export function gradients(scalar: Tensor, wrt: readonly Tensor[], seed?: Tensor): Tensor[] {
  const graph = scalar.graph;
  if (scalar.size !== 1 && !seed) {
    throw new ShapeError(
      'gradients',
      `can only differentiate a scalar without a seed gradient, got ${scalar}`,
    );
  }
  // forward pass: which tensors depend on any of `wrt`
  const depends = new Set<string>(wrt.map((t) => t.name));
  const relevant: GraphNode[] = [];
  for (const node of graph.nodes) {
    if (node.inputs.some((name) => name && depends.has(name))) {
      for (const o of node.outputs) depends.add(o);
      relevant.push(node);
    }
  }
  if (!depends.has(scalar.name)) {
    throw new ShapeError('gradients', `${scalar} does not depend on any of ${wrt.map(String).join(', ')}`);
  }
  const grads = new Map<string, Tensor>();
  grads.set(scalar.name, seed ?? graph.scalar(1, scalar.dtype));
  const accumulate = (t: Tensor, g: Tensor) => {
    if (g.dtype !== t.dtype || g.size !== t.size) {
      throw new ShapeError('gradients', `gradient ${g} does not match ${t} (a gradient rule is wrong)`);
    }
    const prev = grads.get(t.name);
    grads.set(t.name, prev ? add(prev, g) : g);
  };
  // outputs whose gradient a gradient-only rule handles: their lowered producers are skipped
  const claimed = new Set<string>();
  // nodes emitted while differentiating are appended to graph.nodes; iterate over the snapshot
  for (let i = relevant.length - 1; i >= 0; i--) {
    const node = relevant[i];
    if (node.gradientOnly) for (const o of node.outputs) claimed.add(o);
    else if (node.outputs.every((o) => claimed.has(o))) continue;
    const outGrads = node.outputs.map((o) => grads.get(o));
    if (outGrads.every((g) => g === undefined)) continue;
    const needsGrad = node.inputs.map((name) => name !== '' && depends.has(name));
    if (!needsGrad.some(Boolean)) continue;
    if (!node.backward) {
      throw new ShapeError(
        'gradients',
        `${node.op} has no gradient rule but lies between the parameters and ${scalar}`,
      );
    }
    const inGrads = node.backward(outGrads);
    node.inputTensors.forEach((t, k) => {
      const g = inGrads[k];
      if (t && g && needsGrad[k]) accumulate(t, g);
    });
  }
  return wrt.map((t) => grads.get(t.name) ?? graph.constantLike(t, 0));
}
