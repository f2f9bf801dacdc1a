/**
 * Groups of a weight under a granularity: which group every weight belongs to, the groups' scores
 * (the mean of their kept weights' scores) and masks, and back from group masks to weight masks.
 */
import { UserError } from '../../util/errors.js';
import type { PrunableLayer } from '../types.js';
import { appliesTo, weightForm } from './registry.js';
import type { Granularity, WeightForm } from './types.js';

export interface GroupLayout {
  /** Number of groups. */
  count: number;
  /** The group of every weight (flat, row-major), groups numbered row-major over the axes not spanned. */
  groupOf: Int32Array;
}

const FORM_TEXT: Record<WeightForm, string> = {
  linear: 'a linear weight [out, in]',
  conv: 'a conv weight [out, in, kh, kw]',
};

/** The weight form of `layer` under `g`, or a UserError naming the layer and the fix. */
export function checkApplies(g: Granularity, layer: PrunableLayer): WeightForm {
  const form = weightForm(layer.shape);
  if (form === undefined)
    throw new UserError(
      `pruning granularity ${g.name} does not apply to ${layer.name} [${layer.shape.join(', ')}], ` +
        'which is not a linear or conv weight (a bias?)',
      'prune biases only with --granularity weight (leave --prune-biases out)',
    );
  if (!appliesTo(g, form)) {
    const other: WeightForm = form === 'linear' ? 'conv' : 'linear';
    throw new UserError(
      `pruning granularity ${g.name} does not apply to ${layer.name}, ${FORM_TEXT[form]} (only to ${other} weights)`,
      `leave ${layer.kind} layers unpruned (rate 0, or --gradual-kinds without ${layer.kind}), ` +
        'or choose weight, row, column or N:M, which apply to both',
    );
  }
  return form;
}

const cache = new Map<string, GroupLayout>();

/** The groups of `layer` under group granularity `g` (cached by granularity and shape). */
export function groupLayout(g: Granularity, layer: PrunableLayer): GroupLayout {
  const form = checkApplies(g, layer);
  const spanned = new Set(g.axes[form]);
  const key = `${g.name}|${layer.shape.join(',')}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const shape = layer.shape;
  // the group stride of every axis: 0 for spanned axes, row-major over the others
  const stride = new Array<number>(shape.length).fill(0);
  let count = 1;
  for (let a = shape.length - 1; a >= 0; a--) {
    if (spanned.has(a)) continue;
    stride[a] = count;
    count *= shape[a];
  }
  const n = shape.reduce((p, d) => p * d, 1);
  const groupOf = new Int32Array(n);
  const index = new Array<number>(shape.length).fill(0);
  let group = 0;
  for (let i = 0; i < n; i++) {
    groupOf[i] = group;
    // odometer over the weight's coordinates, last axis fastest
    for (let a = shape.length - 1; a >= 0; a--) {
      index[a]++;
      group += stride[a];
      if (index[a] < shape[a]) break;
      group -= stride[a] * index[a];
      index[a] = 0;
    }
  }
  const layout = { count, groupOf };
  if (cache.size >= 64) cache.clear();
  cache.set(key, layout);
  return layout;
}

/** 1 for every group with a kept weight. */
export function groupMask(layout: GroupLayout, mask: Uint8Array): Uint8Array {
  const out = new Uint8Array(layout.count);
  const { groupOf } = layout;
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) out[groupOf[i]] = 1;
  return out;
}

/**
 * The score of every group: the mean of its kept weights' scores (|v| with `absolute`). Pruned weights
 * are left out rather than counted as 0 (fasterai multiplies by the mask after shifting every score
 * above 0; ticketlab's scores may be negative, so a 0 would rank a pruned weight above kept ones). A
 * group with no kept weight scores 0 and is not selected (its group-mask entry is 0).
 */
export function groupScores(
  layout: GroupLayout,
  values: Float32Array | Float64Array,
  mask: Uint8Array,
  absolute: boolean,
  nanMessage: (index: number) => string,
): Float64Array {
  const sums = new Float64Array(layout.count);
  const kept = new Int32Array(layout.count);
  const { groupOf } = layout;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] === 0) continue;
    const v = absolute ? Math.abs(values[i]) : values[i];
    if (Number.isNaN(v)) throw new RangeError(nanMessage(i));
    sums[groupOf[i]] += v;
    kept[groupOf[i]]++;
  }
  for (let g = 0; g < layout.count; g++) if (kept[g] > 0) sums[g] /= kept[g];
  return sums;
}

/** Clears, in `mask`, every weight whose group is cleared in `groups`. */
export function applyGroupMask(layout: GroupLayout, groups: Uint8Array, mask: Uint8Array): void {
  const { groupOf } = layout;
  for (let i = 0; i < mask.length; i++) if (groups[groupOf[i]] === 0) mask[i] = 0;
}

/** Sets, in `mask`, every weight of the groups set in `groups` (a group grown back). */
export function growGroups(layout: GroupLayout, groups: Uint8Array, mask: Uint8Array): void {
  const { groupOf } = layout;
  for (let i = 0; i < mask.length; i++) if (groups[groupOf[i]] !== 0) mask[i] = 1;
}
