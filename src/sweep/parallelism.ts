/**
 * How many worker processes, and threads each, so that workers × threads fit the cores. The thread
 * count is 1 unless given: it changes the order of floating-point sums, so a sweep's results must not
 * depend on how many workers happened to run it (nor could a unit's checkpoint be resumed under
 * another count). One thread is also the faster use of a core for LeNet-size units: the issue measured
 * a LeNet level at 28.7 s with 2 threads and 21.3 s with 1, so a second core is better spent on a
 * second unit. Workers default to cores ÷ threads.
 */
import { availableParallelism } from 'node:os';

export interface Parallelism {
  workers: number;
  threads: number;
  cores: number;
  /** Set when the choice given oversubscribes the cores. */
  warning?: string;
}

export function chooseParallelism(
  given: { workers?: number; threads?: number },
  cores = availableParallelism(),
): Parallelism {
  const threads = given.threads ?? 1;
  const workers = given.workers ?? Math.max(1, Math.floor(cores / threads));
  const out: Parallelism = { workers, threads, cores };
  if (workers * threads > cores) {
    out.warning = `${workers} workers × ${threads} threads = ${workers * threads} threads on ${cores} cores: they will compete for the cores`;
  }
  return out;
}
