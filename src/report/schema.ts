/**
 * The input of reports: `<run-dir>/summary.json`, written by the lottery layer when a run finishes
 * (and printed by `ticketlab runs show <dir> --json`). Its format is defined once, by the schema in
 * src/lottery/summary.ts; this module reads and validates it.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runSummarySchema, SUMMARY_FILE, type RunSummary } from '../lottery/summary.js';
import { UserError } from '../util/errors.js';

export {
  evalPointSchema,
  layerSparsitySchema,
  levelResultSchema,
  machineSchema,
  runSummarySchema,
  SUMMARY_FILE,
} from '../lottery/summary.js';
export type { EvalPoint, LayerSparsity, LevelResult, Machine, RunSummary } from '../lottery/summary.js';

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
