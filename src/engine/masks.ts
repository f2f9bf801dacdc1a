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
  /** The same mask as bytes (1 = kept), for copies and views of the masks without a conversion. */
  private readonly bytes: Uint8Array;
  /** The value of each pruned entry of θ (0 where kept or not given). */
  private readonly frozen: Float32Array;

  constructor(
    private readonly layout: ThetaLayout,
    readonly maskedParams: readonly string[],
  ) {
    this.mask = new Float32Array(layout.size).fill(1);
    this.bytes = new Uint8Array(layout.size).fill(1);
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
      const { offset, size } = this.layout.slot(p);
      const bytes = this.bytes.subarray(offset, offset + size);
      setMaskBits(bits(dst), bytes, m, bits(this.layout.view(this.frozen, p)), values && bits(values));
    }
  }

  /** Copies of the masks, by masked parameter. */
  get(): Map<string, Uint8Array> {
    return new Map([...this.views()].map(([p, m]) => [p, m.slice()]));
  }

  /** The masks by masked parameter as views (valid until the next set; not to be written). */
  views(): Map<string, Uint8Array> {
    return new Map(
      this.maskedParams.map((p) => {
        const { offset, size } = this.layout.slot(p);
        return [p, this.bytes.subarray(offset, offset + size)];
      }),
    );
  }

  /** The masks of a flat mask over θ (a checkpoint's), by masked parameter. */
  split(flat: Float32Array): Map<string, Uint8Array> {
    // the constructor converts as Uint8Array.from does, without its element-by-element path
    return new Map(this.maskedParams.map((p) => [p, new Uint8Array(this.layout.view(flat, p))]));
  }

  /** Sets every pruned entry of θ to its frozen value and of each optimizer state (θ's layout) to 0. */
  apply(theta: Float32Array, states: Float32Array[]): void {
    const [s0, s1] = states;
    applyBits(bits(this.mask), bits(this.frozen), bits(theta), s0 && bits(s0), s1 && bits(s1));
    for (const data of states.slice(2)) applyBits(bits(this.mask), bits(this.frozen), undefined, bits(data));
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

/*
 * The loops over every entry of θ work on the floats' bit patterns: a mask entry is 1.0 or +0.0, so
 * `keep` below is all ones or all zeros and each entry is chosen with and/or instead of a branch. A
 * branch on a mask that prunes at random is mispredicted about half the time, which made these
 * loops 10× slower; the bits chosen are exactly the ones the branches chose (−0, NaN included).
 */

/** The float32 array's bit patterns (a view, not a copy). */
function bits(a: Float32Array): Int32Array {
  return new Int32Array(a.buffer, a.byteOffset, a.length);
}

/**
 * mask ← 1.0 where m keeps, else +0, and bytes ← 1 or 0; frozen ← the given value where m prunes,
 * else +0.
 */
function setMaskBits(
  mask: Int32Array,
  bytes: Uint8Array,
  m: Uint8Array,
  frozen: Int32Array,
  values: Int32Array | undefined,
): void {
  const ONE = 0x3f800000; // 1.0f
  const n = m.length;
  for (let i = 0; i < n; i++) {
    const keep = -m[i] >> 31; // m[i] is 0..255: −1 when non-zero
    mask[i] = keep & ONE;
    bytes[i] = keep & 1;
  }
  if (!values) frozen.fill(0);
  else for (let i = 0; i < n; i++) frozen[i] = ~(-m[i] >> 31) & values[i];
}

/** Where the mask prunes: θ ← its frozen value, each state ← +0. */
function applyBits(
  mask: Int32Array,
  frozen: Int32Array,
  theta: Int32Array | undefined,
  s0?: Int32Array,
  s1?: Int32Array,
): void {
  const n = mask.length;
  for (let i = 0; i < n; i++) {
    const b = mask[i] & 0x7fffffff; // −0 would count as pruned, like === 0 (the mask holds no −0)
    const keep = (b | -b) >> 31;
    if (theta) theta[i] = (theta[i] & keep) | (frozen[i] & ~keep);
    if (s0) s0[i] &= keep;
    if (s1) s1[i] &= keep;
  }
}
