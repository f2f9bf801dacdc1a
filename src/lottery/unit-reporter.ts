/**
 * What a lottery run tells its user about units as they start, progress, end or are skipped: the
 * reporter interface the CLI, sweeps and tests implement, and the one way a notice reaches it.
 */
import type { TrainProgress } from '../train/trainer.js';
import type { LevelResult } from './summary.js';

export interface UnitInfo {
  trial: number;
  level: number;
  condition: string;
  fractionRemaining: number;
  index: number;
  total: number;
  resumedAt?: number;
}

export interface LotteryReporter {
  unitStart?(u: UnitInfo): void;
  progress?(u: UnitInfo, p: TrainProgress): void;
  unitEnd?(u: UnitInfo, r: LevelResult): void;
  unitSkipped?(u: UnitInfo): void;
  /** Nothing can start now: these units are leased by other processes (or wait on such units). */
  waiting?(leasedElsewhere: string[]): void;
  /** The unit's lease was taken over by another process; this one dropped the unit. */
  leaseLost?(u: UnitInfo): void;
  /**
   * Something the user should know that changes no result: a damaged checkpoint or unit being
   * recomputed, a unit that diverged or collapsed to chance. Printed to stderr when absent.
   */
  notice?(message: string): void;
}

/** Tells the reporter, or stderr if it has no notice. */
export function notify(reporter: LotteryReporter | undefined, message: string): void {
  if (reporter?.notice) reporter.notice(message);
  else process.stderr.write(`ticketlab: ${message}\n`);
}

export const unitLabel = (u: { trial: number; level: number; condition: string }): string =>
  `trial ${u.trial} level ${u.level} ${u.condition}`;
