/**
 * The library's one-call entry: settings by name, as on the command line (`learningRate`, `levels`,
 * `controls`, ...), resolved against the model's and dataset's defaults through the settings table,
 * then trained in the run store exactly as `ticketlab lottery` would, with the same run directory.
 */
import type { LotteryRequest } from '../lottery/config.js';
import type { LotteryReporter } from '../lottery/procedure.js';
import { resolveConfig } from '../lottery/resolve.js';
import type { RunSummary } from '../lottery/summary.js';
import { executeLottery } from './execute.js';

export interface FindTicketsOptions {
  /** Where run directories go (default: $TICKETLAB_RUNS or ./runs). */
  runsDir?: string;
  /** Where datasets are looked up first (then $TICKETLAB_DATA, the user cache, a download). */
  dataDir?: string;
  /** onnxruntime intra-op threads (default: the run's own count, else the model's, see docs/threads.md; results are bit-identical only at the same count). */
  threads?: number;
  /** Readable part of the run directory's name (default: `<model>-<dataset>-lottery`). */
  name?: string;
  /** Progress of each unit; none when omitted. */
  reporter?: LotteryReporter;
}

/**
 * Runs (or resumes) the lottery procedure for `settings` and returns the run's summary: one result
 * per trial × level × condition with its curve, early-stopping iteration and test accuracy.
 */
export async function findTickets(
  settings: LotteryRequest,
  options: FindTicketsOptions = {},
): Promise<RunSummary> {
  const config = resolveConfig(settings);
  return executeLottery(config, {
    runsDir: options.runsDir,
    dataDir: options.dataDir,
    threads: options.threads,
    name: options.name ?? `${config.model}-${config.dataset}-lottery`,
    reporter: options.reporter,
  });
}
