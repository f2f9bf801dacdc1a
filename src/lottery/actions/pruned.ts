/**
 * Mask-0 actions, as Zhou et al.'s --model_type defines them (masked_layers.py: W = W_train·m +
 * (1 − m)·W_frozen), per masked tensor with w_i its starting values (as the reset gives them) and w_f
 * the trained weights the mask came from:
 * - zero: pruned weights are 0 (default; the lottery ticket).
 * - freeze_init: pruned weights frozen at w_i, never updated.
 * - freeze_init_zero_mask: 0 where |w_i| > |w_f| (weights that moved toward 0), frozen at w_i elsewhere.
 * - freeze_init_zero_all: that zeroing applied to the kept weights' starting values as well.
 * - freeze_init_zero_reshuffle: as many pruned weights as zero_mask zeroes, chosen at random.
 * - freeze_init_zero_rev: 0 where |w_i| < |w_f|, frozen at w_i elsewhere.
 */
import type { PrunedAction, PrunedContext, PrunedValues } from './types.js';

function tensors(ctx: PrunedContext, name: string) {
  const wi = ctx.start.get(name);
  const mask = ctx.masks.get(name);
  if (!wi || !mask) throw new RangeError(`no starting weights or mask for ${name}`);
  return { wi, mask, wf: ctx.trained.get(name) };
}

/** Frozen at w_i except where `zero(i)` says 0. */
function frozenInit(
  name: string,
  description: string,
  zeroWhere?: (wi: number, wf: number) => boolean,
  options: { zeroKept?: boolean; reshuffle?: boolean } = {},
): PrunedAction {
  return {
    name,
    description,
    needsTrained: zeroWhere !== undefined,
    apply(ctx): PrunedValues {
      const frozen = new Map<string, Float32Array>();
      const start = new Map<string, Float32Array>();
      for (const layer of ctx.layers) {
        const { wi, wf, mask } = tensors(ctx, layer.name);
        const values = Float32Array.from(wi);
        if (zeroWhere) {
          if (!wf) throw new RangeError(`no trained weights for ${layer.name}`);
          const zero = Uint8Array.from(wi, (w, i) => (zeroWhere(w, wf[i]) ? 1 : 0));
          if (options.reshuffle) {
            // the same number of pruned positions, drawn uniformly among the pruned ones
            const pruned: number[] = [];
            let count = 0;
            for (let i = 0; i < mask.length; i++)
              if (mask[i] === 0) {
                pruned.push(i);
                count += zero[i];
              }
            zero.fill(0);
            for (let k = 0; k < count; k++) {
              const j = k + ctx.rng.int(pruned.length - k);
              [pruned[k], pruned[j]] = [pruned[j], pruned[k]];
              zero[pruned[k]] = 1;
            }
          }
          for (let i = 0; i < values.length; i++)
            if (zero[i] && (mask[i] === 0 || options.zeroKept)) values[i] = 0;
        }
        frozen.set(layer.name, values);
        if (options.zeroKept) start.set(layer.name, values);
      }
      return options.zeroKept ? { frozen, start } : { frozen };
    },
  };
}

const movedToZero = (wi: number, wf: number) => Math.abs(wi) > Math.abs(wf);

export const PRUNED_ACTIONS: readonly PrunedAction[] = [
  {
    name: 'zero',
    description: 'pruned weights are 0',
    needsTrained: false,
    apply: () => ({ frozen: new Map() }),
  },
  frozenInit('freeze_init', 'pruned weights frozen at w_i'),
  frozenInit('freeze_init_zero_mask', '0 where |w_i| > |w_f|, else frozen at w_i', movedToZero),
  frozenInit(
    'freeze_init_zero_all',
    'freeze_init_zero_mask, and kept weights with |w_i| > |w_f| start at 0',
    movedToZero,
    {
      zeroKept: true,
    },
  ),
  frozenInit(
    'freeze_init_zero_reshuffle',
    'as many pruned weights as freeze_init_zero_mask zeroes, chosen at random; the rest frozen at w_i',
    movedToZero,
    { reshuffle: true },
  ),
  frozenInit(
    'freeze_init_zero_rev',
    '0 where |w_i| < |w_f|, else frozen at w_i',
    (wi, wf) => Math.abs(wi) < Math.abs(wf),
  ),
];
