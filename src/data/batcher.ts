/**
 * Iteration-based minibatches. Each epoch visits every example once in a fresh order drawn from
 * Rng.derive(seed, 'shuffle', epoch); a batch that reaches the end of an epoch continues into the next.
 * Batches are written into preallocated arrays; next() allocates nothing (one Rng per epoch aside).
 *
 * Without augmentation the whole set is normalized once into a float copy (MNIST: 55,000 × 784 × 4 B =
 * 172 MB) and each example is one memmove (Float32Array.copyWithin, which allocates nothing), about 4×
 * faster than converting pixels per batch. For copyWithin to work, `x` is then a view on the first
 * batchSize·C·H·W floats of that one big buffer: use `x` itself, never `x.buffer`. With augmentation, or
 * when the copy would exceed `precomputeLimitBytes`, pixels go through a lookup table instead.
 */
import { UserError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { DRAWS_PER_SAMPLE, drawCropFlipInto, fillCropFlip } from './augment.js';
import { type DatasetStatsSource, normalizationTable, toFloatInto } from './normalize.js';
import { imageSize, shapeOf, type ImageSet, type Layout, type Normalization } from './types.js';

export interface BatchSamplerOptions {
  batchSize: number;
  seed: number;
  normalization: Normalization;
  dataset: DatasetStatsSource;
  /** Random crop (4-pixel zero padding) and horizontal flip; meant for CIFAR-10. */
  augment?: boolean;
  /** Also fill `yOneHot` (batchSize × classes). */
  oneHot?: boolean;
  /** Number of classes for one-hot labels (default 10). */
  classes?: number;
  /** Shape reported by `shape` (the memory layout is the same). Default 'flat' for 1 channel, else 'nchw'. */
  layout?: Layout;
  /**
   * Normalize the whole set once and copy floats per batch (default: when not augmenting and the copy
   * fits in `precomputeLimitBytes`, default 512 MB).
   */
  precompute?: boolean;
  precomputeLimitBytes?: number;
}

export interface SamplerPosition {
  epoch: number;
  /** Position of the next example within the epoch's order. */
  index: number;
}

export class BatchSampler {
  /** The batch's images, normalized: batchSize × C·H·W (NCHW order). */
  readonly x: Float32Array;
  /** The batch's labels as class indices. */
  readonly y: Int32Array;
  /** The batch's labels one-hot (batchSize × classes), when `oneHot` was asked for. */
  readonly yOneHot?: Float32Array;
  readonly batchSize: number;
  /** [batchSize, C·H·W] or [batchSize, C, H, W]. */
  readonly shape: number[];
  readonly classes: number;
  /** Whether batches are copied from a normalized float copy of the set (see `precompute`). */
  readonly precomputed: boolean;

  private readonly set: ImageSet;
  private readonly seed: number;
  private readonly table: Float32Array;
  private readonly augment: boolean;
  private readonly order: Int32Array;
  private readonly cropFlip = new Int32Array(3);
  /** Precomputed mode: [batch | normalized set] in one buffer; x is its head. */
  private readonly store?: Float32Array;
  private augmentRng?: Rng;
  private currentEpoch = 0;
  private index = 0;

  constructor(set: ImageSet, opts: BatchSamplerOptions) {
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) {
      throw new UserError(`batch size must be a positive whole number, got ${opts.batchSize}`);
    }
    if (set.count < 1) throw new UserError('cannot draw batches from an empty set of examples');
    this.set = set;
    this.seed = opts.seed;
    this.batchSize = opts.batchSize;
    this.classes = opts.classes ?? 10;
    this.augment = opts.augment ?? false;
    this.table = normalizationTable(opts.dataset, opts.normalization, set.channels);
    const limit = opts.precomputeLimitBytes ?? 512 * 2 ** 20;
    this.precomputed = opts.precompute ?? (!this.augment && set.images.length * 4 <= limit);
    if (this.precomputed && this.augment) {
      throw new RangeError('BatchSampler: precompute and augment cannot be combined');
    }
    const batchFloats = opts.batchSize * imageSize(set);
    if (this.precomputed) {
      this.store = new Float32Array(batchFloats + set.images.length);
      toFloatInto(set, this.table, this.store, batchFloats);
      this.x = this.store.subarray(0, batchFloats);
    } else {
      this.x = new Float32Array(batchFloats);
    }
    this.y = new Int32Array(opts.batchSize);
    if (opts.oneHot) {
      let max = 0;
      for (let i = 0; i < set.count; i++) if (set.labels[i] > max) max = set.labels[i];
      if (max >= this.classes)
        throw new RangeError(`label ${max} does not fit ${this.classes} one-hot classes`);
      this.yOneHot = new Float32Array(opts.batchSize * this.classes);
    }
    this.shape = shapeOf(set, opts.batchSize, opts.layout ?? (set.channels === 1 ? 'flat' : 'nchw'));
    this.order = new Int32Array(set.count);
    this.startEpoch(0);
  }

  /** The epoch the next example comes from (0-based). */
  get epoch(): number {
    return this.currentEpoch;
  }

  /** Batches per epoch (fractional when the batch size does not divide the set). */
  get batchesPerEpoch(): number {
    return this.set.count / this.batchSize;
  }

  position(): SamplerPosition {
    // a batch that ended exactly at the end of an epoch leaves index = count: the next example is
    // the first of the next epoch, which is the position seek() accepts (and positionAfter gives)
    if (this.index === this.set.count) return { epoch: this.currentEpoch + 1, index: 0 };
    return { epoch: this.currentEpoch, index: this.index };
  }

  /** Jumps to a position saved by position(): the batches that follow are the ones that followed then. */
  seek(state: SamplerPosition): void {
    if (!Number.isInteger(state.epoch) || state.epoch < 0 || !Number.isInteger(state.index)) {
      throw new RangeError(`BatchSampler.seek: bad position ${JSON.stringify(state)}`);
    }
    if (state.index < 0 || state.index >= this.set.count) {
      throw new RangeError(`BatchSampler.seek: index ${state.index} outside 0..${this.set.count - 1}`);
    }
    this.startEpoch(state.epoch);
    this.index = state.index;
    if (this.augmentRng) for (let i = 0; i < state.index * DRAWS_PER_SAMPLE; i++) this.augmentRng.uint32();
  }

  /** Position after `steps` batches from the start (for resuming from a step count). */
  positionAfter(steps: number): SamplerPosition {
    const total = steps * this.batchSize;
    return { epoch: Math.floor(total / this.set.count), index: total % this.set.count };
  }

  /** Fills x, y (and yOneHot) with the next batch. */
  next(): void {
    const { x, y, table, order, set, batchSize } = this;
    const images = set.images;
    const labels = set.labels;
    const per = x.length / batchSize;
    const single = set.channels === 1 && !this.augment;
    const store = this.store;
    const offset = x.length;
    for (let b = 0; b < batchSize; b++) {
      if (this.index === order.length) this.startEpoch(this.currentEpoch + 1);
      const src = order[this.index++];
      const s0 = src * per;
      const d0 = b * per;
      if (store) {
        store.copyWithin(d0, offset + s0, offset + s0 + per);
      } else if (this.augment) {
        drawCropFlipInto(this.augmentRng!, this.cropFlip);
        const cf = this.cropFlip;
        fillCropFlip(
          x,
          d0,
          images,
          s0,
          set.channels,
          set.height,
          set.width,
          table,
          cf[0],
          cf[1],
          cf[2] === 1,
        );
      } else if (single) {
        for (let j = 0; j < per; j++) x[d0 + j] = table[images[s0 + j]];
      } else {
        const plane = set.height * set.width;
        for (let c = 0; c < set.channels; c++) {
          const t = c * 256;
          const so = s0 + c * plane;
          const dO = d0 + c * plane;
          for (let j = 0; j < plane; j++) x[dO + j] = table[t + images[so + j]];
        }
      }
      y[b] = labels[src];
    }
    if (this.yOneHot) {
      const oh = this.yOneHot;
      const k = this.classes;
      oh.fill(0);
      for (let b = 0; b < batchSize; b++) oh[b * k + y[b]] = 1;
    }
  }

  private startEpoch(epoch: number): void {
    const order = this.order;
    for (let i = 0; i < order.length; i++) order[i] = i;
    Rng.derive(this.seed, 'shuffle', epoch).shuffle(order);
    if (this.augment) this.augmentRng = Rng.derive(this.seed, 'augment', epoch);
    this.currentEpoch = epoch;
    this.index = 0;
  }
}
