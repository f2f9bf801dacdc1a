/** `ticketlab runs list | show`: what is in the run store. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { collectResults } from '../../lottery/procedure.js';
import type { RunSummary } from '../../lottery/summary.js';
import { RunStore, readJson } from '../../store/index.js';
import { UserError } from '../../util/errors.js';

const pct = (x: number) => (100 * x).toFixed(2);

/** One line per (level, condition): weights remaining, early stop and accuracies, averaged over trials. */
export function summaryTable(s: RunSummary): string {
  const groups = new Map<string, RunSummary['results']>();
  for (const r of s.results) {
    const key = `${String(r.level).padStart(3)} ${r.condition}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const header = 'level  condition       remaining  early-stop it  test acc @ES  final test acc  trials';
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
        String(rs.length).padStart(7),
      ].join('  ');
    });
  return [
    `${s.name} (${s.model} on ${s.dataset}${s.scale ? `, ${s.scale} scale` : ''}${s.standIn ? `, ${s.standIn}` : ''}) — ${s.dir}`,
    header,
    ...rows,
    `wall time ${s.wallSeconds.toFixed(1)} s`,
  ].join('\n');
}

/** The summary of a run directory (summary.json, or rebuilt from finished units if the run is partial). */
export function loadSummary(dir: string): RunSummary {
  const abs = resolve(dir);
  if (!existsSync(join(abs, 'config.json'))) {
    throw new UserError(
      `${abs} is not a run directory (it has no config.json)`,
      'pass a directory listed by `ticketlab runs list`',
    );
  }
  const summaryPath = join(abs, 'summary.json');
  const store = new RunStore();
  const run = store.loadRun(abs);
  if (!existsSync(summaryPath)) {
    throw new UserError(
      `${abs} has no results yet (no summary.json)`,
      'run the same train/lottery command again to finish it',
    );
  }
  const summary = readJson(summaryPath) as RunSummary;
  // finished units are the truth: a crash between a unit and the summary loses nothing
  summary.results = collectResults(run);
  return summary;
}

export function registerRunsCommand(program: Command): void {
  const runs = program.command('runs').description('list and inspect run directories');
  runs
    .command('list')
    .description('List runs under the runs directory with their progress')
    .option('--runs-dir <dir>', 'runs directory (default: $TICKETLAB_RUNS or ./runs)')
    .option('--json', 'machine-readable output', false)
    .action((o: { runsDir?: string; json: boolean }) => {
      const list = new RunStore({ root: o.runsDir }).list();
      if (o.json) {
        console.log(JSON.stringify(list));
        return;
      }
      if (list.length === 0) {
        console.log(`no runs under ${new RunStore({ root: o.runsDir }).root}`);
        return;
      }
      for (const r of list) {
        const progress = `${r.progress.done}/${r.progress.planned ?? '?'} units`;
        const state = r.problem
          ? `problem: ${r.problem}`
          : r.active
            ? 'running'
            : r.progress.done === r.progress.planned
              ? 'done'
              : 'incomplete';
        console.log(`${r.dir}  ${progress}  ${state}  ${r.createdAt ?? ''}`);
      }
    });
  runs
    .command('show <dir>')
    .description('Show a run: per level and condition, weights remaining, early stop and accuracies')
    .option(
      '--json',
      'print, per trial, level and condition: fraction remaining, early-stop iteration, test accuracy there, final test accuracy and the full evaluation curve',
      false,
    )
    .action((dir: string, o: { json: boolean }) => {
      const summary = loadSummary(dir);
      console.log(o.json ? JSON.stringify(summary) : summaryTable(summary));
    });
}
