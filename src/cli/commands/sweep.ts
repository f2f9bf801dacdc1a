/** `ticketlab sweep plan | run | status`: many runs from one spec, on local workers or a queue. */
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { chooseParallelism } from '../../sweep/parallelism.js';
import { type SweepPlan, planSweep, unitStatuses } from '../../sweep/plan.js';
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
  queue?: string;
  wait: boolean;
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
  const [{ sweepProgress }, { runSweepLocally }] = await Promise.all([
    import('../../sweep/progress.js'),
    import('../../sweep/local.js'),
  ]);
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

/** Enqueues the sweep's units; with --wait, follows them until every one is done or failed. */
async function runQueued(spec: string, url: string, o: RunOptions): Promise<void> {
  const plan = loadPlan(spec, o.runsDir);
  // BullMQ and ioredis are loaded only by the commands that talk to the queue
  const { enqueueSweep, openQueue, sweepQueueStatus } = await import('../../sweep/queue.js');
  const queue = openQueue(url);
  try {
    const threads = o.threads ?? plan.sweep.spec.threads ?? 1;
    const r = await enqueueSweep(queue, plan, {
      threads,
      dataDir: o.dataDir ? resolve(o.dataDir) : undefined,
      attempts: o.maxAttempts,
    });
    console.log(
      `sweep ${plan.sweep.spec.name ?? spec}: ${plan.units.length} units — ${r.added} enqueued, ${r.queued} queued already, ` +
        `${r.done} done already (${threads} threads per unit; run store ${plan.root}, which every worker must mount there)`,
    );
    if (!o.wait) return;
    let last = '';
    for (;;) {
      const status = await sweepQueueStatus(queue, plan);
      const c = status.counts;
      const line = Object.entries(c)
        .sort()
        .map(([k, v]) => `${v} ${k}`)
        .join(', ');
      if (line !== last) process.stderr.write(`${line}\n`);
      last = line;
      if ((c.completed ?? 0) + (c.failed ?? 0) === plan.units.length) {
        const failed = status.units.filter((u) => u.state === 'failed');
        for (const f of failed)
          process.stderr.write(`  failed: ${f.label}: ${(f.error ?? '').split('\n')[0]}\n`);
        if (failed.length > 0) {
          throw new UserError(
            `${failed.length} of ${plan.units.length} units failed`,
            'see `ticketlab sweep status`',
            3,
          );
        }
        return;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    await queue.close();
  }
}

async function status(
  spec: string | undefined,
  o: { queue: string; runsDir?: string; json: boolean },
): Promise<void> {
  const { openQueue, queueOverview, sweepQueueStatus } = await import('../../sweep/queue.js');
  const queue = openQueue(o.queue);
  try {
    if (spec) {
      const s = await sweepQueueStatus(queue, loadPlan(spec, o.runsDir));
      if (o.json) return console.log(JSON.stringify(s));
      for (const u of s.units) {
        const extra = u.error
          ? `: ${u.error.split('\n')[0]}`
          : u.progress
            ? ` ${JSON.stringify(u.progress)}`
            : '';
        console.log(`${u.state.padEnd(10)} ${u.label}${extra}`);
      }
      console.log(
        Object.entries(s.counts)
          .map(([k, v]) => `${v} ${k}`)
          .join(', '),
      );
      return;
    }
    const overview = await queueOverview(queue);
    if (o.json) return console.log(JSON.stringify(overview));
    console.log(
      Object.entries(overview.counts)
        .map(([k, v]) => `${v} ${k}`)
        .join(', '),
    );
    for (const f of overview.failed) console.log(`failed ${f.label}: ${f.error.split('\n')[0]}`);
  } finally {
    await queue.close();
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
    .description(
      'Run every unit of a sweep not done yet, on local worker processes; with --queue, enqueue them for ' +
        '`ticketlab worker`s (on any machines that mount the run store at the same path)',
    )
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
    .option(
      '--queue <redis-url>',
      'enqueue the units on BullMQ at redis://host:port instead of running them here',
    )
    .option('--wait', 'with --queue: follow the units until every one is done or failed', false)
    .action((spec: string, o: RunOptions) => (o.queue ? runQueued(spec, o.queue, o) : runLocal(spec, o)));
  sweep
    .command('status [spec]')
    .description(
      'The queue: jobs by state and failed units with their errors; with a spec, each of its units',
    )
    .requiredOption('--queue <redis-url>', 'the BullMQ queue at redis://host:port')
    .addOption(runsDirOption())
    .option('--json', 'machine-readable output', false)
    .action((spec: string | undefined, o: { queue: string; runsDir?: string; json: boolean }) =>
      status(spec, o),
    );
}
