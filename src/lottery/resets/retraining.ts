/**
 * Renda et al. (ICLR 2020), "Comparing Rewinding and Fine-tuning in Neural Network Pruning": three
 * ways to retrain a pruned network with the same budget, T − k steps (T = --iterations,
 * k = --rewind-iteration), each a reset strategy:
 * - finetune: the trained weights, at a small fixed learning rate (--finetune-lr, 0.001);
 * - weight-rewind: the weights θ_k and the schedule both back to step k;
 * - lr-rewind: the trained weights, with the schedule replayed from step k.
 * (`rewind` is the lottery ticket's rewinding: θ_k, trained for the whole T steps from schedule step 0.)
 */
import { CONSTANT } from '../../train/schedule.js';
import type { LotteryConfig } from '../config.js';
import { trainedTicket } from '../tickets.js';
import { type Retraining, type ResetStrategy, unitKey } from '../types.js';
import { rewindReset } from './rewind.js';

/** The schedule replayed from step k for the remaining T − k steps. */
const fromRewindPoint = (config: LotteryConfig): Retraining => ({
  iterations: config.iterations - config.rewindIteration,
  learningRate: config.learningRate,
  schedule: config.schedule,
  scheduleOffset: config.rewindIteration,
});

export const finetuneReset: ResetStrategy = {
  name: 'finetune',
  description:
    'survivors keep their trained values and retrain T − k steps at the fixed --finetune-lr (fine-tuning)',
  dependsOn: ({ trial }, sourceLevel) => [unitKey(trial, sourceLevel, 'ticket')],
  startingWeights: (ctx) => trainedTicket(ctx.run, ctx.trial, ctx.sourceLevel),
  retraining: (config) => ({
    iterations: config.iterations - config.rewindIteration,
    learningRate: config.finetuneLearningRate,
    schedule: CONSTANT,
    scheduleOffset: 0,
  }),
};

export const weightRewindReset: ResetStrategy = {
  name: 'weight-rewind',
  description: 'survivors restart from θ_k and the schedule from step k, for T − k steps (weight rewinding)',
  dependsOn: rewindReset.dependsOn,
  startingWeights: rewindReset.startingWeights,
  retraining: fromRewindPoint,
};

export const lrRewindReset: ResetStrategy = {
  name: 'lr-rewind',
  description:
    'survivors keep their trained values; the schedule replays from step k, for T − k steps (LR rewinding)',
  dependsOn: ({ trial }, sourceLevel) => [unitKey(trial, sourceLevel, 'ticket')],
  startingWeights: (ctx) => trainedTicket(ctx.run, ctx.trial, ctx.sourceLevel),
  retraining: fromRewindPoint,
};
