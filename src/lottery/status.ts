/**
 * Where a lottery run stands, for `runs list` and `runs show`: its model and dataset, how many of
 * its levels and units are done, its units by state (done, running, interrupted, failed, diverged,
 * pending), the best test accuracy at early stop, and which units diverged or collapsed to chance.
 */
import {
  listRuns,
  RunStore,
  type RunSummary as StoredRun,
  UNIT_STATES,
  type UnitState,
} from '../store/index.js';
import { lotteryConfigSchema } from './config.js';
import { parseUnitKey } from './integrity.js';
import { buildPlan } from './plan.js';
import type { LevelResult } from './summary.js';

export interface RunStatus {
  dir: string;
  name: string;
  createdAt: string | null;
  model: string | null;
  dataset: string | null;
  /** Levels 0..L of the latest invocation whose every planned unit is done, of L+1. */
  levels: { done: number; total: number } | null;
  units: { done: number; planned: number | null };
  states: Record<UnitState, number>;
  /** Highest test accuracy at early stop among the normally trained units. */
  best: { accuracy: number; level: number; condition: string } | null;
  diverged: LevelResult[];
  collapsed: LevelResult[];
  /** Every planned unit is done (diverged units count as not done). */
  complete: boolean;
  problem?: string;
}

/** The status of one run from its store summary (see RunStore.list). */
export function runStatus(stored: StoredRun): RunStatus {
  const config = lotteryConfigSchema.safeParse(stored.config);
  const status: RunStatus = {
    dir: stored.dir,
    name: stored.name,
    createdAt: stored.createdAt,
    model: config.success ? config.data.model : null,
    dataset: config.success ? config.data.dataset : null,
    levels: null,
    units: { done: stored.units.done, planned: stored.progress.planned },
    states: { ...stored.units },
    best: null,
    diverged: [],
    collapsed: [],
    complete: false,
    ...(stored.problem ? { problem: stored.problem } : {}),
  };
  let run;
  try {
    run = new RunStore().loadRun(stored.dir);
  } catch {
    return status;
  }
  const results = new Map<string, LevelResult>();
  for (const key of run.doneKeys()) {
    if (!parseUnitKey(key)) continue;
    try {
      const r = run.result<LevelResult>(key);
      if (r) results.set(key, r);
    } catch {
      // a damaged record: `runs verify` names it
    }
  }
  for (const r of results.values()) {
    if (r.state === 'diverged') status.diverged.push(r);
    else if (r.state === 'collapsed') status.collapsed.push(r);
    if (r.state === undefined && (!status.best || r.testAccuracyAtEarlyStop > status.best.accuracy))
      status.best = { accuracy: r.testAccuracyAtEarlyStop, level: r.level, condition: r.condition };
  }
  if (config.success) {
    const plan = buildPlan(config.data);
    const finished = (key: string) => results.has(key) && results.get(key)!.state !== 'diverged';
    let levelsDone = 0;
    for (let level = 0; level <= config.data.levels; level++)
      if (plan.units.filter((u) => u.level === level).every((u) => finished(u.key))) levelsDone++;
    status.levels = { done: levelsDone, total: config.data.levels + 1 };
    status.units = { done: plan.units.filter((u) => finished(u.key)).length, planned: plan.units.length };
    status.complete = status.units.done === plan.units.length;
  }
  return status;
}

/** The status of every run under `root`. */
export function listRunStatus(root?: string): RunStatus[] {
  return listRuns(root).map(runStatus);
}

/** "3 done, 1 running, 2 pending": the non-zero unit states. */
export function stateSummary(states: Record<UnitState, number>): string {
  const parts = UNIT_STATES.filter((s) => states[s] > 0).map((s) => `${states[s]} ${s}`);
  return parts.length ? parts.join(', ') : 'nothing started';
}
