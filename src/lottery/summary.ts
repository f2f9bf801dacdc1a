/**
 * What a lottery run reports: one LevelResult per (trial, level, condition), gathered in
 * <run-dir>/summary.json — written here by the lottery procedure, read by `ticketlab report` and
 * printed by `runs show --json`. The zod schema is the one definition of that file's format: the
 * writer's types are inferred from it and the report layer validates against it.
 *
 * Accuracies are fractions in [0, 1] (reports show them as percentages); `fractionRemaining` is
 * kept / total prunable weights, in (0, 1]; iterations count optimizer steps.
 */
import { z } from 'zod';

/** File name of a run's summary inside its run directory. */
export const SUMMARY_FILE = 'summary.json';

const accuracy = z.number().min(0).max(1);
const count = z.number().int().nonnegative();

export const evalPointSchema = z.object({
  iteration: count,
  validationLoss: z.number(),
  validationAccuracy: accuracy,
  testLoss: z.number(),
  testAccuracy: accuracy,
  trainLoss: z.number().optional(),
  trainAccuracy: accuracy.optional(),
});

export const layerSparsitySchema = z
  .object({
    layer: z.string(),
    kind: z.enum(['fc', 'conv', 'output']),
    total: count,
    kept: count,
  })
  .refine((s) => s.kept <= s.total, { message: 'kept exceeds total' });

/**
 * What the level's network costs (engine/cost.ts, ShrinkBench's definitions); derived from the final
 * weights, so a resumed run records the same. Its measured time is wallSeconds / iterations.
 */
export const levelCostSchema = z.object({
  parameters: count,
  nonzeroParameters: count,
  compressionRatio: z.number(),
  /** multiply-adds of one example's forward pass through the fc and conv layers */
  flops: z.number(),
  nonzeroFlops: z.number(),
  theoreticalSpeedup: z.number(),
});

export const levelResultSchema = z.object({
  trial: count,
  seed: z.number().int(),
  level: count,
  /** 'ticket' | 'random-reinit' | 'random-prune' | 'one-shot' | 'dense' ... (free string) */
  condition: z.string().min(1),
  /** kept / total prunable weights, in (0, 1] */
  fractionRemaining: z.number().gt(0).max(1),
  /** iteration of minimum validation loss */
  earlyStopIteration: count,
  validationLossAtEarlyStop: z.number(),
  testAccuracyAtEarlyStop: accuracy,
  trainAccuracyAtEarlyStop: accuracy.optional(),
  finalTestAccuracy: accuracy,
  finalTrainAccuracy: accuracy.optional(),
  iterations: count,
  curve: z.array(evalPointSchema),
  sparsity: z.array(layerSparsitySchema),
  wallSeconds: z.number().nonnegative(),
  cost: levelCostSchema.optional(),
});

export const machineSchema = z.object({
  cpus: count,
  cpuModel: z.string(),
  memoryGB: z.number().nonnegative(),
  node: z.string(),
  onnxruntime: z.string(),
  platform: z.string(),
  /** onnxruntime intra-op threads of the (last) process that ran the run */
  threads: count.optional(),
});

export const runSummarySchema = z.object({
  name: z.string(),
  dir: z.string(),
  hash: z.string(),
  createdAt: z.string(),
  /** fully resolved hyperparameters (model, dataset, optimizer, lr, batch, iterations, levels, rates, ...) */
  config: z.record(z.string(), z.unknown()),
  model: z.string(),
  dataset: z.string(),
  scale: z.enum(['quick', 'paper', 'custom']).optional(),
  /** e.g. 'fashion-mnist standing in for cifar10' */
  standIn: z.string().optional(),
  /** The preset the run was started from, if any (e.g. 'lenet-quick'). */
  preset: z.string().optional(),
  machine: machineSchema,
  wallSeconds: z.number().nonnegative(),
  results: z.array(levelResultSchema),
});

export type EvalPoint = z.infer<typeof evalPointSchema>;
export type LayerSparsity = z.infer<typeof layerSparsitySchema>;
export type LevelResult = z.infer<typeof levelResultSchema>;
export type Machine = z.infer<typeof machineSchema>;
export type RunSummary = z.infer<typeof runSummarySchema>;
