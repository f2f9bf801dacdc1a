/** `ticketlab worker --queue redis://…`: trains units of distributed sweeps until stopped. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { WorkerEvent } from '../../sweep/queue-worker.js';
import { pluginArgs } from '../plugins.js';
import { dataDirOption } from './datasets.js';
import { parseNumber } from './lottery.js';

interface WorkerOptions {
  queue: string;
  runsDir?: string;
  dataDir?: string;
  lockMs?: number;
  stalledMs?: number;
  retryMs: number;
  json: boolean;
}

function printer(json: boolean): (e: WorkerEvent) => void {
  return (e) => {
    if (json) return void process.stdout.write(`${JSON.stringify({ ...e, pid: process.pid })}\n`);
    if (e.event === 'progress') return; // plain output: one line per unit event
    const extra =
      e.event === 'start' && e.resumedAt
        ? `, resuming at iteration ${e.resumedAt}`
        : e.error
          ? `: ${e.error.split('\n')[0]}`
          : e.reason
            ? ` (${e.reason})`
            : '';
    process.stdout.write(`${new Date().toISOString()} ${e.label}: ${e.event}${extra}\n`);
  };
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description(
      'Pull units of distributed sweeps (`ticketlab sweep run spec --queue …`) from BullMQ and train each in a ' +
        'child process, writing into the shared run store. Runs until SIGINT or SIGTERM; a unit interrupted ' +
        'with it goes back to the queue and is resumed from its checkpoint by the next worker',
    )
    .requiredOption('--queue <redis-url>', 'the BullMQ queue at redis://host:port')
    .option(
      '--runs-dir <dir>',
      'the run store as mounted here, if not at the path the sweep was enqueued with',
    )
    .addOption(dataDirOption())
    .option(
      '--lock-ms <ms>',
      "how long a job's lock lives without renewal (default 30000)",
      parseNumber('int', 1000),
    )
    .option(
      '--stalled-ms <ms>',
      'how often to look for jobs of dead workers (default half the lock)',
      parseNumber('int', 500),
    )
    .option(
      '--retry-ms <ms>',
      'delay before a unit waiting on others is tried again',
      parseNumber('int', 10),
      1000,
    )
    .option('--json', 'one JSON object per event on stdout', false)
    .action(async (o: WorkerOptions) => {
      // BullMQ and the training code load when a worker starts, not for every command line
      const { startQueueWorker } = await import('../../sweep/queue-worker.js');
      const worker = await startQueueWorker({
        url: o.queue,
        runsDir: o.runsDir ? resolve(o.runsDir) : undefined,
        dataDir: o.dataDir ? resolve(o.dataDir) : undefined,
        plugins: pluginArgs(process.argv.slice(2)).map((m) => resolve(m)),
        lockMs: o.lockMs,
        stalledMs: o.stalledMs,
        retryMs: o.retryMs,
        onEvent: printer(o.json),
      });
      process.stderr.write(`worker ${process.pid} waiting for units on ${o.queue}\n`);
      await new Promise<void>((done) => {
        const stop = () => void worker.close().then(done);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
