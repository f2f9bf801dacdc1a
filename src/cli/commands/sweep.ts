/** `ticketlab sweep plan | run | status`: many runs from one spec, on local workers or a queue. */
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { runSweepLocally } from '../../sweep/local.js';
import { chooseParallelism } from '../../sweep/parallelism.js';
import { type SweepPlan, planSweep, unitStatuses } from '../../sweep/plan.js';
import { sweepProgress } from '../../sweep/progress.js';
import { readSweepSpec } from '../../sweep/spec.js';
import { UserError } from '../../util/errors.js';
import { pluginArgs } from '../plugins.js';
import { dataDirOption } from './datasets.js';
import { parseNumber } from './lottery.js';

const runsDirOption = () =>
  new Option(
    '--runs-dir <dir>',
    'the run store (default: $TICKETLAB_RUNS or ./runs); workers must all see it',
  );

function loadPlan(spec: string, runsDir?: string): SweepPlan {
  return planSweep(readSweepSpec(spec), runsDir);
}

const describeValues = (values: Record<string, unknown>) =>
  Object.entries(values)
    .map(
      ([k, v]) =>
        `${k}=${typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(4)) : JSON.stringify(v)}`,
    )
    .join(' ');

/** One line per run: its index, directory, axis values and how many of its units are done. */
export function planTable(plan: SweepPlan): string {
  const statuses = unitStatuses(plan);
  const lines: string[] = [];
  let done = 0;
  let existing = 0;
  for (const run of plan.runs) {
    const d = run.units.filter((u) => statuses.get(u.id) === 'done').length;
    const running = run.units.filter((u) => statuses.get(u.id) === 'running').length;
    done += d;
    const state =
      d === run.units.length ? 'done' : d > 0 || running > 0 ? `${d}/${run.units.length} done` : 'new';
    if (d > 0) existing++;
    lines.push(
      `${String(run.point.index).padStart(4)}  ${run.dirName}  ${state.padEnd(12)}  ${describeValues(run.point.values)}`,
    );
  }
  return [
    ...lines,
    `${plan.runs.length} runs, ${plan.units.length} units: ${done} done already (${existing} runs exist), ${plan.units.length - done} to compute — under ${plan.root}`,
  ].join('\n');
}

interface RunOptions {
  runsDir?: string;
  dataDir?: string;
  workers?: number;
  threads?: number;
  maxAttempts: number;
  json: boolean;
}

async function runLocal(spec: string, o: RunOptions): Promise<void> {
  const plan = loadPlan(spec, o.runsDir);
  const p = chooseParallelism({ workers: o.workers, threads: o.threads ?? plan.sweep.spec.threads });
  if (p.warning) process.stderr.write(`warning: ${p.warning}\n`);
  process.stderr.write(
    `sweep ${plan.sweep.spec.name ?? spec}: ${plan.runs.length} runs, ${plan.units.length} units; ` +
      `${p.workers} workers × ${p.threads} threads on ${p.cores} cores\n`,
  );
  const progress = sweepProgress(plan, { json: o.json });
  const started = performance.now();
  const outcome = await runSweepLocally(plan, {
    workers: p.workers,
    threads: p.threads,
    dataDir: o.dataDir ? resolve(o.dataDir) : undefined,
    plugins: pluginArgs(process.argv.slice(2)).map((m) => resolve(m)),
    maxAttempts: o.maxAttempts,
    events: progress,
  });
  progress.close();
  const hours = (performance.now() - started) / 3.6e6;
  const rate =
    outcome.trained.length > 0 ? `, ${(outcome.trained.length / hours).toFixed(0)} units/hour` : '';
  process.stderr.write(
    `sweep finished: ${outcome.trained.length} units trained, ${outcome.skipped.length} done already, ` +
      `${outcome.failed.length} failed in ${(hours * 3600).toFixed(1)} s${rate}\n`,
  );
  for (const f of outcome.failed)
    process.stderr.write(`  failed: ${f.dir} ${f.key}: ${f.error.split('\n')[0]}\n`);
  if (outcome.failed.length > 0) {
    throw new UserError(
      `${outcome.failed.length} of ${plan.units.length} units failed`,
      'fix the cause and run the same sweep again: finished units are kept',
      3,
    );
  }
}

export function registerSweepCommand(program: Command): void {
  const sweep = program
    .command('sweep')
    .description(
      'Many lottery runs from one spec (YAML or JSON): a base configuration and axes — grid, zip, random — ' +
        'over any setting, plus derived settings. Units already done (by any sweep or command) are reused.',
    );
  sweep
    .command('plan <spec>')
    .description('Print the runs of a sweep, and which already exist in the run store (by run identity)')
    .addOption(runsDirOption())
    .option('--json', 'one object per run: index, directory, values, units done and planned', false)
    .action((spec: string, o: { runsDir?: string; json: boolean }) => {
      const plan = loadPlan(spec, o.runsDir);
      if (!o.json) return console.log(planTable(plan));
      const statuses = unitStatuses(plan);
      for (const run of plan.runs) {
        console.log(
          JSON.stringify({
            index: run.point.index,
            dir: run.dir,
            values: run.point.values,
            identity: run.identity,
            units: run.units.length,
            done: run.units.filter((u) => statuses.get(u.id) === 'done').length,
          }),
        );
      }
    });
  sweep
    .command('run <spec>')
    .description('Run every unit of a sweep not done yet, on local worker processes')
    .addOption(runsDirOption())
    .addOption(dataDirOption())
    .option('--workers <n>', 'worker processes (default: cores ÷ threads)', parseNumber('int', 1))
    .option(
      '--threads <n>',
      "onnxruntime threads per worker (default: the spec's threads, else 1; results depend on it)",
      parseNumber('int', 1),
    )
    .option('--max-attempts <n>', 'attempts per unit before it is marked failed', parseNumber('int', 1), 3)
    .option('--json', 'one JSON object per event on stderr instead of the progress display', false)
    .action((spec: string, o: RunOptions) => runLocal(spec, o));
}
