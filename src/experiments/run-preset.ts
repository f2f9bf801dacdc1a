/**
 * Running a preset's runs (`ticketlab reproduce`): its lottery runs in order (executeLottery: every
 * unit not yet done is trained, under a lease), then its slim-retrain runs, each slimming a unit of one
 * of those lottery runs and retraining the thinner network as a run of its own (retrainSlim: one unit,
 * under a lease, read back when done). A second invocation therefore trains nothing that is done.
 */
import type { LotteryReporter } from '../lottery/procedure.js';
import { resolveConfig } from '../lottery/resolve.js';
import type { RunSummary } from '../lottery/summary.js';
import type { LeaseOptions } from '../store/index.js';
import { executeLottery } from './execute.js';
import type { PresetRun, SlimRetrainPresetRun } from './preset-types.js';
import { type SlimRetrainResult, retrainSlim } from './slim-retrain.js';

export interface PresetRunOptions {
  runsDir?: string;
  dataDir?: string;
  /** onnxruntime threads (default: each run's own, see threadsFor and retrainSlim). */
  threads?: number;
  /** false: --no-share-level0; absent or null: the runs' own setting. */
  shareLevel0?: boolean | null;
  /** Progress of each lottery unit (the CLI's bar). */
  reporter?: LotteryReporter;
  /** Progress of a slim-retrain run's training. */
  onSlimProgress?: (run: SlimRetrainPresetRun, iteration: number, loss: number, iterations: number) => void;
  /** What the user should know (a stand-in dataset, a skipped run, a resumed checkpoint, …). */
  notify?: (message: string) => void;
  lease?: LeaseOptions;
  pollMs?: number;
}

/** What became of a preset's slim-retrain run. */
export interface SlimRunOutcome {
  run: SlimRetrainPresetRun;
  /** The directory of the lottery run it slims. */
  sourceDir: string;
  /** Its own run directory and result, when it ran (or was read back). */
  dir?: string;
  result?: SlimRetrainResult;
  /** Read back: done by an earlier invocation, nothing trained now. */
  reused?: boolean;
  /** Why it did not run (the weights it asks for do not exist, e.g. the Early-Bird detector never fired). */
  skipped?: string;
}

export interface PresetExecution {
  summaries: RunSummary[];
  slim: SlimRunOutcome[];
}

/**
 * Why the source unit has no weights of this kind, or undefined when it has them. Only the Early-Bird
 * weights can be missing by design: they exist when the detector fired and stopped the unit.
 */
export function missingWeights(
  source: Pick<RunSummary, 'name' | 'config' | 'results'>,
  request: SlimRetrainPresetRun['request'],
): string | undefined {
  if (request.weights !== 'early-bird') return undefined;
  const trial = request.trial ?? 0;
  const level = request.level ?? 0;
  const condition = request.condition ?? 'ticket';
  const unit = source.results.find(
    (r) => r.trial === trial && r.level === level && r.condition === condition,
  );
  if (!unit || unit.earlyBirdStop) return undefined; // an unfinished unit is refused by retrainSlim
  const p = (source.config as { earlyBirdStop?: number }).earlyBirdStop;
  const epochs = unit.earlyBird?.epochs.length ?? 0;
  return (
    `no early-bird ticket: the Early-Bird detector${p !== undefined ? ` of p = ${p}` : ''} never fired in ` +
    `${source.name} (masks at the start of ${epochs} epoch${epochs === 1 ? '' : 's'}; it needs 5 within ` +
    'distance 0.1, so at least 4 epochs of training), so there are no early-bird weights to slim'
  );
}

/** Runs a preset's lottery runs, then its slim-retrain runs; resumes whatever an earlier invocation left. */
export async function runPreset(
  runs: readonly PresetRun[],
  slimRuns: readonly SlimRetrainPresetRun[],
  opts: PresetRunOptions = {},
): Promise<PresetExecution> {
  const notify = opts.notify ?? ((m: string) => process.stderr.write(`${m}\n`));
  const summaries: RunSummary[] = [];
  for (const r of runs) {
    if (r.labels.standIn) notify(`${r.name}: ${r.labels.standIn}`);
    const config = resolveConfig(
      opts.shareLevel0 === false ? { ...r.request, shareLevel0: false } : r.request,
    );
    summaries.push(
      await executeLottery(config, {
        runsDir: opts.runsDir,
        name: r.name,
        dataDir: opts.dataDir,
        threads: opts.threads,
        labels: r.labels,
        reporter: opts.reporter,
        lease: opts.lease,
        pollMs: opts.pollMs,
      }),
    );
  }
  const slim: SlimRunOutcome[] = [];
  for (const r of slimRuns) {
    const source = summaries[runs.findIndex((x) => x.name === r.source)];
    if (!source)
      throw new Error(`slim-retrain run ${r.name}: its source ${r.source} is not among the preset's runs`);
    const skipped = missingWeights(source, r.request);
    if (skipped) {
      notify(`${r.name}: skipped, ${skipped}`);
      slim.push({ run: r, sourceDir: source.dir, skipped });
      continue;
    }
    const weights = r.request.weights ?? 'final';
    // weights are named (final, best, early-bird) or an iteration at which they were kept
    const which = /^\d+$/.test(String(weights))
      ? `the weights at iteration ${weights}`
      : `the ${weights} weights`;
    notify(`${r.name}: ${which} of ${source.name}, channel ratio ${r.request.ratio}`);
    const done = await retrainSlim({
      ...r.request,
      runDir: source.dir,
      runsDir: opts.runsDir,
      dataDir: opts.dataDir,
      training: { ...r.request.training, ...(opts.threads !== undefined ? { threads: opts.threads } : {}) },
      onProgress: (iteration, loss, iterations) => opts.onSlimProgress?.(r, iteration, loss, iterations),
      notify: (m) => notify(`${r.name}: ${m}`),
      ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}),
    });
    slim.push({ run: r, sourceDir: source.dir, dir: done.dir, result: done.result, reused: done.reused });
  }
  return { summaries, slim };
}
