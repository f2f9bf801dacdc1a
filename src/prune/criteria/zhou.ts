/**
 * Zhou et al.'s mask criteria ("Deconstructing Lottery Tickets", NeurIPS 2019, Section 3 and their
 * get_weight_init.py), w_f = the trained weights, w_i = θ₀ (θ_k in a rewinding run). Higher = kept;
 * only remaining weights compete, ties by position (see ../select.ts). "Lowest" scores are −∞, so a
 * sign-filtered-out weight is pruned before any other.
 */
import { descendingRanks, diffSign, gradientOf, sameSign, scoresBy, startOf } from './weights.js';
import type { Criterion, ScoreContext } from './types.js';
import { magnitude } from './magnitude.js';

const abs = Math.abs;

export const largeFinal: Criterion = {
  ...magnitude,
  name: 'large_final',
  description: 'keep the largest |w_f| (the same masks as magnitude)',
};

export const smallFinal: Criterion = {
  name: 'small_final',
  description: 'keep the smallest |w_f|: score −|w_f|',
  score: ({ trained }) => scoresBy(trained.length, (i) => -abs(trained[i])),
};

export const largeInit: Criterion = {
  name: 'large_init',
  description: 'keep the largest |w_i|',
  needs: ['initial'],
  score: (ctx) => {
    const wi = startOf(ctx);
    return scoresBy(wi.length, (i) => abs(wi[i]));
  },
};

export const smallInit: Criterion = {
  name: 'small_init',
  description: 'keep the smallest |w_i|: score −|w_i|',
  needs: ['initial'],
  score: (ctx) => {
    const wi = startOf(ctx);
    return scoresBy(wi.length, (i) => -abs(wi[i]));
  },
};

/**
 * Zhou's "large_init_large_final": one percentile q for both distributions, keeping the weights in the
 * top q of |w_i| AND the top q of |w_f|, with q the smallest that keeps the target count. Exactly: rank
 * the layer's remaining weights by |w_i| and by |w_f| (descending, ties by position); a weight enters
 * the kept set at depth max(its two ranks), so the score −(max rank + 1)/remaining keeps the top-q set,
 * and where one depth adds two weights (one per ranking) the lower index is pruned first. Percentiles
 * are per layer (as Zhou prunes layer-wise); in a pool, layers are compared at the same percentile.
 */
function percentileBoth(ctx: ScoreContext, sign: 1 | -1): Float64Array {
  const wi = startOf(ctx);
  const { trained, mask } = ctx;
  const ri = descendingRanks(
    scoresBy(wi.length, (i) => sign * abs(wi[i])),
    mask,
  );
  const rf = descendingRanks(
    scoresBy(trained.length, (i) => sign * abs(trained[i])),
    mask,
  );
  let remaining = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) remaining++;
  return scoresBy(trained.length, (i) => (mask[i] === 0 ? 0 : -(Math.max(ri[i], rf[i]) + 1) / remaining));
}

export const largeInitLargeFinal: Criterion = {
  name: 'large_init_large_final',
  description: 'keep the weights in the top q of both |w_i| and |w_f|, one percentile q for both',
  needs: ['initial'],
  score: (ctx) => percentileBoth(ctx, 1),
};

export const smallInitSmallFinal: Criterion = {
  name: 'small_init_small_final',
  description: 'keep the weights in the bottom q of both |w_i| and |w_f|, one percentile q for both',
  needs: ['initial'],
  score: (ctx) => percentileBoth(ctx, -1),
};

/** A criterion from a per-weight formula of w_f and w_i. */
function fromBoth(name: string, description: string, f: (wf: number, wi: number) => number): Criterion {
  return {
    name,
    description,
    needs: ['initial'],
    score: (ctx) => {
      const wi = startOf(ctx);
      const wf = ctx.trained;
      return scoresBy(wf.length, (i) => f(wf[i], wi[i]));
    },
  };
}

export const magnitudeIncrease = fromBoth(
  'magnitude_increase',
  'keep the weights whose magnitude grew most: |w_f| − |w_i|',
  (wf, wi) => abs(wf) - abs(wi),
);

export const movement = fromBoth('movement', 'keep the weights that moved most: |w_f − w_i|', (wf, wi) =>
  abs(wf - wi),
);

export const movmag = fromBoth('movmag', 'movement times magnitude: |w_f · (w_f − w_i)|', (wf, wi) =>
  abs(wf * (wf - wi)),
);

export const largeFinalSameSign = fromBoth(
  'large_final_same_sign',
  'keep the largest |w_f| among weights whose sign did not change (the others first out)',
  (wf, wi) => (sameSign(wf, wi) ? abs(wf) : -Infinity),
);

export const largeFinalDiffSign = fromBoth(
  'large_final_diff_sign',
  'keep the largest |w_f| among weights whose sign changed (the others first out)',
  (wf, wi) => (diffSign(wf, wi) ? abs(wf) : -Infinity),
);

export const magnitudeIncreaseSameSign = fromBoth(
  'magnitude_increase_same_sign',
  'keep the largest |w_f| − |w_i| among weights whose sign did not change',
  (wf, wi) => (sameSign(wf, wi) ? abs(wf) - abs(wi) : -Infinity),
);

export const magnitudeIncreaseDiffSign = fromBoth(
  'magnitude_increase_diff_sign',
  'keep the largest |w_f| − |w_i| among weights whose sign changed',
  (wf, wi) => (diffSign(wf, wi) ? abs(wf) - abs(wi) : -Infinity),
);

/** SNIP (Lee et al. 2019) as Zhou use it: |g · w_i|, g the loss gradient of one batch at θ₀. */
export const snip: Criterion = {
  name: 'snip',
  description: 'keep the largest |g · w_i|, g the gradient of one batch at θ₀',
  needs: ['initial', 'gradient'],
  score: (ctx) => {
    const wi = startOf(ctx);
    const g = gradientOf(ctx);
    return scoresBy(wi.length, (i) => abs(g[i] * wi[i]));
  },
};

export const grad: Criterion = {
  name: 'grad',
  description: 'keep the largest |g|, g the gradient of one batch at θ₀',
  needs: ['gradient'],
  score: (ctx) => {
    const g = gradientOf(ctx);
    return scoresBy(g.length, (i) => abs(g[i]));
  },
};

/** In registration order (after magnitude and random). */
export const ZHOU_CRITERIA: readonly Criterion[] = [
  largeFinal,
  smallFinal,
  largeInit,
  smallInit,
  largeInitLargeFinal,
  smallInitSmallFinal,
  magnitudeIncrease,
  movement,
  movmag,
  largeFinalSameSign,
  largeFinalDiffSign,
  magnitudeIncreaseSameSign,
  magnitudeIncreaseDiffSign,
  snip,
  grad,
];
