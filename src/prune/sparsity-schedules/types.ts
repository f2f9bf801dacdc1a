/**
 * What a sparsity schedule is: the fraction of weights pruned as a function of the position inside
 * the pruning window of one training run (fasterai v0.2.4, `core/schedule.py`). Values are fractions
 * (fasterai writes percents).
 */
export interface ScheduleShape {
  /** Sparsity before the window (fasterai's `start`; 0 for pruning from a dense network). */
  initial: number;
  /** Sparsity the schedule reaches (fasterai's `end`; the callback's target). */
  final: number;
  /** Steps of the `iterative` schedule (fasterai: 3). */
  steps: number;
}

export interface SparsitySchedule {
  /** The name configs use (`gradual.schedule`). */
  readonly name: string;
  /** One line for help texts and docs, with the formula. */
  readonly description: string;
  /** fasterai's default start of the window, as a fraction of training (used when none is given). */
  readonly defaultStart: number;
  /** The sparsity at `position` in [0, 1] of the window (0 at its start, 1 at its end). */
  sparsityAt(position: number, shape: ScheduleShape): number;
}
