/**
 * The sparsity-schedule registry (pruning during training). A new schedule: one file defining it, one
 * `registerSparsitySchedule` line. `none` (no pruning during training) is the setting's default and
 * not a schedule.
 */
import { provideChoices } from '../../spec/choices.js';
import { Registry } from '../../util/registry.js';
import { agp } from './agp.js';
import { cos } from './cos.js';
import { dsd } from './dsd.js';
import { iterative } from './iterative.js';
import { lin } from './lin.js';
import { oneCycle } from './one-cycle.js';
import { oneShot } from './one-shot.js';
import type { ScheduleShape, SparsitySchedule } from './types.js';

const schedules = new Registry<SparsitySchedule>('sparsity schedule');

/** Makes `schedule` available as `gradual.schedule = schedule.name`. */
export function registerSparsitySchedule(schedule: SparsitySchedule): SparsitySchedule {
  if (typeof schedule.sparsityAt !== 'function')
    throw new TypeError(`sparsity schedule "${schedule.name}" has no sparsityAt function`);
  return schedules.register(schedule);
}

/** The schedule of that name; a UserError listing the registered names otherwise. */
export function sparsityScheduleNamed(name: string): SparsitySchedule {
  return schedules.get(name);
}

export function sparsityScheduleNames(): string[] {
  return schedules.names();
}

/** Where a pruning window lies in training, as fractions of it. */
export interface ScheduleWindow {
  start: number;
  end: number;
}

/**
 * The sparsity `schedule` asks for after `fraction` of training: s_i before the window, the schedule's
 * value at pos = (fraction − start)/(end − start) inside it, and its value at pos = 1 after it.
 */
export function sparsityAtFraction(
  schedule: SparsitySchedule,
  fraction: number,
  window: ScheduleWindow,
  shape: ScheduleShape,
): number {
  if (fraction < window.start || (fraction === window.start && window.end > window.start))
    return shape.initial;
  const position =
    window.end > window.start ? Math.min(1, (fraction - window.start) / (window.end - window.start)) : 1;
  const s = schedule.sparsityAt(position, shape);
  // floating-point noise must not push a sparsity outside [0, 1]
  return Math.min(1, Math.max(0, s));
}

for (const s of [oneShot, iterative, agp, oneCycle, cos, lin, dsd]) registerSparsitySchedule(s);
provideChoices('gradual.schedule', () => ['none', ...sparsityScheduleNames()]);
export type { ScheduleShape, SparsitySchedule } from './types.js';
