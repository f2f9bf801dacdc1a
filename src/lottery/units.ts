/**
 * Training one unit of a lottery run, under its lease: build its mask and starting weights from the
 * files of the units it depends on, train (resuming the unit's checkpoint if a previous holder left
 * one), save its weights, and record its result — unless the lease was lost meanwhile, in which case
 * the unit is left to the process that took it over.
 */
import { relative } from 'node:path';
import type { BatchSampler } from '../data/index.js';
import type { TrainingEngine } from '../engine/engine.js';
import { type Masks, type PrunableLayer, fullMasks, sparsityReport } from '../prune/index.js';
import type { Lease, Run } from '../store/index.js';
import { COLLAPSE_FIX, collapsedToChance } from '../train/collapse.js';
import { DivergedError } from '../train/callbacks.js';
import type { TrainData } from '../train/data.js';
import { makeSampler } from '../train/data.js';
import { type TrainResult, train } from '../train/trainer.js';
import type { TrainHooks } from '../train/types.js';
import { Rng } from '../util/rng.js';
import { versions } from '../util/versions.js';
import { type LotteryReporter, type UnitInfo, notify, unitLabel } from './unit-reporter.js';
import type { LotteryConfig } from './config.js';
import { conditionNamed } from './controls.js';
import type { PlannedUnit } from './plan.js';
import { resets } from './resets.js';
import type { LevelResult } from './summary.js';
import { actionStart } from './actions/unit-start.js';
import { ensureTrialGradient, needsGradient } from './gradient-source.js';
import { supermaskAccuracy } from './supermask.js';
import { freshInit, ticketMasks } from './tickets.js';
import { type Retraining, type UnitContext, type WeightSet, trialKey } from './types.js';
import { beforeRetrainingAccuracy } from './before-retraining.js';
import {
  checkpointKernels,
  intact,
  loadWeights,
  removeCheckpoint,
  resumableCheckpoint,
  saveCheckpoint,
  saveMasks,
  saveWeights,
} from './weights-io.js';
import { modelCost } from '../engine/cost.js';
import { exportSizes } from '../engine/export-ticket.js';
import { describePruneEvent, finalMasks, gradualCallbackFor } from './gradual-unit.js';
import { assertRewindReached, earlyBirdStopAt, earlyBirdStopOf, unitEarlyBird } from './early-bird-unit.js';
import {
  EARLY_BIRD_FILE,
  maskSourcePath,
  snapshotFile,
  snapshotPoints,
  weightSnapshots,
} from './snapshots.js';
import { iterationsPerEpoch } from '../spec/durations.js';

export { type LotteryReporter, type UnitInfo, notify, unitLabel } from './unit-reporter.js';

/** A unit's extra training callbacks, made afresh for each unit it trains (or resumes). */
export type UnitCallbacks = (unit: {
  trial: number;
  level: number;
  condition: string;
}) => NonNullable<TrainHooks['callbacks']>;

/** Thrown from inside training when the unit's lease is found lost, to stop working on it. */
export class LeaseLostError extends Error {
  constructor(key: string) {
    super(`the lease of ${key} was taken over by another process`);
  }
}

/** What one process needs to train units, with the per-trial state it reuses from unit to unit. */
export class UnitWorker {
  private trial: { index: number; theta0?: WeightSet; sampler?: BatchSampler } | null = null;

  constructor(
    readonly config: LotteryConfig,
    readonly run: Run,
    readonly data: TrainData,
    readonly engine: TrainingEngine,
    readonly layers: PrunableLayer[],
    readonly reporter?: LotteryReporter,
    readonly callbacks?: UnitCallbacks,
  ) {}

  private trialState(index: number) {
    if (this.trial?.index !== index) this.trial = { index };
    return this.trial;
  }

  /**
   * θ₀ of a trial: every parameter's init drawn from the trial's seed (what engine.initialize draws),
   * unmasked. (Drawn through the engine, θ₀ would come out masked by whatever unit ran before: the
   * procedure once did that for trials ≥ 1, which made their θ₀ depend on the previous trial.)
   */
  theta0(trial: number, seed: number): WeightSet {
    const state = this.trialState(trial);
    state.theta0 ??= freshInit(this.engine, seed);
    return state.theta0;
  }

