/** Rewind to θ_k, the weights after k steps of level 0 (Frankle et al. 2019/2020, for deep networks). */
import { trialKey, unitKey, type ResetStrategy } from '../types.js';
import { loadWeights } from '../weights-io.js';

export const rewindReset: ResetStrategy = {
  name: 'rewind',
  description: 'survivors restart from θ_k, the dense network after --rewind-iteration steps',
  // θ_k is captured while level 0 trains, and saved when it finishes
  dependsOn: ({ trial }) => [unitKey(trial, 0, 'ticket')],
  startingWeights: (ctx) => loadWeights(ctx.run.path(trialKey(ctx.trial), 'rewind.safetensors')),
};
