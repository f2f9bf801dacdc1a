/**
 * The plan of a sweep: every run of an expanded spec resolved to its configuration and run identity
 * (so the same settings in two sweeps, or in a plain `ticketlab lottery`, are one run directory), and
 * every unit of every run with a content hash (the run directory, itself named by the identity, and
 * the unit's key): the unit's id in the local scheduler and its job id in the queue.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LotteryConfig } from '../lottery/config.js';
import { type PlannedUnit, buildPlan } from '../lottery/plan.js';
import { resolveConfig, runIdentity } from '../lottery/resolve.js';
import { RunStore, hashConfig } from '../store/index.js';
import { UserError } from '../util/errors.js';
import type { ExpandedSweep, SweepPoint } from './spec.js';

export interface SweepRun {
  point: SweepPoint;
  config: LotteryConfig;
  identity: Record<string, unknown>;
  name: string;
  /** `<name>-<hash>`, the run directory under the runs root. */
  dirName: string;
  dir: string;
  units: SweepUnit[];
}

export interface SweepUnit {
  /** Content hash of the unit: its run directory (named by the run identity) and key. */
  id: string;
  run: SweepRun;
  unit: PlannedUnit;
  /** Ids of the units it needs done first (same run). */
  dependsOn: string[];
}

export interface SweepPlan {
  sweep: ExpandedSweep;
  root: string;
  runs: SweepRun[];
  units: SweepUnit[];
  byId: Map<string, SweepUnit>;
}

/** Default run name, the one `ticketlab lottery` uses, so a sweep and a plain command share runs. */
export function defaultRunName(config: LotteryConfig): string {
  return `${config.model}-${config.dataset}-lottery`;
}

/** The job id of a unit: `unit-` and a hash of its run directory's name and its key. */
export function unitId(dirName: string, key: string): string {
  return `unit-${hashConfig({ run: dirName, unit: key })}`;
}

export function planSweep(sweep: ExpandedSweep, runsDir?: string): SweepPlan {
  const store = new RunStore({ root: runsDir });
  const byDir = new Map<string, SweepRun>();
  const runs: SweepRun[] = [];
  for (const point of sweep.points) {
    let config: LotteryConfig;
    try {
      config = resolveConfig(point.request);
    } catch (error) {
      if (error instanceof UserError)
        throw new UserError(`${sweep.source}: run ${point.index}: ${error.message}`, error.fix);
      throw error;
    }
    const identity = runIdentity(config);
    const name = sweep.spec.runName ?? defaultRunName(config);
    const dirName = `${name}-${hashConfig(identity)}`;
    const same = byDir.get(dirName);
    if (same) {
      // two points with one identity (e.g. a derived setting equal to its default): one run, the larger plan
      same.config = mergeAmounts(same.config, config);
      continue;
    }
    const run: SweepRun = {
      point,
      config,
      identity,
      name,
      dirName,
      dir: join(store.root, dirName),
      units: [],
    };
    byDir.set(dirName, run);
    runs.push(run);
  }
  const units: SweepUnit[] = [];
  for (const run of runs) {
    const plan = buildPlan(run.config);
    run.units = plan.units.map((unit) => ({
      id: unitId(run.dirName, unit.key),
      run,
      unit,
      dependsOn: unit.dependsOn.map((k) => unitId(run.dirName, k)),
    }));
    units.push(...run.units);
  }
  return { sweep, root: store.root, runs, units, byId: new Map(units.map((u) => [u.id, u])) };
}

/** Two configs of one run: the most levels and trials and every control of either. */
function mergeAmounts(a: LotteryConfig, b: LotteryConfig): LotteryConfig {
  return {
    ...a,
    levels: Math.max(a.levels, b.levels),
    trials: Math.max(a.trials, b.trials),
    controls: [...new Set([...a.controls, ...b.controls])],
  };
}

export type UnitStatus = 'done' | 'running' | 'partial' | 'new';

/** Where each unit of a plan stands in the run store (read-only). */
export function unitStatuses(plan: SweepPlan): Map<string, UnitStatus> {
  const store = new RunStore({ root: plan.root });
  const out = new Map<string, UnitStatus>();
  for (const run of plan.runs) {
    const existing = store.peekRun(run.name, run.identity);
    for (const u of run.units) {
      let status: UnitStatus = 'new';
      if (existing?.isDone(u.unit.key)) status = 'done';
      else if (existing && existing.leaseState(u.unit.key).state === 'held') status = 'running';
      else if (existing && hasCheckpoint(existing.dir, u.unit.key)) status = 'partial';
      out.set(u.id, status);
    }
  }
  return out;
}

function hasCheckpoint(dir: string, key: string): boolean {
  return existsSync(join(dir, ...key.split('/'), 'checkpoint.json'));
}
