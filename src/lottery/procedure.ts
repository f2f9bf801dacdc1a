/**
 * The lottery procedure (Frankle & Carbin 2019, Section 2 and Appendix B "Strategy 1"):
 * for each trial, level 0 trains the dense network from θ₀; each following level prunes the lowest-
 * magnitude remaining weights of the previous level's trained network (iterative), or of level 0's
 * straight to the level's target (one-shot), resets the survivors (see ./resets.ts), and trains
 * again. Controls (see ./controls.ts) are trained beside the ticket at each level.
 *
 * The run is a plan of units (./plan.ts), each trained under its own lease in the run store. This
 * executor trains, in plan order, every unit whose dependencies are done and whose lease it can take;
 * when the others are all leased by other live processes (or wait on such units), it polls until
 * they are done or their holders die. Done units are skipped, so a run started again, with more
 * levels, trials or controls, computes only what is missing; a unit killed mid-training resumes from
 * its last checkpoint, in this process or another.
 */
import type { TrainingEngine } from '../engine/engine.js';
import type { LeaseOptions, Run } from '../store/index.js';
import type { TrainData } from '../train/data.js';
import type { LotteryConfig } from './config.js';
import { type Plan, buildPlan } from './plan.js';
import { repairPlan, UnitChecks } from './integrity.js';
import type { LevelResult, RunSummary } from './summary.js';
import { writeRunSummary } from './summary-writer.js';
import { prunableLayers } from './tickets.js';
import { adoptSharedLevel0 } from './share-level0.js';
import { type LotteryReporter, type UnitCallbacks, type UnitInfo, UnitWorker, unitLabel } from './units.js';
import { DIVERGENCE_FIX } from '../train/callbacks.js';
import { UserError } from '../util/errors.js';

export { prunableLayers } from './tickets.js';
export { collectResults, machineInfo } from './summary-writer.js';
export { unitKey } from './types.js';
export type { LotteryReporter, UnitCallbacks, UnitInfo } from './units.js';

export interface LotteryContext {
  config: LotteryConfig;
  run: Run;
  data: TrainData;
  engine: TrainingEngine;
  reporter?: LotteryReporter;
  /** Extra fields for summary.json (scale, stand-in labels). */
  labels?: Pick<RunSummary, 'scale' | 'standIn' | 'preset'>;
  /** Unit leases: time to live and heartbeat (defaults: see store/lease.ts). */
  lease?: LeaseOptions;
  /** How often to look again when every remaining unit is leased elsewhere (ms, default 1000). */
  pollMs?: number;
  /**
   * Extra training callbacks for each unit (see TrainHooks.callbacks); their state is saved in the
   * unit's checkpoints and restored when the unit resumes.
   */
  callbacks?: UnitCallbacks;
  /**
   * Repair the whole run: besides this config's units, every unit recorded by any invocation whose
   * files are missing or damaged is computed again (`ticketlab runs repair`).
   */
  repair?: boolean;
}

export async function runLottery(ctx: LotteryContext): Promise<RunSummary> {
  const { config, run, engine, data } = ctx;
  const plan = buildPlan(config);
  run.setPlanned(plan.units.length);
  let trainedHere = false;
  const checks = new UnitChecks(run, ctx.reporter);
  // the units to work on: the plan's, or for a repair also every damaged unit of the run
  const work = ctx.repair ? repairPlan(config, plan, checks) : { config, units: plan.units };
  const worker = new UnitWorker(
    work.config,
    run,
    data,
    engine,
    prunableLayers(engine),
    ctx.reporter,
    ctx.callbacks,
  );
  const units = work.units;
  const done = new Set<string>();
  /** Units that cannot be trained: one they depend on diverged (directly or through others). */
  const blocked = new Set<string>();
  const diverged: LevelResult[] = [];
  const info = (u: (typeof units)[number]): UnitInfo => {
    const r = checks.usable(u.key) ? run.result<LevelResult>(u.key) : undefined;
    return {
      trial: u.trial,
      level: u.level,
      condition: u.condition,
      fractionRemaining: r?.fractionRemaining ?? Number.NaN,
      index: u.index,
      total: units.length,
    };
  };
  const settled = (key: string) => done.has(key) || blocked.has(key);
  const finish = (key: string, result: LevelResult | undefined) => {
    done.add(key);
    if (result?.state === 'diverged') diverged.push(result);
  };
  let lastWaitingFor = '';
  while (!units.every((u) => settled(u.key))) {
    let trained = false;
    const leasedElsewhere: string[] = [];
    for (const unit of units) {
      if (settled(unit.key)) continue;
      if (checks.usable(unit.key)) {
        finish(unit.key, run.result<LevelResult>(unit.key));
        ctx.reporter?.unitSkipped?.(info(unit));
        continue;
      }
      if (unit.dependsOn.some((k) => blocked.has(k) || checks.diverged(k))) {
        blocked.add(unit.key);
        continue;
      }
      if (!unit.dependsOn.every((k) => done.has(k) || checks.usable(k))) continue;
      const lease = run.tryLease(unit.key, ctx.lease);
      if (!lease) {
        leasedElsewhere.push(unit.key);
        continue;
      }
      try {
        // finished (or repaired) by another process just before we leased it?
        if (checks.usable(unit.key, { fresh: true })) continue;
        checks.forgetDamaged(unit.key);
        const result =
          adoptSharedLevel0({
            theta0: () => worker.theta0(unit.trial, unit.seed),
            run,
            config: work.config,
            unit,
            threads: engine.threads,
            lease,
            reporter: ctx.reporter,
          }) ?? (lease.lost ? null : await worker.train(unit, lease, info(unit)));
        if (result) {
          finish(unit.key, result);
          trainedHere = true;
          writeSummary(ctx, plan, trainedHere);
        }
      } finally {
        lease.release();
      }
      trained = true;
      break; // look again from the start: plan order, and a finished unit may unblock earlier ones
    }
    if (trained || units.every((u) => settled(u.key))) continue;
    if (leasedElsewhere.length === 0) break; // nothing runnable here, nothing to wait for
    const waitingFor = leasedElsewhere.join(',');
    if (waitingFor !== lastWaitingFor) ctx.reporter?.waiting?.(leasedElsewhere);
    lastWaitingFor = waitingFor;
    await new Promise((resolve) => setTimeout(resolve, ctx.pollMs ?? 1000));
  }
  const summary = writeSummary(ctx, plan, trainedHere);
  if (diverged.length > 0) throw divergedError(diverged, blocked.size);
  return summary;
}

/** Exit code 3: units of the run diverged (now or in an earlier invocation); what to change. */
function divergedError(diverged: LevelResult[], blocked: number): UserError {
  const first = diverged[0];
  const at = first.divergence
    ? `training diverged at iteration ${first.divergence.iteration}: the loss is ${first.divergence.loss}`
    : 'training diverged';
  const others = diverged.length > 1 ? `; ${diverged.length - 1} more unit(s) diverged` : '';
  const skipped = blocked > 0 ? `; ${blocked} unit(s) that depend on it were not trained` : '';
  return new UserError(
    `${at} (${unitLabel(first)}; its curve up to there is kept, recorded as diverged)${others}${skipped}`,
    `${DIVERGENCE_FIX}. The same settings diverge again: change one of them (a new run directory)`,
    3,
  );
}

/** summary.json for this invocation's plan (see summary-writer.ts). */
function writeSummary(ctx: LotteryContext, plan: Plan, trainedHere: boolean): RunSummary {
  return writeRunSummary(ctx.run, ctx.config, plan.byKey, { trainedHere, labels: ctx.labels });
}
