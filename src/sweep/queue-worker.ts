/**
 * A queue worker: pulls unit jobs from BullMQ and trains each in a unit process (./unit-process.ts),
 * so the long synchronous stretches of training never stall this process's event loop and with it
 * the renewal of the job's lock. It writes into the shared run store, under the unit's lease.
 *
 * - A unit whose dependencies are not done yet, or that another live process holds, goes back to
 *   the queue delayed (not counted as an attempt).
 * - A worker killed mid-unit stops renewing the job's lock; BullMQ's stalled-job check (in any other
 *   worker) puts the job back, and the next worker resumes it from the unit's last checkpoint.
 * - A unit process that crashes, or a unit that throws, fails the attempt; after the job's attempts
 *   it is failed with its error, its dependents fail with "dependency failed", the rest go on.
 */
import type { ChildProcess } from 'node:child_process';
import { DelayedError, type Job, UnrecoverableError, Worker } from 'bullmq';
import { runIdentity } from '../lottery/resolve.js';
import { RunStore } from '../store/index.js';
import { type ChildMessage, type ParentMessage, forkUnitProcess } from './protocol.js';
import { QUEUE_NAME, type QueueJobData, connectionFor, openQueue } from './queue.js';
import type { UnitJob, UnitOutcome } from './unit-runner.js';

export interface WorkerEvent {
  event: 'start' | 'progress' | 'done' | 'skipped' | 'delayed' | 'failed';
  id: string;
  label: string;
  resumedAt?: number;
  iteration?: number;
  error?: string;
  reason?: string;
}

export interface QueueWorkerOptions {
  url: string;
  /** Runs directory as mounted on this machine, if not the path the jobs carry. */
  runsDir?: string;
  dataDir?: string;
  plugins?: string[];
  /** How long a job's lock lives without renewal (ms; BullMQ's default 30 s). */
  lockMs?: number;
  /** How often to look for jobs whose worker died (ms; default half the lock). */
  stalledMs?: number;
  /** Delay before a blocked or busy unit is tried again (ms, default 1000). */
  retryMs?: number;
  onEvent?: (e: WorkerEvent) => void;
}

/** One unit process, restarted when it dies; jobs run one at a time. */
class UnitProcess {
  private child: ChildProcess | null = null;
  private ready: Promise<void> | null = null;
  private current: {
    id: string;
    resolve: (m: ChildMessage) => void;
    reject: (e: Error) => void;
    onMessage: (m: ChildMessage) => void;
  } | null = null;

  constructor(private readonly plugins: string[]) {}

  private start(): Promise<void> {
    const child = forkUnitProcess();
    this.child = child;
    this.ready = new Promise<void>((resolve, reject) => {
      child.on('message', (m: ChildMessage) => {
        if (m.type === 'ready') return resolve();
        if (!this.current || !('id' in m) || m.id !== this.current.id) return;
        if (m.type === 'outcome' || m.type === 'error') this.current.resolve(m);
        else this.current.onMessage(m);
      });
      child.on('exit', (code, signal) => {
        this.child = null;
        this.ready = null;
        const error = new Error(`the unit process exited (${signal ?? `code ${code}`})`);
        reject(error);
        this.current?.reject(error);
      });
    });
    return this.ready;
  }

  async run(id: string, job: UnitJob, onMessage: (m: ChildMessage) => void): Promise<ChildMessage> {
    if (!this.child) await this.start();
    else await this.ready;
    return new Promise<ChildMessage>((resolve, reject) => {
      this.current = { id, resolve, reject, onMessage };
      this.child!.send({ type: 'run', id, job, plugins: this.plugins } satisfies ParentMessage);
    }).finally(() => {
      this.current = null;
    });
  }

  close(): void {
    if (this.child?.connected) this.child.send({ type: 'exit' } satisfies ParentMessage);
  }
}

export async function startQueueWorker(opts: QueueWorkerOptions): Promise<{ close(): Promise<void> }> {
  const emit = opts.onEvent ?? (() => {});
  const retryMs = opts.retryMs ?? 1000;
  const unitProcess = new UnitProcess(opts.plugins ?? []);
  const queue = openQueue(opts.url);
  const lockDuration = opts.lockMs ?? 30_000;

  const delay = async (job: Job<QueueJobData>, token: string | undefined, reason: string) => {
    emit({ event: 'delayed', id: job.data.id, label: job.data.label, reason });
    await job.moveToDelayed(Date.now() + retryMs, token);
    throw new DelayedError();
  };

  const processor = async (job: Job<QueueJobData>, token?: string) => {
    const data = job.data;
    const unitJob: UnitJob = { ...data.job, ...(opts.runsDir ? { runsDir: opts.runsDir } : {}) };
    if (opts.dataDir) unitJob.dataDir = opts.dataDir;
    // dependencies: the run store says whether they are done; the queue whether they failed
    const run = new RunStore({ root: unitJob.runsDir }).peekRun(unitJob.name, runIdentity(unitJob.config));
    const pendingDeps = data.dependsOn.filter((d) => !run?.isDone(d.key));
    if (pendingDeps.length > 0) {
      for (const dep of pendingDeps) {
        const depJob = await queue.getJob(dep.id);
        if (depJob && (await depJob.getState()) === 'failed') {
          const message = `its dependency ${depJob.data.label} failed: ${depJob.failedReason}`;
          emit({ event: 'failed', id: data.id, label: data.label, error: message });
          throw new UnrecoverableError(message);
        }
      }
      return delay(job, token, 'dependencies not done');
    }
    let lastProgress = 0;
    let reply: ChildMessage;
    try {
      reply = await unitProcess.run(data.id, unitJob, (m) => {
        if (m.type === 'start')
          emit({ event: 'start', id: data.id, label: data.label, resumedAt: m.resumedAt });
        if (m.type === 'progress') {
          emit({ event: 'progress', id: data.id, label: data.label, iteration: m.iteration });
          const now = Date.now();
          if (now - lastProgress > 1000) {
            lastProgress = now;
            void job.updateProgress({ iteration: m.iteration, iterations: m.iterations }).catch(() => {});
          }
        }
      });
    } catch (error) {
      emit({ event: 'failed', id: data.id, label: data.label, error: (error as Error).message });
      throw error; // a crash: BullMQ retries it (resuming the checkpoint) until its attempts are spent
    }
    if (reply.type === 'error') {
      emit({ event: 'failed', id: data.id, label: data.label, error: reply.message.split('\n')[0] });
      // a user's mistake (bad data dir, diverging settings) fails the same way every time
      throw reply.user ? new UnrecoverableError(reply.message) : new Error(reply.message);
    }
    if (reply.type !== 'outcome') throw new Error(`unexpected message ${reply.type}`);
    const outcome: UnitOutcome = reply.outcome;
    if (outcome.status === 'done' || outcome.status === 'skipped') {
      emit({ event: outcome.status, id: data.id, label: data.label });
      return outcome;
    }
    return delay(job, token, outcome.status);
  };

  const worker = new Worker<QueueJobData>(QUEUE_NAME, processor, {
    connection: connectionFor(opts.url),
    concurrency: 1,
    lockDuration,
    stalledInterval: opts.stalledMs ?? Math.max(1000, Math.floor(lockDuration / 2)),
    // a job whose worker died is put back up to 3 times before it counts as failed
    maxStalledCount: 3,
  });
  worker.on('error', (error) => process.stderr.write(`worker: ${error.message}\n`));
  await worker.waitUntilReady();
  return {
    async close() {
      await worker.close();
      unitProcess.close();
      await queue.close();
    },
  };
}
