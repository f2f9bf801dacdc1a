/**
 * Which channels of a network can be removed physically, found from its own graph. The model is built
 * once (inference mode) with hooks that tag every conv's, BatchNorm's and dense layer's input and
 * output; then, for each BatchNorm (and each conv not followed by one), the graph is walked forward
 * from its output through per-channel operations that keep 0 at 0 (ReLU, max and average pooling,
 * global pooling, flattening). A channel group is removable when that walk reaches only the inputs of
 * convs and dense layers: a zeroed channel then contributes nothing, and dropping it (with the inputs
 * that read it) computes the same function. Anything else on the way — a residual addition, a
 * concatenation, the output — makes the channels part of a tensor that must keep its width (the
 * residual stream), and they are not candidates.
 *
 * A BatchNorm's channels come either from a conv whose output only this BatchNorm reads (the conv's
 * filters go with them), or from a tensor others read too — a pre-activation block's input, which is
 * also the residual — in which case the thinner network selects the kept channels before the
 * BatchNorm (network slimming's channel_selection, done before the normalization).
 */
import { Graph, type GraphNode, type Tensor } from '../../graph/graph.js';
import { BuildContext } from '../../engine/build-context.js';
import type { BufferDecl, LayerCallKind, Model, ParamDecl } from '../../models/types.js';
import { withChannelHooks } from './hooks.js';

export interface ChannelConsumer {
  kind: 'conv' | 'dense';
  /** The layer (its weight is `${name}.weight`, input channels on axis 1). */
  name: string;
  /** Input columns per channel: 1 for a conv, H·W for a dense layer after flattening [N, C, H, W]. */
  spatial: number;
}

/** Channels that can be removed together: a BatchNorm's, or a conv's where no BatchNorm follows. */
export interface ChannelGroup {
  /** The BatchNorm's name, or the conv's for networks without BatchNorm. */
  name: string;
  channels: number;
  /** The BatchNorm layer (γ `${norm}.weight`, β `${norm}.bias`, running statistics). */
  norm?: string;
  /** The conv whose filters produce these channels; absent: they are selected from a wider input. */
  producer?: string;
  consumers: ChannelConsumer[];
}

export interface ChannelStructure {
  model: string;
  groups: ChannelGroup[];
  params: ParamDecl[];
  buffers: BufferDecl[];
  /** BatchNorms whose channels cannot be removed (they feed a residual addition, or the output). */
  fixedNorms: string[];
}

interface Tag {
  side: 'enter' | 'leave';
  kind: LayerCallKind;
  name: string;
}

/** Per-channel ops that map channel c to channel c and an all-zero channel to zeros. */
const CHANNELWISE = new Set([
  'Relu',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'ReduceMean',
  'Identity',
]);

export function analyseChannels(model: Model): ChannelStructure {
  const graph = new Graph('channels');
  const build = new BuildContext(graph, false);
  const tags = new Map<string, Tag>();
  const tag = (side: Tag['side'], kind: LayerCallKind, name: string, t: Tensor): Tensor => {
    const [out] = graph.addNode(
      'Identity',
      [t],
      [{ name: `${side}:${name}`, shape: t.shape, dtype: t.dtype }],
    );
    tags.set(out.name, { side, kind, name });
    return out;
  };
  const convFilters = new Map<string, number>();
  const ctx = withChannelHooks(build, {
    filters: (name, filters) => (convFilters.set(name, filters), filters),
    enter: (kind, name, x) => tag('enter', kind, name, x),
    leave: (kind, name, y) => tag('leave', kind, name, y),
  });
  const logits = model.forward(ctx, graph.input('x', [1, ...model.inputShape]));
  const outputs = new Set([logits.name]);

  const nodes = graph.nodes.filter((n) => !n.gradientOnly);
  const consumers = new Map<string, GraphNode[]>();
  const tensors = new Map<string, Tensor>();
  for (const n of nodes)
    n.inputTensors.forEach((t, i) => {
      if (!t) return;
      tensors.set(t.name, t);
      const list = consumers.get(n.inputs[i]) ?? [];
      list.push(n);
      consumers.set(n.inputs[i], list);
    });
  const tagged = (side: Tag['side'], kind: LayerCallKind) =>
    [...tags]
      .filter(([, t]) => t.side === side && t.kind === kind)
      .map(([out, t]) => ({ out, name: t.name }));
  const nodeOf = (out: string) => nodes.find((n) => n.outputs[0] === out)!;

  /** Layers reached from tensor `name` through channel-wise ops; null when anything else reads it. */
  const walk = (name: string, spatial: number): ChannelConsumer[] | null => {
    if (outputs.has(name)) return null;
    const found: ChannelConsumer[] = [];
    for (const n of consumers.get(name) ?? []) {
      const t = tags.get(n.outputs[0]);
      if (n.op === 'Identity' && t) {
        if (t.side !== 'enter' || t.kind === 'norm') return null;
        if (t.kind === 'conv' && spatial !== 1) return null;
        found.push({ kind: t.kind, name: t.name, spatial });
        continue;
      }
      const x = tensors.get(name)!;
      const out = tensors.get(n.outputs[0]);
      // outputs nobody reads (max-pool indices) do not matter; a read one must be walked
      if (n.outputs.slice(1).some((o) => consumers.has(o))) return null;
      if (!out) continue; // read by nothing
      let next: ChannelConsumer[] | null;
      if (CHANNELWISE.has(n.op) && out.shape[0] === x.shape[0] && out.shape[1] === x.shape[1])
        next = walk(out.name, spatial);
      else if (
        (n.op === 'Flatten' || n.op === 'Reshape') &&
        x.rank === 4 &&
        out.rank === 2 &&
        out.shape[1] === x.size / x.shape[0]
      )
        next = walk(out.name, spatial * x.shape[2] * x.shape[3]);
      else return null;
      if (!next) return null;
      found.push(...next);
    }
    return found;
  };

  const groups: ChannelGroup[] = [];
  const fixedNorms: string[] = [];
  const producers = new Set<string>();
  for (const { out, name } of tagged('enter', 'norm')) {
    const input = nodeOf(out).inputs[0];
    const from = tags.get(input);
    const producer =
      from?.side === 'leave' && from.kind === 'conv' && consumers.get(input)!.length === 1
        ? from.name
        : undefined;
    const leave = tagged('leave', 'norm').find((l) => l.name === name)!;
    const reached = walk(leave.out, 1);
    if (!reached || reached.length === 0) {
      fixedNorms.push(name);
      continue;
    }
    if (producer) producers.add(producer);
    groups.push({ name, channels: tensors.get(out)!.shape[1], norm: name, producer, consumers: reached });
  }
  for (const { out, name } of tagged('leave', 'conv')) {
    if (producers.has(name)) continue;
    const reached = walk(out, 1);
    if (reached && reached.length > 0)
      groups.push({ name, channels: convFilters.get(name)!, producer: name, consumers: reached });
  }
  return {
    model: model.name,
    groups,
    params: build.params.map((p) => p.decl),
    buffers: build.buffers.map((b) => b.decl),
    fixedNorms,
  };
}