  /** The trial's batch sampler: one data order per trial, restarted by every unit. */
  sampler(trial: number, seed: number): BatchSampler {
    const state = this.trialState(trial);
    state.sampler ??= makeSampler(this.data, this.config.batchSize, Rng.derive(seed, 'data-order').uint32());
    return state.sampler;
  }

  /**
   * Trains `unit`, whose dependencies are done and whose `lease` this process holds. An error other
   * than a lost lease is recorded in the unit (its state becomes failed) and thrown on.
   */
  async train(unit: PlannedUnit, lease: Lease, info: UnitInfo): Promise<LevelResult | null> {
    try {
      return await this.attempt(unit, lease, info);
    } catch (error) {
      if (!lease.lost) {
        try {
          this.run.markFailed(unit.key, error);
        } catch {
          // the original error is the one to report (e.g. a full disk fails this write too)
        }
      }
      throw error;
    }
  }

  private async attempt(unit: PlannedUnit, lease: Lease, info: UnitInfo): Promise<LevelResult | null> {
    const { config, run, engine, layers } = this;
    const { trial, level, condition, seed, key } = unit;
    const initPath = run.path(trialKey(trial), 'init.safetensors');
    if (!intact(initPath)) saveWeights(initPath, this.theta0(trial, seed)); // θ₀ is drawn again at will
    if (level > 0 && needsGradient(config))
      await ensureTrialGradient(run, engine, this.data, config, trial, seed, this.theta0(trial, seed));
    const cond = conditionNamed(condition);
    const position = { config, trial, level };
    const ctx: UnitContext = {
      ...position,
      condition,
      seed,
      run,
      engine,
      layers,
      sourceLevel: level === 0 ? 0 : cond.sourceLevel(position),
      theta0: () => this.theta0(trial, seed),
      ticketMasks: () => ticketMasks(config, run, layers, trial, level, seed),
    };
    const masks = level === 0 ? fullMasks(layers) : cond.masks(ctx);
    info.fractionRemaining = fractionKept(masks, layers);
    const dir = run.unitDir(key);
    const files = (...names: string[]) => names.map((n) => relative(run.dir, `${dir}/${n}`));
    saveMasks(`${dir}/masks.safetensors`, masks, layers);
    const reset =
      level === 0
        ? ctx.theta0()
        : cond.start
          ? cond.start.startingWeights(ctx)
          : resets.get(config.reset).startingWeights(ctx);
    const { start, frozen } =
      level === 0 ? { start: reset, frozen: undefined } : actionStart(ctx, masks, reset);
    // the weights the mask was computed from (--mask-from)
    const sourceTicket = maskSourcePath(config, run, trial, ctx.sourceLevel);
    const beforeRetraining =
      level > 0 && intact(sourceTicket)
        ? await beforeRetrainingAccuracy(engine, this.data, masks, loadWeights(sourceTicket), ctx.sourceLevel)
        : undefined;
    const supermask = config.pruning.supermask
      ? await supermaskAccuracy(
          engine,
          this.data,
          layers,
          masks,
          start,
          frozen,
          Rng.derive(seed, 'supermask', level, condition),
        )
      : undefined;
    await engine.setMasks(masks, frozen ? { frozen } : {});
    engine.setWeights(start.weights, start.buffers);
    engine.resetOptimizer();
    engine.setDropoutSeed(Rng.derive(seed, 'dropout', level, condition).uint32());
    const { checkpoint, discarded } = resumableCheckpoint(dir, engine.threads);
    // with --sparse-kernels, a resumed unit keeps the step its checkpoint was computed with
    const recordKernels = (config.sparseKernels ?? 'off') !== 'off';
    if (recordKernels) engine.pinKernels(checkpoint ? checkpointKernels(dir) : undefined);
    if (discarded !== undefined)
      notify(
        this.reporter,
        `${unitLabel(unit)}: its checkpoint cannot be resumed (${discarded}); it was removed and the unit ` +
          'starts again from iteration 0 (same result as an uninterrupted run)',
      );
    if (checkpoint) info.resumedAt = checkpoint.iteration;
    this.reporter?.unitStart?.(info);
    const holding = () => {
      if (lease.lost) throw new LeaseLostError(key);
    };
    const gradual = gradualCallbackFor(config, unit, layers, ctx.theta0(), (e) =>
      notify(this.reporter, `${unitLabel(unit)}: ${describePruneEvent(e)}`),
    );
    const epochIterations = iterationsPerEpoch(this.data.train.count, config.batchSize);
    const earlyBird = unitEarlyBird(config, level, epochIterations);
    const points = snapshotPoints(config);
    const snapshots = points.length ? weightSnapshots(dir, points, holding) : undefined;
    const extraCallbacks = [
      ...(this.callbacks ? this.callbacks({ trial, level, condition }) : []),
      ...(gradual ? [gradual] : []),
      ...(earlyBird ? [earlyBird] : []),
      ...(snapshots ? [snapshots] : []),
    ];
    let result: TrainResult;
    try {
      result = await train(
        engine,
        this.data,
        this.sampler(trial, seed),
        {
          ...retrainingOf(config, level),
          evalEvery: config.evalEvery,
          rewindIteration: level === 0 && condition === 'ticket' ? config.rewindIteration : undefined,
          checkpointEvery: config.checkpointEvery,
          divergenceLoss: config.divergenceLoss,
        },
        {
          onProgress: (p) => {
            holding();
            this.reporter?.progress?.(info, p);
          },
          saveCheckpoint: (c) => {
            holding(); // never overwrite the checkpoint of the process that took the unit over
            saveCheckpoint(dir, c, engine.threads, recordKernels ? engine.kernelPath : undefined);
          },
          ...(extraCallbacks.length ? { callbacks: extraCallbacks } : {}),
        },
        checkpoint,
      );
    } catch (error) {
      if (error instanceof DivergedError && error.partial && lease.renew())
        return this.recordDiverged(unit, info, error, masks, files('masks.safetensors'));
      if (!(error instanceof LeaseLostError)) throw error;
      this.reporter?.leaseLost?.(info);
      return null;
    }
    // still ours? (a renewal also proves the file holds our token right now)
    if (!lease.renew()) {
      this.reporter?.leaseLost?.(info);
      return null;
    }
    const rewindPath = run.path(trialKey(trial), 'rewind.safetensors');
    if (result.rewind && !intact(rewindPath)) saveWeights(rewindPath, result.rewind);
    const finalSet = { weights: engine.getWeights(), buffers: engine.getBuffers() };
    saveWeights(`${dir}/final.safetensors`, finalSet);
    const earlyBirdStop = earlyBirdStopOf(earlyBird, result, earlyBirdStopAt(config, level));
    assertRewindReached(config, earlyBirdStop, result.rewind !== undefined);
    if (earlyBirdStop) saveWeights(`${dir}/${EARLY_BIRD_FILE}`, finalSet);
    saveWeights(`${dir}/best.safetensors`, result.best);
    // pruned during training: the unit's masks are the ones it ended with
    const unitMasks = gradual ? finalMasks(engine.getMasks(), layers) : masks;
    if (gradual) saveMasks(`${dir}/masks.safetensors`, unitMasks, layers);
    const levelResult = toLevelResult(config, unit, result, layers, unitMasks, engine.threads);
    levelResult.iterations = retrainingOf(config, level).iterations;
    if (recordKernels) levelResult.provenance!.kernels = engine.kernelPath;
    if (gradual)
      levelResult.gradual = {
        events: structuredClone([...gradual.events]),
        ...(gradual.resetEndAccuracy ? { resetEnd: gradual.resetEndAccuracy } : {}),
      };
    if (supermask) levelResult.supermask = supermask;
    if (beforeRetraining) levelResult.beforeRetraining = beforeRetraining;
    if (earlyBird) levelResult.earlyBird = earlyBird.record();
    if (earlyBirdStop) levelResult.earlyBirdStop = earlyBirdStop;
    if (snapshots) levelResult.snapshots = [...snapshots.saved];
    const finalWeights = engine.getWeights();
    levelResult.cost = {
      ...modelCost(engine.model, finalWeights),
      // the file `ticketlab export` writes for this unit (its smallest form) beside the dense one
      ...exportSizes(engine.model, finalWeights, engine.getBuffers(), unitMasks),
    };
    const collapse = collapsedToChance(result.curve, this.data.classes);
    if (collapse) {
      levelResult.state = 'collapsed';
      levelResult.collapse = collapse;
      notify(
        this.reporter,
        `${unitLabel(unit)} collapsed to chance: validation accuracy at most ` +
          `${(100 * collapse.validationAccuracy).toFixed(1)}% (chance ${(100 * collapse.chance).toFixed(1)}%) ` +
          `from iteration ${collapse.sinceIteration} to the end; it is recorded as collapsed. ${COLLAPSE_FIX}`,
      );
    }
    const unitFiles = files('masks.safetensors', 'final.safetensors', 'best.safetensors');
    if (result.rewind) unitFiles.push(relative(run.dir, rewindPath));
    unitFiles.push(...files(...(snapshots?.saved ?? []).map(snapshotFile)));
    if (earlyBirdStop) unitFiles.push(...files(EARLY_BIRD_FILE));
    run.markDone(key, levelResult, { threads: engine.threads, files: unitFiles });
    removeCheckpoint(dir);
    this.reporter?.unitEnd?.(info, levelResult);
    return levelResult;
  }

