/**
 * The input of reports: `<run-dir>/summary.json`, written by the lottery layer when a run finishes
 * (and printed by `ticketlab runs show <dir> --json`). The lottery code imports `RunSummary` from
 * here, so the writer and the reader share one definition.
 *
 * Accuracies are fractions in [0, 1] (reports show them as percentages); `fractionRemaining` is
 * kept / total prunable weights, in (0, 1]; iterations count optimizer steps.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { UserError } from '../util/errors.js';

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
});

export const machineSchema = z.object({
  cpus: count,
  cpuModel: z.string(),
  memoryGB: z.number().nonnegative(),
  node: z.string(),
  onnxruntime: z.string(),
  platform: z.string(),
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

/**
 * Validates a parsed summary; `source` names where it came from in error messages. Throws a
 * UserError listing the first few problems.
 */
export function parseRunSummary(value: unknown, source: string): RunSummary {
  const parsed = runSummarySchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
  throw new UserError(
    `${source} is not a valid run summary: ${issues}`,
    `re-create it by resuming the run (finished runs rewrite ${SUMMARY_FILE}), or restore it from a backup`,
  );
}

/**
 * Reads `<runDir>/summary.json`. The returned summary's `dir` is the directory it was read from
 * (runs may have been moved since they were written), so masks are found next to it.
 */
export function readRunSummary(runDir: string): RunSummary {
  const dir = resolve(runDir);
  if (!existsSync(dir)) {
    throw new UserError(
      `run directory ${dir} does not exist`,
      'pass the directory of a finished run (`ticketlab runs list` shows them)',
    );
  }
  if (!statSync(dir).isDirectory()) {
    throw new UserError(`${dir} is not a directory`, 'pass a run directory, not a file inside it');
  }
  const path = join(dir, SUMMARY_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UserError(
        `${path} does not exist: ${dir} is not a finished run`,
        `finish or resume the run so it writes ${SUMMARY_FILE} (it is written when the last level completes)`,
      );
    }
    throw new UserError(`cannot read ${path}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UserError(
      `${path} is corrupt: not valid JSON (${(error as Error).message})`,
      `delete ${path} and resume the run to rewrite it, or restore it from a backup`,
    );
  }
  return { ...parseRunSummary(value, path), dir };
}
