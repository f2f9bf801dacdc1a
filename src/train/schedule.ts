/** Learning-rate schedules: evaluated per step in JS and fed to the compiled step, so they never recompile. */
import type { WarmupFrom } from '../spec/warmup-settings.js';

/** A learning-rate schedule; its settings (and their validation) are declared in the settings table. */
export interface Schedule {
  /** Linear warmup over this many iterations (0 = none). */
  warmup: number;
  /**
   * Where warmup starts: `zero` is OpenLTH's lr·it/W (the first step at rate 0); `first-step`, the
   * rule before this setting existed, lr·(it+1)/W. Absent: first-step, as in every schedule stored or
   * written before (a resolved configuration always says which).
   */
  warmupFrom?: WarmupFrom;
  /** Multiply the learning rate by `gamma` at each of these iterations (step decay). */
  milestones: number[];
  gamma: number;
}

export const CONSTANT: Schedule = { warmup: 0, milestones: [], gamma: 0.1 };

/** The learning rate for the step that follows `iteration` completed steps (0-based). */
export function learningRateAt(base: number, schedule: Schedule, iteration: number): number {
  let lr = base;
  if (schedule.warmup > 0 && iteration < schedule.warmup) {
    const done = schedule.warmupFrom === 'zero' ? iteration : iteration + 1;
    lr *= done / schedule.warmup;
  }
  for (const m of schedule.milestones) if (iteration >= m) lr *= schedule.gamma;
  return lr;
}

export function describeSchedule(s: Schedule): string {
  const parts: string[] = [];
  if (s.warmup > 0)
    parts.push(
      `linear warmup over ${s.warmup} iterations from ${s.warmupFrom === 'zero' ? '0' : 'lr/warmup'}`,
    );
  if (s.milestones.length) parts.push(`×${s.gamma} at ${s.milestones.join(', ')}`);
  return parts.length ? parts.join(', ') : 'constant';
}