  /** Keeps a diverged unit: its curve up to the blow-up, recorded as diverged (never retried as is). */
  private recordDiverged(
    unit: PlannedUnit,
    info: UnitInfo,
    error: DivergedError,
    masks: Masks,
    files: string[],
  ): LevelResult {
    const levelResult = toLevelResult(
      this.config,
      unit,
      error.partial!,
      this.layers,
      masks,
      this.engine.threads,
    );
    levelResult.state = 'diverged';
    if ((this.config.sparseKernels ?? 'off') !== 'off')
      levelResult.provenance!.kernels = this.engine.kernelPath;
    levelResult.divergence = { iteration: error.iteration, loss: String(error.loss) };
    this.run.markDone(unit.key, levelResult, { threads: this.engine.threads, state: 'diverged', files });
    removeCheckpoint(this.run.path(unit.key));
    notify(this.reporter, `${unitLabel(unit)}: ${error.message}; recorded as diverged`);
    this.reporter?.unitEnd?.(info, levelResult);
    return levelResult;
  }
}

/** How a unit at `level` trains: level 0 and the usual resets the whole schedule, Renda's resets T − k steps. */
export function retrainingOf(config: LotteryConfig, level: number): Retraining {
  const retraining = level > 0 ? resets.get(config.reset).retraining : undefined;
  if (retraining) return retraining(config);
  const { iterations, learningRate, schedule } = config;
  return { iterations, learningRate, schedule, scheduleOffset: 0 };
}

