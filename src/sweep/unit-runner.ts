/**
 * Training one unit of one run, on request, in a worker process: the local scheduler's children and
 * the queue worker's sandbox both run this. The data, model and engine of the last run are kept, so
 * a process that trains several units of one run (the common case: a run's levels) builds them once.
 * The unit is trained under its lease, exactly as `ticketlab lottery` trains it (lottery/units.ts),
 * so several processes, sweeps and plain lottery commands can share a run store.
 */
import { adoptSharedLevel0 } from '../lottery/share-level0.js';
import { TrainingEngine } from '../engine/engine.js';
import type { LotteryConfig } from '../lottery/config.js';
import { buildPlan } from '../lottery/plan.js';
import { prunableLayers } from '../lottery/procedure.js';
import { runIdentity } from '../lottery/resolve.js';
import type { RunSummary } from '../lottery/summary.js';
import { writeRunSummary } from '../lottery/summary-writer.js';
import { type UnitInfo, UnitWorker } from '../lottery/units.js';
import { type LeaseOptions, type Run, RunStore, stableStringify } from '../store/index.js';
import type { TrainData } from '../train/data.js';
import { openRunFor, setUpTraining } from '../experiments/execute.js';

/** What a worker needs to train one unit: everything travels with the job (no shared state but the store). */
export interface UnitJob {
  runsDir: string;
  name: string;
  config: LotteryConfig;
  key: string;
  threads: number;
  dataDir?: string;
  lease?: LeaseOptions;
  /** Labels for the run's summary.json (a preset's name and scale). */
  labels?: Pick<RunSummary, 'scale' | 'standIn' | 'preset'>;
}

export type UnitOutcome =
  | { status: 'done'; fractionRemaining: number; testAccuracyAtEarlyStop: number; wallSeconds: number }
  /** Done already (by another process, sweep or command). */
  | { status: 'skipped' }
  /** Its dependencies are not all done yet. */
  | { status: 'blocked'; waitingFor: string[] }
  /** Another live process holds its lease. */
  | { status: 'busy' }
  /** The lease was taken over while training (this process was stopped too long). */
  | { status: 'lost' };

export interface UnitEvents {
  start?(u: { resumedAt: number; fractionRemaining: number }): void;
  progress?(p: { iteration: number; iterations: number; validationAccuracy?: number }): void;
}

interface Prepared {
  signature: string;
  run: Run;
  data: TrainData;
  engine: TrainingEngine;
  config: LotteryConfig;
  worker: UnitWorker;
}

/** Keeps the prepared run of the last job; trains units one at a time. */
export class UnitRunner {
  private prepared: Prepared | null = null;
  private events: UnitEvents = {};

  async run(job: UnitJob, events: UnitEvents = {}): Promise<UnitOutcome> {
    this.events = events;
    const p = await this.prepare(job);
    const plan = buildPlan(job.config);
    const unit = plan.byKey.get(job.key);
    if (!unit) throw new Error(`unit ${job.key} is not in the plan of ${p.run.dir}`);
    if (p.run.isDone(unit.key)) return { status: 'skipped' };
    const waitingFor = unit.dependsOn.filter((k) => !p.run.isDone(k));
    if (waitingFor.length > 0) return { status: 'blocked', waitingFor };
    const lease = p.run.tryLease(unit.key, job.lease);
    if (!lease) return { status: 'busy' };
    try {
      if (p.run.isDone(unit.key)) return { status: 'skipped' };
      p.run.setPlanned(Math.max(plan.units.length, p.run.planned ?? 0));
      const info: UnitInfo = {
        trial: unit.trial,
        level: unit.level,
        condition: unit.condition,
        fractionRemaining: Number.NaN,
        index: unit.index,
        total: plan.units.length,
      };
      // level 0 copied from another run with the same level-0 settings when one has it (lottery/share-level0.ts)
      const shared = adoptSharedLevel0({
        theta0: () => p.worker.theta0(unit.trial, unit.seed),
        run: p.run,
        config: job.config,
        unit,
        threads: p.engine.threads,
        lease,
      });
      const result = shared ?? (lease.lost ? null : await p.worker.train(unit, lease, info));
      if (!result) return { status: 'lost' };
      // the same summary.json as `ticketlab lottery` writes: threads and versions from the units' provenance
      writeRunSummary(p.run, job.config, plan.byKey, { trainedHere: true, labels: job.labels });
      return {
        status: 'done',
        fractionRemaining: result.fractionRemaining,
        testAccuracyAtEarlyStop: result.testAccuracyAtEarlyStop,
        wallSeconds: result.wallSeconds,
      };
    } finally {
      lease.release();
    }
  }

  async close(): Promise<void> {
    if (this.prepared) {
      this.prepared.run.close();
      await this.prepared.engine.release();
    }
    this.prepared = null;
  }

  private async prepare(job: UnitJob): Promise<Prepared> {
    const { config } = job;
    const identity = runIdentity(config);
    const signature = stableStringify({
      runsDir: job.runsDir,
      name: job.name,
      identity,
      threads: job.threads,
      dataDir: job.dataDir ?? null,
    });
    const current = this.prepared;
    if (current?.signature === signature) {
      if (stableStringify(current.config) !== stableStringify(config)) {
        // more levels, trials or controls than the last job asked for: same data and engine
        current.run = new RunStore({ root: job.runsDir }).openRun(job.name, identity, config);
        current.config = config;
        current.worker = this.newWorker(config, current.run, current.data, current.engine);
      }
      return current;
    }
    await this.close();
    const run = openRunFor(new RunStore({ root: job.runsDir }), job.name, config);
    const { data, engine } = await setUpTraining(config, { dataDir: job.dataDir, threads: job.threads });
    this.prepared = {
      signature,
      run,
      data,
      engine,
      config,
      worker: this.newWorker(config, run, data, engine),
    };
    return this.prepared;
  }

  private newWorker(config: LotteryConfig, run: Run, data: TrainData, engine: TrainingEngine): UnitWorker {
    return new UnitWorker(config, run, data, engine, prunableLayers(engine), {
      unitStart: (u) =>
        this.events.start?.({ resumedAt: u.resumedAt ?? 0, fractionRemaining: u.fractionRemaining }),
      progress: (_u, p) =>
        this.events.progress?.({
          iteration: p.iteration,
          iterations: p.iterations,
          validationAccuracy: p.lastEval?.validationAccuracy,
        }),
    });
  }
}
