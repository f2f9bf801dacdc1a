/** `ticketlab runs list | show` (and verify, repair, rm, gc: ./runs-maintenance.ts): the run store. */
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { lotteryConfigSchema } from '../../lottery/config.js';
import { describeEarlyBirdStop, earlyBirdStopDetail } from '../../lottery/early-bird-unit.js';
// the lottery's light modules, not procedure.js or units.js: those load the engine and onnxruntime
import { collectResults, machineInfo } from '../../lottery/summary-writer.js';
import { listRunStatus, runStatus, type RunStatus, stateSummary } from '../../lottery/status.js';
import { SUMMARY_FILE, type RunSummary } from '../../lottery/summary.js';
import { unitLabel } from '../../lottery/unit-reporter.js';
import { COLLAPSE_FIX } from '../../train/collapse.js';
import { listRuns, RunStore, readJson, type UnitCheck } from '../../store/index.js';
import { parseUnitKey } from '../../lottery/integrity.js';
import { DIVERGENCE_FIX } from '../../train/callbacks.js';
import { UserError } from '../../util/errors.js';
import { registerRunsMaintenance, verifyRun } from './runs-maintenance.js';

const pct = (x: number) => (100 * x).toFixed(2);

/** "diverged in 1 trial, collapsed in 2": the units of a row not trained normally. */
function flags(rs: RunSummary['results']): string {
  const count = (state: string) => rs.filter((r) => r.state === state).length;
  const trials = (n: number) => `${n} trial${n === 1 ? '' : 's'}`;
  return [
    count('diverged') ? `diverged in ${trials(count('diverged'))}` : '',
    count('collapsed') ? `collapsed to chance in ${trials(count('collapsed'))}` : '',
  ]
    .filter(Boolean)
    .join(', ');
}

/** One line per (level, condition): weights remaining, early stop and accuracies, averaged over trials. */
export function summaryTable(s: RunSummary): string {
  const groups = new Map<string, RunSummary['results']>();
  for (const r of s.results) {
    const key = `${String(r.level).padStart(3)} ${r.condition}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const header =
    'level  condition       remaining  early-stop it  test acc @ES  final test acc  before retrain  trials';
  const rows = [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, rs]) => {
      const r = rs[0];
      return [
        String(r.level).padStart(5),
        r.condition.padEnd(15),
        `${pct(mean(rs.map((x) => x.fractionRemaining)))}%`.padStart(10),
        mean(rs.map((x) => x.earlyStopIteration))
          .toFixed(0)
          .padStart(14),
        `${pct(mean(rs.map((x) => x.testAccuracyAtEarlyStop)))}%`.padStart(13),
        `${pct(mean(rs.map((x) => x.finalTestAccuracy)))}%`.padStart(15),
        // @w0 / @w(t−1): the mask on the weights it was pruned from, before retraining
        (rs.every((x) => x.beforeRetraining)
          ? `${pct(mean(rs.map((x) => x.beforeRetraining!.testAccuracy)))}%`
          : '—'
        ).padStart(14),
        String(rs.length).padStart(7),
        flags(rs),
      ]
        .join('  ')
        .trimEnd();
    });
  return [
    `${s.name} (${s.model} on ${s.dataset}${s.scale ? `, ${s.scale} scale` : ''}${s.standIn ? `, ${s.standIn}` : ''}) — ${s.dir}`,
    header,
    ...rows,
    `wall time ${s.wallSeconds.toFixed(1)} s`,
  ].join('\n');
}

/** Per unit Early-Bird stopped (`--early-bird-stop`): where, why, and the iterations it saved. */
export function earlyBirdStopLines(s: RunSummary): string[] {
  return s.results.flatMap((r) => {
    const detail = earlyBirdStopDetail(r);
    return detail ? [`${unitLabel(r)}: ${describeEarlyBirdStop(detail)}`] : [];
  });
}

/** The summary of a run directory: summary.json with every finished unit's result (partial runs too). */
export function loadSummary(dir: string): RunSummary {
  const abs = resolve(dir);
  if (!existsSync(join(abs, 'config.json'))) {
    throw new UserError(
      `${abs} is not a run directory (it has no config.json)`,
      'pass a directory listed by `ticketlab runs list`',
    );
  }
  const run = new RunStore().loadRun(abs);
  const summaryPath = join(abs, SUMMARY_FILE);
  const config = lotteryConfigSchema.safeParse(run.config);
  let summary: RunSummary;
  if (existsSync(summaryPath)) summary = readJson(summaryPath) as RunSummary;
  else if (config.success)
    // nothing finished yet (or a run of an earlier version): what the run's files say
    summary = {
      name: run.name,
      dir: abs,
      hash: run.hash,
      createdAt: run.createdAt,
      config: config.data as unknown as Record<string, unknown>,
      model: config.data.model,
      dataset: config.data.dataset,
      machine: machineInfo(),
      wallSeconds: 0,
      results: [],
    };
  else throw new UserError(`${abs} has no ${SUMMARY_FILE} and its config.json is not a lottery config`);
  // the directory it is now (a moved run keeps its old path in summary.json)
  summary.dir = abs;
  // finished units are the truth: a crash between a unit and the summary loses nothing
  summary.results = collectResults(run);
  return summary;
}

const col = (cells: string[], widths: number[]) =>
  cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');

/** The `runs list` table: a header, then one line per run. */
export function runsTable(list: RunStatus[]): string {
  const header = ['run', 'model', 'dataset', 'levels', 'units', 'states', 'best acc @ES', 'created'];
  const rows = list.map((r) => [
    basename(r.dir),
    r.model ?? '?',
    r.dataset ?? '?',
    r.levels ? `${r.levels.done}/${r.levels.total}` : '?',
    `${r.units.done}/${r.units.planned ?? '?'}`,
    r.problem ? `problem: ${r.problem}` : stateSummary(r.states),
    r.best ? `${pct(r.best.accuracy)}% (L${r.best.level} ${r.best.condition})` : '-',
    r.createdAt ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  return [col(header, widths), ...rows.map((row) => col(row, widths))].join('\n');
}

/**
 * What `runs show` says above the table: where the run stands and, if unfinished, what to do.
 * `damaged`: the recorded units whose files are missing or damaged (they count as not done).
 */
export function statusLines(s: RunStatus, damaged: UnitCheck[] = []): string[] {
  const lines: string[] = [];
  if (damaged.length > 0) {
    const keys = new Set(damaged.map((c) => c.key));
    s = { ...s, complete: false, units: { ...s.units, done: s.units.done - keys.size } };
    if (s.levels) {
      const levels = new Set(damaged.map((c) => parseUnitKey(c.key)?.level));
      s.levels = { ...s.levels, done: Math.max(0, s.levels.done - levels.size) };
    }
  }
  const levels = s.levels ? `, ${s.levels.done}/${s.levels.total} levels` : '';
  const progress = `${s.units.done}/${s.units.planned ?? '?'} units done${levels} (${stateSummary(s.states)})`;
  if (s.complete) lines.push(`complete: ${progress}`);
  else lines.push(`INCOMPLETE: ${progress}`);
  for (const c of damaged) lines.push(`  damaged: ${c.problems.join('; ')}`);
  if (damaged.length > 0)
    lines.push(
      `  \`ticketlab runs repair ${s.dir}\` (or the same command) recomputes those units, and only them`,
    );
  for (const r of s.diverged) {
    const at = r.divergence ? ` at iteration ${r.divergence.iteration} (loss ${r.divergence.loss})` : '';
    lines.push(`  diverged: ${unitLabel(r)}${at}; its curve up to there is kept`);
  }
  if (s.diverged.length > 0)
    lines.push(
      `  the same settings diverge again, so running the same command will not finish it: ${DIVERGENCE_FIX} (a new run)`,
    );
  for (const r of s.collapsed)
    lines.push(
      `  collapsed to chance: ${unitLabel(r)} (validation accuracy ≤ ${pct(r.collapse?.validationAccuracy ?? 0)}% ` +
        `from iteration ${r.collapse?.sinceIteration ?? '?'}): ${COLLAPSE_FIX}`,
    );
  const resumable = s.states.interrupted + s.states.failed + s.states.pending;
  if (!s.complete && s.diverged.length === 0 && resumable > 0)
    lines.push(
      s.states.running > 0
        ? '  a process is working on it (see `states`); run the same command again to help, or wait'
        : '  run the same train/lottery command again (or `ticketlab runs repair <dir>`) to finish it',
    );
  return lines;
}

