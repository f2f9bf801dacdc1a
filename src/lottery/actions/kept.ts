/**
 * Mask-1 actions, as Zhou et al.'s train_lottery.py --exp defines them, per masked tensor with w_i
 * its starting values and K its kept positions:
 * - reset: w_i as the reset gives it (the lottery ticket; default).
 * - random_reinit: a permutation of the whole tensor's w_i (Zhou's "reinit" is this permutation).
 * - random_reshuffle: the w_i values at K permuted among K.
 * - signed_reinit / signed_reshuffle: those magnitudes with the sign of w_i at each position.
 * - signed_constant: sign(w_i)·σ, σ the standard deviation of the tensor's w_i (population).
 * - rand_signed_constant: the signed constants permuted over the whole tensor (random signs).
 * - *_rescaling (random_reinit, signed_reinit, signed_constant, rand_signed_constant): the same × n/|K|,
 *   n the tensor's size.
 * Pruned positions are left as the action computes them; the mask-0 action decides what they hold.
 */
import type { KeptAction, KeptContext } from './types.js';
import type { Rng } from '../../util/rng.js';

/** A uniformly random permutation of `values` (Fisher–Yates on a copy). */
export function permuted(values: Float32Array, rng: Rng): Float32Array {
  const out = Float32Array.from(values);
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}

/** `values` with the entries at kept positions permuted among those positions. */
export function reshuffledAmongKept(values: Float32Array, mask: Uint8Array, rng: Rng): Float32Array {
  const kept: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) kept.push(i);
  const shuffled = permuted(
    Float32Array.from(kept, (i) => values[i]),
    rng,
  );
  const out = Float32Array.from(values);
  kept.forEach((i, j) => (out[i] = shuffled[j]));
  return out;
}

/** Population standard deviation, in float64. */
export function stdOf(values: Float32Array): number {
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let sq = 0;
  for (const v of values) sq += (v - mean) ** 2;
  return Math.sqrt(sq / values.length);
}

const withSignOf = (magnitudes: Float32Array, signs: Float32Array) =>
  Float32Array.from(magnitudes, (m, i) => Math.sign(signs[i]) * Math.abs(m));

const signedConstant = (wi: Float32Array) => {
  const sigma = stdOf(wi);
  return Float32Array.from(wi, (w) => Math.sign(w) * sigma);
};

/** An action from a per-tensor rule; with `rescale`, the result × size / kept. */
function perTensor(
  name: string,
  description: string,
  rule: (wi: Float32Array, mask: Uint8Array, rng: Rng) => Float32Array,
  rescale = false,
): KeptAction {
  return {
    name,
    description,
    apply({ layers, masks, start, rng }: KeptContext) {
      const out = new Map<string, Float32Array>();
      for (const layer of layers) {
        const wi = start.get(layer.name);
        const mask = masks.get(layer.name);
        if (!wi || !mask) throw new RangeError(`no starting weights or mask for ${layer.name}`);
        const values = rule(wi, mask, rng);
        if (rescale) {
          let kept = 0;
          for (const m of mask) if (m !== 0) kept++;
          const factor = kept === 0 ? 1 : mask.length / kept;
          for (let i = 0; i < values.length; i++) values[i] = values[i] * factor;
        }
        out.set(layer.name, values);
      }
      return out;
    },
  };
}

const randomReinit = (wi: Float32Array, _m: Uint8Array, rng: Rng) => permuted(wi, rng);
const signedReinit = (wi: Float32Array, _m: Uint8Array, rng: Rng) => withSignOf(permuted(wi, rng), wi);
const randSignedConstant = (wi: Float32Array, _m: Uint8Array, rng: Rng) => permuted(signedConstant(wi), rng);

export const KEPT_ACTIONS: readonly KeptAction[] = [
  { name: 'reset', description: 'the values the reset gives (the lottery ticket)', apply: () => new Map() },
  perTensor('random_reinit', 'a random permutation of the whole tensor’s w_i', randomReinit),
  perTensor('random_reshuffle', 'the kept weights’ w_i permuted among the kept positions', (wi, m, rng) =>
    reshuffledAmongKept(wi, m, rng),
  ),
  perTensor('signed_reinit', 'random_reinit’s magnitudes with the sign of w_i', signedReinit),
  perTensor('signed_reshuffle', 'random_reshuffle’s magnitudes with the sign of w_i', (wi, m, rng) =>
    withSignOf(reshuffledAmongKept(wi, m, rng), wi),
  ),
  perTensor('signed_constant', 'sign(w_i)·σ, σ the std of the tensor’s w_i', (wi) => signedConstant(wi)),
  perTensor(
    'rand_signed_constant',
    'signed_constant permuted over the tensor (random signs)',
    randSignedConstant,
  ),
  perTensor('random_reinit_rescaling', 'random_reinit × size / kept', randomReinit, true),
  perTensor('signed_reinit_rescaling', 'signed_reinit × size / kept', signedReinit, true),
  perTensor('signed_constant_rescaling', 'signed_constant × size / kept', (wi) => signedConstant(wi), true),
  perTensor('rand_signed_constant_rescaling', 'rand_signed_constant × size / kept', randSignedConstant, true),
];
