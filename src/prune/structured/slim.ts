/**
 * Physical channel removal (network slimming, Liu et al. 2017): given which channels of each group
 * stay, a thinner dense network — the model's own forward pass with fewer filters per conv and a
 * channel selection before pre-activation BatchNorms — and its weights sliced from the wide network's:
 * the producing conv's filters (and bias), the BatchNorm's γ, β and running statistics, and the
 * input channels (or flattened columns) of every layer that reads the group. The thin network computes
 * what the wide one computes with the removed channels masked (maskChannels): in inference mode the
 * same outputs up to float32 summation order.
 */
import { gatherChannels } from '../../graph/ops/channels.js';
import type { Model } from '../../models/types.js';
import type { ChannelGroup, ChannelStructure } from './analyse.js';
import { withChannelHooks } from './hooks.js';

/** Per group (by name), the kept channels: 1 = kept. */
export type ChannelMasks = Map<string, Uint8Array>;

export type WeightMaps = { weights: Map<string, Float32Array>; buffers: Map<string, Float32Array> };

/** Indices of the kept channels. */
export const keptIndices = (mask: Uint8Array): number[] => [...mask].flatMap((m, i) => (m ? [i] : []));

function checkMasks(structure: ChannelStructure, masks: ChannelMasks): void {
  for (const g of structure.groups) {
    const m = masks.get(g.name);
    if (!m) throw new Error(`no channel mask for ${g.name}`);
    if (m.length !== g.channels)
      throw new Error(`channel mask of ${g.name} has ${m.length} entries, expected ${g.channels}`);
    if (!m.some((v) => v)) throw new Error(`channel mask of ${g.name} keeps no channel`);
  }
  for (const name of masks.keys())
    if (!structure.groups.some((g) => g.name === name))
      throw new Error(`${name} is not a removable channel group`);
}

/** The thinner network: the same model built with the kept channels only. */
export function slimModel(model: Model, structure: ChannelStructure, masks: ChannelMasks): Model {
  checkMasks(structure, masks);
  const produced = new Map<string, number>();
  const selected = new Map<string, number[]>();
  for (const g of structure.groups) {
    const kept = keptIndices(masks.get(g.name)!);
    if (g.producer) produced.set(g.producer, kept.length);
    else if (kept.length < g.channels) selected.set(g.norm!, kept);
  }
  return {
    name: model.name,
    inputShape: model.inputShape,
    classes: model.classes,
    forward: (ctx, x) =>
      model.forward(
        withChannelHooks(ctx, {
          filters: (conv, filters) => produced.get(conv) ?? filters,
          enter: (kind, name, t) =>
            kind === 'norm' && selected.has(name) ? gatherChannels(t, selected.get(name)!) : t,
          leave: (_kind, _name, t) => t,
        }),
        x,
      ),
  };
}

interface Selection {
  /** Kept indices along axis 0 and axis 1 (undefined: all). */
  rows?: number[];
  columns?: number[];
}

/** For every parameter and buffer a group shrinks, which rows and columns stay. */
function selections(structure: ChannelStructure, masks: ChannelMasks): Map<string, Selection> {
  const out = new Map<string, Selection>();
  const at = (name: string) => out.get(name) ?? (out.set(name, {}), out.get(name)!);
  for (const g of structure.groups) {
    const kept = keptIndices(masks.get(g.name)!);
    if (g.producer) for (const p of ['weight', 'bias']) at(`${g.producer}.${p}`).rows = kept;
    if (g.norm)
      for (const p of ['weight', 'bias', 'running_mean', 'running_var']) at(`${g.norm}.${p}`).rows = kept;
    for (const c of g.consumers)
      at(`${c.name}.weight`).columns = kept.flatMap((k) =>
        Array.from({ length: c.spatial }, (_, s) => k * c.spatial + s),
      );
  }
  return out;
}

function sliceTensor<T extends Float32Array | Uint8Array>(
  data: T,
  shape: readonly number[],
  sel: Selection,
  make: (length: number) => T,
): T {
  const rows = sel.rows ?? Array.from({ length: shape[0] }, (_, i) => i);
  if (shape.length === 1) {
    const picked = make(rows.length);
    rows.forEach((r, i) => (picked[i] = data[r]));
    return picked;
  }
  const cols = sel.columns ?? Array.from({ length: shape[1] }, (_, i) => i);
  const inner = shape.slice(2).reduce((a, b) => a * b, 1);
  const out = make(rows.length * cols.length * inner);
  let o = 0;
  for (const r of rows)
    for (const c of cols) {
      const from = (r * shape[1] + c) * inner;
      out.set(data.subarray(from, from + inner), o);
      o += inner;
    }
  return out;
}

/** The thin network's weights and buffers, sliced from the wide network's. */
export function slimWeights(structure: ChannelStructure, masks: ChannelMasks, wide: WeightMaps): WeightMaps {
  checkMasks(structure, masks);
  const sel = selections(structure, masks);
  const slice = (name: string, shape: readonly number[], data: Float32Array | undefined) => {
    if (!data) throw new Error(`slimming: missing ${name}`);
    const s = sel.get(name);
    return s ? sliceTensor(data, shape, s, (n) => new Float32Array(n)) : Float32Array.from(data);
  };
  return {
    weights: new Map(structure.params.map((p) => [p.name, slice(p.name, p.shape, wide.weights.get(p.name))])),
    buffers: new Map(
      structure.buffers.map((b) => [b.name, slice(b.name, b.shape, wide.buffers.get(b.name))]),
    ),
  };
}

/**
 * An unstructured mask of the wide network (a pruned ticket's, 1 = kept) sliced with the same channel
 * selection as its weights (slimWeights): the thin network's mask, entry for entry.
 */
export function slimMasks(
  structure: ChannelStructure,
  masks: ChannelMasks,
  wide: ReadonlyMap<string, Uint8Array>,
): Map<string, Uint8Array> {
  checkMasks(structure, masks);
  const sel = selections(structure, masks);
  const shapes = new Map(structure.params.map((p) => [p.name, p.shape]));
  return new Map(
    [...wide].map(([name, mask]) => {
      const shape = shapes.get(name);
      if (!shape) throw new Error(`slimming: the mask of ${name} is for no parameter of the network`);
      const s = sel.get(name);
      return [name, s ? sliceTensor(mask, shape, s, (n) => new Uint8Array(n)) : Uint8Array.from(mask)];
    }),
  );
}

/**
 * The wide network with the removed channels switched off: a BatchNorm's γ and β are zeroed at them
 * (its output there is then 0), or, without a BatchNorm, the producing conv's filters and bias.
 */
export function maskChannels(structure: ChannelStructure, masks: ChannelMasks, wide: WeightMaps): WeightMaps {
  checkMasks(structure, masks);
  const weights = new Map([...wide.weights].map(([k, v]) => [k, Float32Array.from(v)]));
  const zeroRows = (name: string, mask: Uint8Array) => {
    const w = weights.get(name);
    if (!w) return;
    const per = w.length / mask.length;
    mask.forEach((m, r) => m || w.fill(0, r * per, (r + 1) * per));
  };
  for (const g of structure.groups) {
    const m = masks.get(g.name)!;
    const layer = g.norm ?? g.producer!;
    zeroRows(`${layer}.weight`, m);
    zeroRows(`${layer}.bias`, m);
  }
  return { weights, buffers: wide.buffers };
}

/** The group of that name, if the structure has one. */
export function groupOf(structure: ChannelStructure, name: string): ChannelGroup | undefined {
  return structure.groups.find((g) => g.name === name);
}