export function registerRunsCommand(program: Command): void {
  const runs = program
    .command('runs')
    .description('list, inspect, verify, repair and clean up run directories');
  runs
    .command('list')
    .description(
      'List runs under the runs directory: model, dataset, levels and units done, units by state, best test accuracy at early stop',
    )
    .option('--runs-dir <dir>', 'runs directory (default: $TICKETLAB_RUNS or ./runs)')
    .option('--json', 'machine-readable output', false)
    .action((o: { runsDir?: string; json: boolean }) => {
      const store = new RunStore({ root: o.runsDir });
      const list = listRunStatus(store.root);
      if (o.json) {
        console.log(JSON.stringify(list));
        return;
      }
      if (list.length === 0) {
        console.log(`no runs under ${store.root}`);
        return;
      }
      console.log(runsTable(list));
    });
  runs
    .command('show <dir>')
    .description(
      'Show a run: whether it is complete, its units by state, then per level and condition weights remaining, early stop and accuracies',
    )
    .option(
      '--json',
      'print, per trial, level and condition: fraction remaining, early-stop iteration, test accuracy there, final test accuracy and the full evaluation curve',
      false,
    )
    .action((dir: string, o: { json: boolean }) => {
      const summary = loadSummary(dir);
      if (o.json) {
        console.log(JSON.stringify(summary));
        return;
      }
      const stored = listRuns(dirname(summary.dir)).find((r) => r.dir === summary.dir);
      const damaged = verifyRun(new RunStore().loadRun(summary.dir)).filter((c) => c.problems.length);
      if (stored) console.log(statusLines(runStatus(stored), damaged).join('\n'));
      console.log(summaryTable(summary));
      const stops = earlyBirdStopLines(summary);
      if (stops.length) console.log(stops.join('\n'));
    });
  registerRunsMaintenance(runs);
}