function fractionKept(masks: Masks, layers: PrunableLayer[]): number {
  const kept = [...masks.values()].reduce((s, m) => s + m.reduce((a, b) => a + b, 0), 0);
  const total = layers.reduce((s, l) => s + l.shape.reduce((a, b) => a * b, 1), 0);
  return kept / total;
}

function toLevelResult(
  config: LotteryConfig,
  unit: PlannedUnit,
  r: TrainResult,
  layers: PrunableLayer[],
  masks: Masks,
  threads: number,
): LevelResult {
  const report = sparsityReport(layers, masks);
  const result: LevelResult = {
    trial: unit.trial,
    seed: unit.seed,
    level: unit.level,
    condition: unit.condition,
    fractionRemaining: report.totals.kept / report.totals.total,
    earlyStopIteration: r.earlyStopIteration,
    validationLossAtEarlyStop: r.validationLossAtEarlyStop,
    testAccuracyAtEarlyStop: r.testAccuracyAtEarlyStop,
    finalTestAccuracy: r.finalTestAccuracy,
    iterations: config.iterations,
    curve: r.curve,
    sparsity: report.rows.map((row) => ({
      layer: row.layer,
      kind: row.kind,
      total: row.total,
      kept: row.kept,
    })),
    // summed over resumes: the trainer adds the time its checkpoint carries
    wallSeconds: r.wallSeconds,
    provenance: { threads, ...versions() },
  };
  if (r.trainAccuracyAtEarlyStop !== undefined) result.trainAccuracyAtEarlyStop = r.trainAccuracyAtEarlyStop;
  if (r.finalTrainAccuracy !== undefined) result.finalTrainAccuracy = r.finalTrainAccuracy;
  return result;
}
