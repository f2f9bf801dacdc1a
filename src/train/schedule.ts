/** Learning-rate schedules: evaluated per step in JS and fed to the compiled step, so they never recompile. */
import { z } from 'zod';

export const scheduleSchema = z
  .object({
    /** Linear warmup from lr/warmup to lr over this many iterations (0 = none). */
    warmup: z.number().int().min(0).default(0),
    /** Multiply the learning rate by `gamma` at each of these iterations (step decay). */
    milestones: z.array(z.number().int().positive()).default([]),
    gamma: z.number().positive().default(0.1),
  })
  .strict();

export type Schedule = z.infer<typeof scheduleSchema>;

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
