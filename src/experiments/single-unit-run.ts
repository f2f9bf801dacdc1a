/**
 * Runs of one unit kept beside the lottery runs (learned supermasks, retrained slimmed networks): the
 * unit's recorded result read back after its files are checked, and its lease, waited for while
 * another live process holds it. Both kinds of run go through these, so they behave alike.
 */
import type { TrainingEngine } from '../engine/engine.js';
import type { LotteryConfig } from '../lottery/config.js';
import type { Lease, Run } from '../store/index.js';
import { type TrainData, makeSampler } from '../train/data.js';
import { type TrainCheckpoint, type TrainProgress, type TrainResult, train } from '../train/trainer.js';
import { Rng } from '../util/rng.js';

/** Checkpoints of a single-unit run's training (the caller persists them). */
export interface UnitCheckpointing {
  /** Save every this many iterations (0 = never). */
  every: number;
  /** Persists a checkpoint (weights, optimizer state, step, data order, curve). */
  save(checkpoint: TrainCheckpoint): void;
  /** Continue from this checkpoint instead of iteration 0 (same result as an uninterrupted run). */
  resume?: TrainCheckpoint;
}

/**
 * Trains `engine` on `config`'s schedule with the data order of `config.seed`, checkpointing and
 * reporting progress as asked: the one training loop of learned supermasks and retrained slimmed
 * networks.
 */
export function trainOnSchedule(
  engine: TrainingEngine,
  data: TrainData,
  config: LotteryConfig,
  opts: { onProgress?: (p: TrainProgress) => void; checkpointing?: UnitCheckpointing },
): Promise<TrainResult> {
  const sampler = makeSampler(data, config.batchSize, Rng.derive(config.seed, 'data-order').uint32());
  return train(
    engine,
    data,
    sampler,
    {
      iterations: config.iterations,
      learningRate: config.learningRate,
      schedule: config.schedule,
      evalEvery: config.evalEvery,
      checkpointEvery: opts.checkpointing?.every ?? 0,
      divergenceLoss: config.divergenceLoss,
    },
    {
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(opts.checkpointing ? { saveCheckpoint: opts.checkpointing.save } : {}),
    },
    opts.checkpointing?.resume,
  );
}

/** The recorded result of `unit` if its record and files are intact; a damaged one is named. */
export function readBackUnit<T>(run: Run, unit: string, notify?: (message: string) => void): T | undefined {
  if (!run.isDone(unit)) return undefined;
  const check = run.checkUnit(unit);
  if (check.problems.length === 0) return run.result<T>(unit);
  notify?.(`${run.dir} is recorded as done but ${check.problems.join('; ')}: it is computed again`);
  return undefined;
}

/** The unit's lease, waiting while a live process holds it; null if that process finished the run. */
export async function leaseUnit(
  run: Run,
  unit: string,
  opts: { notify?: (message: string) => void; pollMs?: number },
): Promise<Lease | null> {
  let told = false;
  for (;;) {
    const lease = run.tryLease(unit);
    if (lease) {
      if (!readBackUnit(run, unit)) return lease;
      lease.release(); // finished by the other process meanwhile
      return null;
    }
    if (!told) {
      const s = run.leaseState(unit);
      const holder =
        s.state === 'free' || !s.info ? 'another process' : `pid ${s.info.pid} on ${s.info.hostname}`;
      opts.notify?.(`${holder} is computing ${run.dir}: waiting for it`);
      told = true;
    }
    await new Promise((resolve) => setTimeout(resolve, opts.pollMs ?? 2000));
    if (readBackUnit(run, unit)) return null;
  }
}

/**
 * Trains `unit` under its `lease`, released in every case; a failure is recorded on the unit (unless
 * the lease was lost to another process, whose unit it now is) and rethrown.
 */
export async function trainUnderLease<T>(
  run: Run,
  unit: string,
  lease: Lease,
  train: () => Promise<T>,
): Promise<T> {
  try {
    return await train();
  } catch (error) {
    if (!lease.lost)
      try {
        run.markFailed(unit, error);
      } catch {
        // the original error is the one to report
      }
    throw error;
  } finally {
    lease.release();
  }
}
