/** Learning-rate schedules: evaluated per step in JS and fed to the compiled step, so they never recompile. */

/** A learning-rate schedule; its settings (and their validation) are declared in the settings table. */
export interface Schedule {
  /** Linear warmup from lr/warmup to lr over this many iterations (0 = none). */
  warmup: number;
  /** Multiply the learning rate by `gamma` at each of these iterations (step decay). */
  milestones: number[];
  gamma: number;
}

export const CONSTANT: Schedule = { warmup: 0, milestones: [], gamma: 0.1 };

/** The learning rate for the step that follows `iteration` completed steps. */
export function learningRateAt(base: number, schedule: Schedule, iteration: number): number {
  let lr = base;
  if (schedule.warmup > 0 && iteration < schedule.warmup) lr *= (iteration + 1) / schedule.warmup;
  for (const m of schedule.milestones) if (iteration >= m) lr *= schedule.gamma;
  return lr;
}

export function describeSchedule(s: Schedule): string {
  const parts: string[] = [];
  if (s.warmup > 0) parts.push(`linear warmup over ${s.warmup} iterations`);
  if (s.milestones.length) parts.push(`×${s.gamma} at ${s.milestones.join(', ')}`);
  return parts.length ? parts.join(', ') : 'constant';
}
