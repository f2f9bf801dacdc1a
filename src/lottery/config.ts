/**
 * The fully resolved hyperparameters of a lottery experiment. Everything that can change a result
 * is here, so the run directory's hash (see store/) identifies the experiment exactly.
 */
import { z } from 'zod';
import { scheduleSchema } from '../train/schedule.js';

export const RESETS = ['init', 'rewind', 'reinit', 'none'] as const;
/**
 * Controls trained beside the ticket at each level: random re-initialization (same mask, fresh init),
 * random pruning (random mask with the ticket's per-layer counts), and one-shot pruning (level 0's
 * trained weights pruned straight to this level's sparsity, same reset as the ticket).
 */
export const CONTROLS = ['random-reinit', 'random-prune', 'one-shot'] as const;
export const DATASETS = ['mnist', 'fashion-mnist', 'cifar10'] as const;

const rate = z.number().min(0).max(1);

export const optimizerSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('sgd'),
      momentum: z.number().min(0).max(1).default(0),
      nesterov: z.boolean().default(false),
      weightDecay: z.number().min(0).default(0),
    })
    .strict(),
  z
    .object({
      kind: z.literal('adam'),
      beta1: z.number().min(0).lt(1).default(0.9),
      beta2: z.number().min(0).lt(1).default(0.999),
      eps: z.number().positive().default(1e-8),
      weightDecay: z.number().min(0).default(0),
    })
    .strict(),
]);

export const lotteryConfigSchema = z
  .object({
    model: z.string(),
    dataset: z.enum(DATASETS),
    /** One example's shape as the model sees it (e.g. [784] for an MLP, [1, 28, 28] for a conv net). */
    inputShape: z.array(z.number().int().positive()),
    optimizer: optimizerSchema,
    learningRate: z.number().positive(),
    schedule: scheduleSchema,
    batchSize: z.number().int().positive(),
    iterations: z.number().int().positive(),
    evalEvery: z.number().int().positive(),
    validationSize: z.number().int().min(1),
    splitSeed: z.number().int().min(0),
    normalization: z.enum(['standardize', 'unit']),
    augment: z.boolean(),
    /** Measure training accuracy on a fixed sample of this many training examples (0 = off). */
    trainEvalSize: z.number().int().min(0),
    dropout: z.number().min(0).lt(1),
    init: z.enum(['glorot_normal', 'glorot_uniform', 'kaiming_normal', 'kaiming_uniform']),
    /** Levels 0..levels: level 0 is the dense network. */
    levels: z.number().int().min(0),
    pruning: z
      .object({
        /** iterative: prune p% of what remains after each level; one-shot: prune level-0 weights straight to (1-p)^level. */
        schedule: z.enum(['iterative', 'one-shot']),
        strategy: z.enum(['magnitude', 'random']),
        scope: z.enum(['layerwise', 'global']),
        rates: z.object({ fc: rate.optional(), conv: rate.optional(), output: rate.optional() }).strict(),
        /** Prune biases too, at their layer's rate (the paper prunes weights only). */
        pruneBiases: z.boolean(),
        /** Layers pooled for global pruning (default: all conv layers, else all fc layers). */
        globalLayers: z.array(z.string()).optional(),
      })
      .strict(),
    /** How survivors are reset after pruning: θ₀ (the lottery ticket), θ_k (rewind), fresh init, or none (fine-tune). */
    reset: z.enum(RESETS),
    rewindIteration: z.number().int().min(0),
    controls: z.array(z.enum(CONTROLS)),
    /** Train a control only at these levels (default: every level). */
    controlLevels: z.partialRecord(z.enum(CONTROLS), z.array(z.number().int().positive())).optional(),
    trials: z.number().int().min(1),
    seed: z.number().int().min(0),
    /** Stop as diverged when the training loss exceeds this. */
    divergenceLoss: z.number().positive(),
    checkpointEvery: z.number().int().min(0),
  })
  .strict();

export type LotteryConfig = z.infer<typeof lotteryConfigSchema>;

/** Which parameters carry masks: weights of fc/conv/output layers, and their biases when asked. */
export function isPrunable(config: LotteryConfig, decl: { role: string; layerKind?: string }): boolean {
  if (decl.layerKind === undefined) return false;
  return decl.role === 'weight' || (config.pruning.pruneBiases && decl.role === 'bias');
}

/** Conditions trained at each level: the ticket itself, then the requested controls (not at level 0). */
export function conditionsAt(config: LotteryConfig, level: number): string[] {
  if (level === 0) return ['ticket'];
  const only = config.controlLevels ?? {};
  return ['ticket', ...config.controls.filter((c) => only[c]?.includes(level) ?? true)];
}

/** The seed of a trial: distinct, stable streams per trial. */
export function trialSeed(config: LotteryConfig, trial: number): number {
  return config.seed + trial;
}
