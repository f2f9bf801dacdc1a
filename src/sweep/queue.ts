/**
 * Distributed sweeps on BullMQ (Redis): every unit of a sweep is one job whose id is the unit's
 * content hash (./plan.ts unitId), so enqueueing a sweep twice, or two sweeps sharing units, adds
 * each unit once. A job carries everything needed to train its unit (the run's configuration, its
 * run store path, the thread count); workers (./queue-worker.ts) on any machine that mounts the run
 * store at that path pull and train them. The run store stays the truth: a unit done there is done,
 * whatever the queue says.
 */
import { Queue } from 'bullmq';
import { RunStore } from '../store/index.js';
import { UserError } from '../util/errors.js';
import { recordSweepStart } from './manifest.js';
import type { SweepPlan, SweepUnit } from './plan.js';
import type { UnitJob } from './unit-runner.js';
import { unitJob } from './local.js';

export const QUEUE_NAME = 'ticketlab-units';

export interface QueueJobData {
  /** The unit's content hash (also the job id). */
  id: string;
  /** `<run directory>/<unit key>`, for people reading the queue. */
  label: string;
  job: UnitJob;
  /** The units (job id and unit key) this one needs done first. */
  dependsOn: { id: string; key: string }[];
}

/** BullMQ's connection options for a `redis://host:port` URL (workers need no retry limit). */
export function connectionFor(url: string): { url: string; maxRetriesPerRequest: null } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError(`--queue ${url} is not a URL`, 'give the Redis server as redis://host:port');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new UserError(`--queue ${url} is not a redis:// URL`, 'give the Redis server as redis://host:port');
  }
  return { url, maxRetriesPerRequest: null };
}

export function openQueue(url: string): Queue<QueueJobData> {
  return new Queue<QueueJobData>(QUEUE_NAME, { connection: connectionFor(url) });
}

export interface EnqueueOptions {
  threads: number;
  dataDir?: string;
  /** Attempts per unit (a crash or error each) before it is failed. Default 3. */
  attempts?: number;
}

export interface EnqueueResult {
  added: number;
  /** Jobs already in the queue (this sweep or another enqueued them). */
  queued: number;
  /** Units done in the run store already: not enqueued. */
  done: number;
}

/** Enqueues every unit of the plan not done yet; a unit already queued is left as it is. */
export async function enqueueSweep(
  queue: Queue<QueueJobData>,
  plan: SweepPlan,
  opts: EnqueueOptions,
): Promise<EnqueueResult> {
  const store = new RunStore({ root: plan.root });
  // which runs and units are this sweep's, for the dashboard; its progress is the store's
  recordSweepStart(plan, 'queue');
  const result: EnqueueResult = { added: 0, queued: 0, done: 0 };
  const jobs: { name: string; data: QueueJobData; opts: object }[] = [];
  for (const run of plan.runs) {
    const existing = store.peekRun(run.name, run.identity);
    for (const u of run.units) {
      if (existing?.isDone(u.unit.key)) {
        result.done++;
        continue;
      }
      const state = await queue.getJobState(u.id);
      if (state !== 'unknown') {
        result.queued++;
        continue;
      }
      jobs.push({
        name: label(u),
        data: {
          id: u.id,
          label: label(u),
          job: unitJob(u, plan.root, opts.threads, opts.dataDir),
          dependsOn: u.dependsOn.map((id) => ({ id, key: plan.byId.get(id)!.unit.key })),
        },
        // added in plan order (first in, first out), so dependencies tend to run first
        opts: {
          jobId: u.id,
          attempts: opts.attempts ?? 3,
          backoff: { type: 'fixed', delay: 1000 },
          removeOnComplete: false,
          removeOnFail: false,
        },
      });
    }
  }
  // addBulk keeps the plan's order; a job id that appeared meanwhile is not added twice
  if (jobs.length > 0) await queue.addBulk(jobs);
  result.added = jobs.length;
  return result;
}

const label = (u: SweepUnit) => `${u.run.dirName}/${u.unit.key}`;

export type JobState = 'completed' | 'failed' | 'active' | 'waiting' | 'delayed' | 'unknown' | string;

export interface SweepQueueStatus {
  /** Per unit of the plan: the run store's word first (done), else the queue's state. */
  units: { id: string; label: string; state: JobState; error?: string; progress?: unknown }[];
  counts: Record<string, number>;
}

/** Where each unit of a plan is: done in the run store, or its job's state in the queue. */
export async function sweepQueueStatus(
  queue: Queue<QueueJobData>,
  plan: SweepPlan,
): Promise<SweepQueueStatus> {
  const store = new RunStore({ root: plan.root });
  const units: SweepQueueStatus['units'] = [];
  const counts: Record<string, number> = {};
  for (const run of plan.runs) {
    const existing = store.peekRun(run.name, run.identity);
    for (const u of run.units) {
      let state: JobState = 'unknown';
      let error: string | undefined;
      let progress: unknown;
      if (existing?.isDone(u.unit.key)) state = 'completed';
      else {
        const job = await queue.getJob(u.id);
        if (job) {
          state = await job.getState();
          // `job` was read before its state: a job that failed in between has no reason in that copy
          if (state === 'failed') error = job.failedReason || (await queue.getJob(u.id))?.failedReason;
          if (state === 'active') progress = job.progress;
        }
      }
      counts[state] = (counts[state] ?? 0) + 1;
      units.push({
        id: u.id,
        label: label(u),
        state,
        ...(error ? { error } : {}),
        ...(progress ? { progress } : {}),
      });
    }
  }
  return { units, counts };
}

/** The whole queue: counts by state, and the failed jobs with their errors. */
export async function queueOverview(
  queue: Queue<QueueJobData>,
): Promise<{ counts: Record<string, number>; failed: { id: string; label: string; error: string }[] }> {
  const counts = await queue.getJobCounts(
    'active',
    'waiting',
    'delayed',
    'prioritized',
    'completed',
    'failed',
  );
  const failed = (await queue.getFailed(0, 99)).map((j) => ({
    id: String(j.id),
    label: j.data.label,
    error: j.failedReason,
  }));
  return { counts, failed };
}
