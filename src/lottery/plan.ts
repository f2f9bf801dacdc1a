/**
 * The plan of a lottery run: its units (trial × level × condition) and, for each, the units whose
 * files it reads. Level L's ticket depends on the ticket it is pruned from (L−1, or 0 for a one-shot
 * schedule); a control depends on what its mask is built from; a reset to θ_k or to trained weights
 * depends on the unit that wrote them. Units are listed trial by trial, level by level, the ticket
 * first: every unit comes after its dependencies, and one process working down the list trains them
 * in the order the procedure always has.
 */
import { type LotteryConfig, trialSeed } from './config.js';
import { conditionNamed, controls } from './controls.js';
import { resets } from './resets.js';
import { unitKey } from './types.js';

export interface PlannedUnit {
  key: string;
  trial: number;
  level: number;
  condition: string;
  seed: number;
  /** Position in the plan, from 1. */
  index: number;
  /** Keys of the units that must be done before this one starts. */
  dependsOn: string[];
}

export interface Plan {
  units: PlannedUnit[];
  byKey: Map<string, PlannedUnit>;
}

/** Conditions trained at a level: the ticket, then the requested controls (none at level 0). */
export function conditionsAt(config: LotteryConfig, level: number): string[] {
  if (level === 0) return ['ticket'];
  const only: Partial<Record<string, number[]>> = config.controlLevels ?? {};
  return ['ticket', ...config.controls.filter((c) => only[c]?.includes(level) ?? true)];
}

export function buildPlan(config: LotteryConfig): Plan {
  const reset = resets.get(config.reset);
  for (const name of config.controls) controls.get(name); // unknown names fail here, before any work
  const units: PlannedUnit[] = [];
  for (let trial = 0; trial < config.trials; trial++) {
    for (let level = 0; level <= config.levels; level++) {
      for (const condition of conditionsAt(config, level)) {
        let dependsOn: string[] = [];
        if (level > 0) {
          const position = { config, trial, level };
          const c = conditionNamed(condition);
          const start = c.start
            ? c.start.dependsOn(position)
            : reset.dependsOn(position, c.sourceLevel(position));
          dependsOn = [...new Set([...c.maskDependsOn(position), ...start])].sort();
        }
        units.push({
          key: unitKey(trial, level, condition),
          trial,
          level,
          condition,
          seed: trialSeed(config, trial),
          index: units.length + 1,
          dependsOn,
        });
      }
    }
  }
  const byKey = new Map(units.map((u) => [u.key, u]));
  for (const u of units) {
    for (const d of u.dependsOn) {
      const dep = byKey.get(d);
      if (!dep || dep.index >= u.index)
        throw new Error(`plan: ${u.key} depends on ${d}, which is not before it`);
    }
  }
  return { units, byKey };
}
