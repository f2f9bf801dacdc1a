/**
 * θ's layout: every parameter of a model lives in one flat Float32Array θ, in declaration order, at a
 * fixed offset (its slot). The step graph takes θ as a few inputs, the segments: ranges of θ it reads
 * and updates as one vector each. Masks, optimizer states and frozen values use the same layout.
 */
import { sizeOf } from '../graph/graph.js';
import type { ParamDecl } from '../models/types.js';
import { isPrunableParam } from '../spec/layers.js';

/** Where one parameter lives in θ. */
export interface Slot {
  decl: ParamDecl;
  offset: number;
  size: number;
}

/**
 * A contiguous range of θ that the step graph takes as one input and updates as one vector. A large
 * parameter is a segment of its own, so the graph reads and writes it in place instead of slicing it
 * out of one θ input (a copy of θ per step) and concatenating the gradients (another); consecutive
 * small parameters share a segment, which keeps the optimizer's op count (and its per-op overhead) low.
 */
export interface Segment {
  offset: number;
  size: number;
  params: string[];
}

/**
 * Default segmentFrom: at 2^16 entries, the two copies a shared segment costs (a slice out of it and
 * the gradient's concatenation, ~0.5 MB) outweigh a dozen more small ops.
 */
export const SEGMENT_FROM = 1 << 16;

export class ThetaLayout {
  readonly slots = new Map<string, Slot>();
  /** Entries of θ: the number of parameters. */
  readonly size: number;

  constructor(readonly params: readonly ParamDecl[]) {
    let offset = 0;
    for (const decl of params) {
      const n = sizeOf(decl.shape);
      this.slots.set(decl.name, { decl, offset, size: n });
      offset += n;
    }
    this.size = offset;
  }

  slot(name: string): Slot {
    const slot = this.slots.get(name);
    if (!slot) throw new Error(`no parameter ${name}`);
    return slot;
  }

  /** The range of a θ-shaped array that holds parameter `name` (a view, not a copy). */
  view(flat: Float32Array, name: string): Float32Array {
    const slot = this.slot(name);
    return flat.subarray(slot.offset, slot.offset + slot.size);
  }

  /** Parameters with at least `from` entries are segments of their own; smaller neighbours share one. */
  segments(from = SEGMENT_FROM): Segment[] {
    const segments: Segment[] = [];
    let open: Segment | undefined;
    for (const { decl, offset, size } of this.slots.values()) {
      if (size >= from) {
        segments.push({ offset, size, params: [decl.name] });
        open = undefined;
      } else {
        if (!open) segments.push((open = { offset, size: 0, params: [] }));
        open.size += size;
        open.params.push(decl.name);
      }
    }
    return segments;
  }
}

/** The default `masked` option: every weight of an fc, conv or output layer carries a mask. */
export function defaultMasked(d: ParamDecl): boolean {
  return isPrunableParam(d, { pruneBiases: false });
}
