/**
 * `ticketlab reproduce <preset>` for presets that are sweeps (pruning-grid): the preset's spec is
 * expanded and run by the sweep layer on local workers (as `ticketlab sweep run` would), then the
 * sweep's report is written from the runs' summaries.
 */
import { join, resolve } from 'node:path';
import type { Preset, Scale } from '../../experiments/presets.js';
import { readRunSummary } from '../../report/index.js';
import { writeSweepReport } from '../../report/sweep-report.js';
import { defaultRunsRoot } from '../../store/index.js';
import { runSweepLocally } from '../../sweep/local.js';
import { chooseParallelism } from '../../sweep/parallelism.js';
import { planSweep } from '../../sweep/plan.js';
import { sweepProgress } from '../../sweep/progress.js';
import { expandSweep } from '../../sweep/spec.js';
import { UserError } from '../../util/errors.js';
import { pluginArgs } from '../plugins.js';

export interface SweepPresetOptions {
  scale: Scale;
  trials?: number;
  dataDir?: string;
  runsDir?: string;
  threads?: number;
  workers?: number;
  format: 'html' | 'md';
  report: boolean;
  smooth?: number;
}

export async function reproduceSweep(preset: Preset, o: SweepPresetOptions): Promise<void> {
  const source = `reproduce ${preset.name} --scale ${o.scale}`;
  const plan = planSweep(expandSweep(preset.sweep!({ scale: o.scale, trials: o.trials }), source), o.runsDir);
  const p = chooseParallelism({ workers: o.workers, threads: o.threads });
  if (p.warning) process.stderr.write(`warning: ${p.warning}\n`);
  process.stderr.write(
    `${preset.name}: ${plan.runs.length} runs, ${plan.units.length} units; ` +
      `${p.workers} workers × ${p.threads} threads on ${p.cores} cores\n`,
  );
  const progress = sweepProgress(plan, { json: false });
  const started = performance.now();
  const outcome = await runSweepLocally(plan, {
    workers: p.workers,
    threads: p.threads,
    dataDir: o.dataDir ? resolve(o.dataDir) : undefined,
    plugins: pluginArgs(process.argv.slice(2)).map((m) => resolve(m)),
    events: progress,
    labels: { scale: o.scale, preset: preset.name },
  });
  progress.close();
  const seconds = (performance.now() - started) / 1000;
  process.stderr.write(
    `${preset.name}: ${outcome.trained.length} units trained, ${outcome.skipped.length} done already, ` +
      `${outcome.failed.length} failed in ${seconds.toFixed(1)} s\n`,
  );
  if (outcome.failed.length > 0) {
    throw new UserError(
      `${outcome.failed.length} of ${plan.units.length} units failed`,
      'fix the cause and run the same command again: finished units are kept',
      3,
    );
  }
  if (!o.report) return;
  const summaries = plan.runs.map((r) => readRunSummary(r.dir));
  const out = join(defaultRunsRoot(o.runsDir), 'reports', `${preset.name}-${o.scale}`);
  const title = `${preset.name}${o.scale === 'quick' ? ' (quick scale)' : ''}`;
  const result = await writeSweepReport(summaries, out, {
    format: o.format,
    title,
    smooth: o.smooth,
    notes: o.scale === 'quick' ? [preset.quickNote] : [],
    ...(outcome.trained.length > 0 ? { wallSeconds: seconds } : {}),
  });
  console.log(`report: ${result.index}`);
}
