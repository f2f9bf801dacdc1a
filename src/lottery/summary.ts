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
import { earlyBirdRecordSchema } from '../train/early-bird-record.js';

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
    kind: z.enum(['fc', 'conv', 'output', 'shortcut']),
    total: count,
    kept: count,
  })
  .refine((s) => s.kept <= s.total, { message: 'kept exceeds total' });

/** How a unit was computed: float results depend on the thread count and may on either version. */
export const provenanceSchema = z.object({
  /** onnxruntime intra-op threads (the order of float sums depends on it) */
  threads: z.number().int().positive(),
  /** ticketlab's version (package.json) */
  ticketlab: z.string(),
  /** onnxruntime-node's version */
  onnxruntime: z.string(),
  /** with --sparse-kernels: whether the unit trained with the sparse MLP step or the dense one */
  kernels: z.enum(['sparse', 'dense']).optional(),
  /** level 0 copied from another run with the same level-0 key (lottery/share-level0.ts) */
  sharedFrom: z.object({ run: z.string(), level0Key: z.string() }).optional(),
});

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
  /** bytes of the ONNX file `ticketlab export` writes for the unit (its smallest form), and of the dense export */
  exportBytes: count.optional(),
  denseExportBytes: count.optional(),
  /** which form that is: dense, sparse initializers, compacted, or compacted + sparse initializers */
  exportFormat: z.string().optional(),
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
  /** training time of the unit, summed over the invocations that worked on it (resumes included) */
  wallSeconds: z.number().nonnegative(),
  /** absent in results recorded before provenance was */
  provenance: provenanceSchema.optional(),
  /**
   * Absent: trained as asked. 'diverged': training blew up (the curve ends before `divergence`; the
   * early-stopping point is the best evaluation before it). 'collapsed': trained to the end, but the
   * accuracy sat at chance over the last evaluations (see train/collapse.ts).
   */
  state: z.enum(['diverged', 'collapsed']).optional(),
  divergence: z.object({ iteration: count, loss: z.string() }).optional(),
  collapse: z.object({ sinceIteration: count, validationAccuracy: accuracy, chance: accuracy }).optional(),
  /**
   * Test accuracy before training (`pruning.supermask`): the unit's mask on its starting weights, a
   * random mask of the same per-layer sizes on them, and no mask.
   */
  supermask: z.object({ mask: accuracy, randomMask: accuracy, unmasked: accuracy }).optional(),
  cost: levelCostSchema.optional(),
  /**
   * Pruning during training (`gradual.schedule`): every pruning step with each layer's kept count,
   * and with reset_end the accuracy of the final mask on θ₀, untrained.
   */
  gradual: z
    .object({
      events: z.array(
        z.object({
          iteration: count,
          target: z.number(),
          layers: z.array(z.object({ layer: z.string(), kept: count, total: count })),
          reset: z.enum(['theta0', 'rewind']).optional(),
        }),
      ),
      resetEnd: z.object({ validation: accuracy, test: accuracy }).optional(),
    })
    .optional(),
  /**
   * Levels ≥ 1: test accuracy of the unit's mask on the trained weights it was pruned from, before
   * retraining — "@w0" when sourceLevel is 0 (the dense network), "@w(t−1)" otherwise (the previous
   * level's ticket, iterative pruning).
   */
  beforeRetraining: z.object({ testAccuracy: accuracy, sourceLevel: count }).optional(),
  /** `--early-bird`: the BatchNorm channel masks drawn at every epoch and where the detector fired. */
  earlyBird: earlyBirdRecordSchema.optional(),
  /** `--early-bird-stop`: where the detector of `ratio` stopped training (at the start of `epoch`). */
  earlyBirdStop: z.object({ ratio: z.number(), epoch: count, iteration: count }).optional(),
  /** Iterations whose weights the unit kept (`--save-weights-at`, `--mask-from <point>`). */
  snapshots: z.array(count).optional(),
});

export const machineSchema = z.object({
  cpus: count,
  cpuModel: z.string(),
  memoryGB: z.number().nonnegative(),
  node: z.string(),
  onnxruntime: z.string(),
  platform: z.string(),
  /**
   * onnxruntime intra-op threads of the run's units: one count, or the distinct counts (sorted) when
   * its units ran with different ones (their results then mix float orders)
   */
  threads: z.union([count, z.array(count)]).optional(),
  /** ticketlab's version(s) of the run's units, as `onnxruntime` holds onnxruntime-node's */
  ticketlab: z.string().optional(),
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
  /** the machine of the last invocation that trained a unit; threads and versions from the units */
  machine: machineSchema,
  /**
   * the sum of the wall times of the units it trained: a level 0 copied from another run keeps that
   * run's training time in its own result (provenance.sharedFrom says so) and is counted there, not here
   */
  wallSeconds: z.number().nonnegative(),
  results: z.array(levelResultSchema),
});

export type EvalPoint = z.infer<typeof evalPointSchema>;
export type LayerSparsity = z.infer<typeof layerSparsitySchema>;
export type LevelResult = z.infer<typeof levelResultSchema>;
export type Provenance = z.infer<typeof provenanceSchema>;
export type Machine = z.infer<typeof machineSchema>;
export type RunSummary = z.infer<typeof runSummarySchema>;

/** Whether the run trained this unit itself (not a level 0 copied from another run). */
export const trainedByItsRun = (r: Pick<LevelResult, 'provenance'>): boolean => !r.provenance?.sharedFrom;
