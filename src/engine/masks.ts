/**
 * The mask policy: which weights are pruned, and the value each pruned weight is frozen at. A pruned
 * weight holds its frozen value (0 unless given) and never moves: the update multiplies its gradient,
 * weight decay included, by 0, and its optimizer state is 0. Both live in θ's layout.
 */
import type { ThetaLayout } from './layout.js';

export interface MaskOptions {
  /**
   * Per masked parameter, the values its pruned positions hold (a full-size array; only the pruned
   * positions are read). A masked parameter not listed is frozen at 0. Each setMasks call replaces the
   * whole policy.
   */
  frozen?: ReadonlyMap<string, Float32Array>;
  /**
   * Masks that change during training: take any compiled sparse step whose shapes hold the new kept
   * counts (padding its index lists) instead of compiling one for these exact counts, so a schedule
   * of many shrinking masks compiles once. Off by default: a lottery level compiles its exact shapes.
   */
  reusePrograms?: boolean;
}

export class MaskPolicy {
  /** The flat mask over θ: 1 = kept (always 1 for parameters without a mask, such as biases). */
  readonly mask: Float32Array;
  /** The value of each pruned entry of θ (0 where kept or not given). */
  private readonly frozen: Float32Array;

  constructor(
    private readonly layout: ThetaLayout,
    readonly maskedParams: readonly string[],
  ) {
    this.mask = new Float32Array(layout.size).fill(1);
    this.frozen = new Float32Array(layout.size);
  }

  /** Installs masks (1 = keep) for every masked parameter and the values pruned weights are frozen at. */
  set(masks: ReadonlyMap<string, Uint8Array>, options: MaskOptions = {}): void {
    const frozen = options.frozen ?? new Map<string, Float32Array>();
    for (const name of frozen.keys())
      if (!this.maskedParams.includes(name)) throw new Error(`frozen values for unmasked parameter ${name}`);
    for (const p of this.maskedParams) {
      const m = masks.get(p);
      if (!m) throw new Error(`missing mask for ${p}`);
      const dst = this.layout.view(this.mask, p);
      if (m.length !== dst.length)
        throw new Error(`mask for ${p} has ${m.length} entries, expected ${dst.length}`);
      const values = frozen.get(p);
      if (values && values.length !== dst.length)
        throw new Error(`frozen values for ${p} have ${values.length} entries, expected ${dst.length}`);
      const frozenDst = this.layout.view(this.frozen, p);
      for (let i = 0; i < m.length; i++) {
        dst[i] = m[i] ? 1 : 0;
        frozenDst[i] = m[i] || !values ? 0 : values[i];
      }
    }
  }

  /** Copies of the masks, by masked parameter. */
  get(): Map<string, Uint8Array> {
    return new Map(this.maskedParams.map((p) => [p, Uint8Array.from(this.layout.view(this.mask, p))]));
  }

  /** The masks of a flat mask over θ (a checkpoint's), by masked parameter. */
  split(flat: Float32Array): Map<string, Uint8Array> {
    return new Map(this.maskedParams.map((p) => [p, Uint8Array.from(this.layout.view(flat, p))]));
  }

  /** Sets every pruned entry of θ to its frozen value and of each optimizer state (θ's layout) to 0. */
  apply(theta: Float32Array, states: Float32Array[]): void {
    const { mask, frozen } = this;
    for (let i = 0; i < mask.length; i++) if (mask[i] === 0) theta[i] = frozen[i];
    for (const data of states) for (let i = 0; i < mask.length; i++) if (mask[i] === 0) data[i] = 0;
  }

  /** Whether every pruned entry is frozen at 0 (pruned weights then contribute nothing). */
  frozenAtZero(): boolean {
    return this.frozen.every((v) => v === 0);
  }

  /** Kept entries of the masked parameters, and their total. */
  keptOfMasked(): { kept: number; total: number } {
    let kept = 0;
    let total = 0;
    for (const p of this.maskedParams) {
      const m = this.layout.view(this.mask, p);
      total += m.length;
      for (let i = 0; i < m.length; i++) kept += m[i];
    }
    return { kept, total };
  }

  /** The frozen values as θ holds them (a restored checkpoint's θ carries its policy). */
  freezeFrom(theta: Float32Array): void {
    const { mask, frozen } = this;
    for (let i = 0; i < mask.length; i++) frozen[i] = mask[i] === 0 ? theta[i] : 0;
  }
}
