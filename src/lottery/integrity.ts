/**
 * Whether the recorded units of a lottery run can be trusted, and what a repair recomputes. A unit
 * recorded as done is used (skipped, or read by the units that depend on it) only if its record
 * parses and every tensor file it wrote is present with the checksum it was written with; a damaged
 * one is computed again, alone: the units that depend on it keep their own (intact) files.
 */
import type { Run, UnitCheck } from '../store/index.js';
import type { LotteryConfig } from './config.js';
import { type Plan, type PlannedUnit, buildPlan } from './plan.js';
import { type LotteryReporter, notify } from './unit-reporter.js';

/** The tensor files of a unit recorded by an earlier version (its record lists none). */
export const LEGACY_UNIT_FILES = ['masks.safetensors', 'final.safetensors', 'best.safetensors'];

const UNIT_KEY_RE = /^trial-(\d+)\/level-(\d+)\/([^/]+)$/;

export function parseUnitKey(key: string): { trial: number; level: number; condition: string } | null {
  const m = UNIT_KEY_RE.exec(key);
  return m ? { trial: Number(m[1]), level: Number(m[2]), condition: m[3] } : null;
}

/** The checks of one invocation: each recorded unit is read and verified once. */
export class UnitChecks {
  private readonly checked = new Map<string, UnitCheck>();
  /** Damaged units already reported (once each). */
  private readonly told = new Set<string>();

  constructor(
    readonly run: Run,
    private readonly reporter?: LotteryReporter,
  ) {}

  /** The unit's check (recomputed with `fresh`); undefined while it is not recorded. */
  check(key: string, { fresh = false } = {}): UnitCheck | undefined {
    if (!this.run.isDone(key)) return undefined; // never cached: another process may finish it
    let check = fresh ? undefined : this.checked.get(key);
    if (!check) {
      check = this.run.checkUnit(key, LEGACY_UNIT_FILES);
      this.checked.set(key, check);
      if (check.problems.length > 0 && !this.told.has(key)) {
        this.told.add(key);
        notify(
          this.reporter,
          `${key} is recorded as done but ${check.problems.join('; ')}: it is computed again`,
        );
      }
    }
    return check;
  }

  /** Recorded (done or diverged) and intact. */
  usable(key: string, options?: { fresh?: boolean }): boolean {
    const check = this.check(key, options);
    return check !== undefined && check.problems.length === 0;
  }

  diverged(key: string): boolean {
    return this.usable(key) && this.check(key)!.state === 'diverged';
  }

  /** Drops the record of a damaged unit (its lease held), so it is trained again. */
  forgetDamaged(key: string): void {
    const check = this.check(key, { fresh: true });
    if (check && check.problems.length > 0) this.run.invalidate(key);
    this.checked.delete(key);
  }

  /** Keys of the run's recorded units (of any invocation) whose files are missing or damaged. */
  damaged(): string[] {
    return this.run.doneKeys().filter((k) => parseUnitKey(k) !== null && !this.usable(k));
  }
}

/**
 * What `ticketlab runs repair` works on: the units of `config`'s plan (as a plain rerun), and every
 * damaged unit recorded by earlier invocations with more levels, trials or controls — with the units
 * they need that are not recorded. Those amounts are not part of a unit's computation (nor of the
 * run's identity), so a config widened to cover them computes each unit exactly as before.
 */
export function repairPlan(
  config: LotteryConfig,
  plan: Plan,
  checks: UnitChecks,
): { config: LotteryConfig; units: PlannedUnit[] } {
  const damaged = checks.damaged().map((k) => ({ key: k, ...parseUnitKey(k)! }));
  if (damaged.every((d) => plan.byKey.has(d.key))) return { config, units: plan.units };
  const controls = new Set(config.controls);
  for (const d of damaged) if (d.condition !== 'ticket') controls.add(d.condition);
  const wide: LotteryConfig = {
    ...config,
    levels: Math.max(config.levels, ...damaged.map((d) => d.level)),
    trials: Math.max(config.trials, ...damaged.map((d) => d.trial + 1)),
    controls: [...controls] as LotteryConfig['controls'],
    controlLevels: undefined,
  };
  const widePlan = buildPlan(wide);
  const targets = new Set([...plan.units.map((u) => u.key), ...damaged.map((d) => d.key)]);
  // dependencies come first in plan order: walking backwards adds each before it is visited
  for (const u of [...widePlan.units].reverse())
    if (targets.has(u.key)) for (const d of u.dependsOn) if (!checks.usable(d)) targets.add(d);
  return { config: wide, units: widePlan.units.filter((u) => targets.has(u.key)) };
}
