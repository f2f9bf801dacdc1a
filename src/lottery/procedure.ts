/**
 * The lottery procedure (Frankle & Carbin 2019, Section 2 and Appendix B "Strategy 1"):
 * for each trial, level 0 trains the dense network from θ₀; each following level prunes the lowest-
 * magnitude remaining weights of the previous level's trained network (iterative), or of level 0's
 * straight to the level's target (one-shot), resets the survivors (θ₀, θ_k, a fresh init, or not at
 * all), and trains again. Controls at each level: random re-initialization (same mask, fresh init) and
 * random pruning (a random mask with the same per-layer counts, same reset as the ticket).
 *
 * Each (trial, level, condition) is a unit of the run store: done units are skipped when a run is
 * started again, and a unit killed mid-training resumes from its last checkpoint.
 */
import { existsSync, rmSync } from 'node:fs';
import { cpus, platform, totalmem } from 'node:os';
import { createRequire } from 'node:module';
import type { TrainingEngine } from '../engine/engine.js';
import { initialValues } from '../engine/init.js';
import type { ParamDecl } from '../models/types.js';
import {
  type Masks,
  type PrunableLayer,
  type PruneSpec,
  fullMasks,
  pruneMasks,
  randomMasksLike,
  sparsityReport,
} from '../prune/index.js';
import { type Run, loadTensors, readJson, saveTensors, writeJsonAtomic } from '../store/index.js';
import type { TrainData } from '../train/data.js';
import { makeSampler } from '../train/data.js';
import { type TrainCheckpoint, type TrainProgress, type TrainResult, train } from '../train/trainer.js';
import { Rng } from '../util/rng.js';
import { type LotteryConfig, conditionsAt, trialSeed } from './config.js';
import { SUMMARY_FILE, type LevelResult, type RunSummary } from './summary.js';

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
}

export interface LotteryContext {
  config: LotteryConfig;
  run: Run;
  data: TrainData;
  engine: TrainingEngine;
  reporter?: LotteryReporter;
  /** Extra fields for summary.json (scale, stand-in labels). */
  labels?: Pick<RunSummary, 'scale' | 'standIn' | 'preset'>;
}

type WeightSet = { weights: Map<string, Float32Array>; buffers: Map<string, Float32Array> };

const pad2 = (n: number) => String(n).padStart(2, '0');
export const unitKey = (trial: number, level: number, condition: string) =>
  `trial-${trial}/level-${pad2(level)}/${condition}`;

export function prunableLayers(engine: TrainingEngine): PrunableLayer[] {
  const byName = new Map<string, ParamDecl>(engine.params.map((p) => [p.name, p]));
  return engine.maskedParams.map((name) => {
    const d = byName.get(name)!;
    return { name, kind: d.layerKind ?? 'fc', shape: d.shape };
  });
}

function saveWeights(path: string, set: WeightSet): void {
  const tensors = new Map<string, Float32Array>();
  for (const [k, v] of set.weights) tensors.set(k, v);
  for (const [k, v] of set.buffers) tensors.set(`buffer:${k}`, v);
  saveTensors(path, tensors);
}

function loadWeights(path: string): WeightSet {
  const weights = new Map<string, Float32Array>();
  const buffers = new Map<string, Float32Array>();
  for (const [k, v] of loadTensors(path)) {
    if (k.startsWith('buffer:')) buffers.set(k.slice(7), v as Float32Array);
    else weights.set(k, v as Float32Array);
  }
  return { weights, buffers };
}

function saveMasks(path: string, masks: Masks, layers: PrunableLayer[]): void {
  saveTensors(path, new Map(layers.map((l) => [l.name, { data: masks.get(l.name)!, shape: l.shape }])));
}

/** A fresh initialization (the random re-initialization control, or reset = reinit). */
function freshInit(engine: TrainingEngine, seed: number): WeightSet {
  return {
    weights: new Map(engine.params.map((p) => [p.name, initialValues(p, seed)])),
    buffers: new Map(
      engine.buffers.map((b) => [b.name, new Float32Array(b.shape.reduce((a, c) => a * c, 1)).fill(b.init)]),
    ),
  };
}

export function machineInfo(): RunSummary['machine'] {
  const require = createRequire(import.meta.url);
  let ortVersion = 'unknown';
  try {
    ortVersion = (require('onnxruntime-node/package.json') as { version: string }).version;
  } catch {
    // leave unknown
  }
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    onnxruntime: ortVersion,
    platform: `${platform()}-${process.arch}`,
  };
}

/** Level 0's trained ticket pruned in one round to this level's sparsity (the one-shot control). */
function oneShotMasks(
  config: LotteryConfig,
  run: Run,
  layers: PrunableLayer[],
  trial: number,
  level: number,
  seed: number,
): Masks {
  const { spec } = pruneSpecFor({ ...config, pruning: { ...config.pruning, schedule: 'one-shot' } }, level);
  const trained = loadWeights(run.path(unitKey(trial, 0, 'ticket'), 'final.safetensors'));
  return pruneMasks(layers, trained.weights, fullMasks(layers), {
    ...spec,
    seed: Rng.derive(seed, 'one-shot', level).uint32(),
  });
}

function pruneSpecFor(config: LotteryConfig, level: number): { spec: PruneSpec; fromFull: boolean } {
  const { rates } = config.pruning;
  if (config.pruning.schedule === 'one-shot') {
    // straight to the level's target: remaining (1-p)^level of each kind, from the dense network
    const oneShot = (p?: number) => (p === undefined ? undefined : 1 - (1 - p) ** level);
    return {
      spec: {
        strategy: config.pruning.strategy,
        scope: config.pruning.scope,
        rates: { fc: oneShot(rates.fc), conv: oneShot(rates.conv), output: oneShot(rates.output) },
        globalLayers: config.pruning.globalLayers,
      },
      fromFull: true,
    };
  }
  return {
    spec: {
      strategy: config.pruning.strategy,
      scope: config.pruning.scope,
      rates,
      globalLayers: config.pruning.globalLayers,
    },
    fromFull: false,
  };
}

export async function runLottery(ctx: LotteryContext): Promise<RunSummary> {
  const { config, run, engine, data } = ctx;
  const started = performance.now();
  const layers = prunableLayers(engine);
  let perTrial = 0;
  for (let level = 0; level <= config.levels; level++) perTrial += conditionsAt(config, level).length;
  const totalUnits = config.trials * perTrial;
  run.setPlanned(totalUnits);
  let index = 0;
  const previousWall = readWall(run);
  for (let trial = 0; trial < config.trials; trial++) {
    const seed = trialSeed(config, trial);
    const sampler = makeSampler(data, config.batchSize, Rng.derive(seed, 'data-order').uint32());
    const trialDir = run.unitDir(`trial-${trial}`);
    const initPath = `${trialDir}/init.safetensors`;
    engine.initialize(seed);
    const theta0: WeightSet = { weights: engine.getWeights(), buffers: engine.getBuffers() };
    if (!existsSync(initPath)) saveWeights(initPath, theta0);
    const rewindPath = `${trialDir}/rewind.safetensors`;
    let masks = fullMasks(layers);
    for (let level = 0; level <= config.levels; level++) {
      // the ticket's mask at this level
      if (level > 0) {
        const { spec, fromFull } = pruneSpecFor(config, level);
        const source = fromFull ? 0 : level - 1;
        const trained = loadWeights(run.path(unitKey(trial, source, 'ticket'), 'final.safetensors'));
        masks = pruneMasks(layers, trained.weights, fromFull ? fullMasks(layers) : masks, {
          ...spec,
          seed: Rng.derive(seed, 'prune', level).uint32(),
        });
      }
      for (const condition of conditionsAt(config, level)) {
        index++;
        const key = unitKey(trial, level, condition);
        const unitMasks =
          condition === 'random-prune'
            ? randomMasksLike(masks, Rng.derive(seed, 'random-prune', level))
            : condition === 'one-shot'
              ? oneShotMasks(config, run, layers, trial, level, seed)
              : masks;
        const kept = [...unitMasks.values()].reduce((s, m) => s + m.reduce((a, b) => a + b, 0), 0);
        const total = layers.reduce((s, l) => s + l.shape.reduce((a, b) => a * b, 1), 0);
        const info: UnitInfo = {
          trial,
          level,
          condition,
          fractionRemaining: kept / total,
          index,
          total: totalUnits,
        };
        if (run.isDone(key)) {
          ctx.reporter?.unitSkipped?.(info);
          continue;
        }
        const dir = run.unitDir(key);
        saveMasks(`${dir}/masks.safetensors`, unitMasks, layers);
        const start = startingWeights(config, condition, level, trial, seed, theta0, rewindPath, engine, run);
        await engine.setMasks(unitMasks);
        engine.setWeights(start.weights, start.buffers);
        engine.resetOptimizer();
        engine.setDropoutSeed(Rng.derive(seed, 'dropout', level, condition).uint32());
        const checkpoint = loadCheckpoint(dir, engine);
        if (checkpoint) info.resumedAt = checkpoint.iteration;
        ctx.reporter?.unitStart?.(info);
        const result = await train(
          engine,
          data,
          sampler,
          {
            iterations: config.iterations,
            learningRate: config.learningRate,
            schedule: config.schedule,
            evalEvery: config.evalEvery,
            rewindIteration: level === 0 && condition === 'ticket' ? config.rewindIteration : undefined,
            checkpointEvery: config.checkpointEvery,
            divergenceLoss: config.divergenceLoss,
          },
          {
            onProgress: (p) => ctx.reporter?.progress?.(info, p),
            saveCheckpoint: (c) => saveCheckpoint(dir, c),
          },
          checkpoint,
        );
        if (result.rewind && !existsSync(rewindPath)) saveWeights(rewindPath, result.rewind);
        saveWeights(`${dir}/final.safetensors`, {
          weights: engine.getWeights(),
          buffers: engine.getBuffers(),
        });
        saveWeights(`${dir}/best.safetensors`, result.best);
        const levelResult = toLevelResult(config, trial, seed, level, condition, result, layers, unitMasks);
        run.markDone(key, levelResult);
        removeCheckpoint(dir);
        ctx.reporter?.unitEnd?.(info, levelResult);
        writeSummary(ctx, previousWall + (performance.now() - started) / 1000);
      }
    }
  }
  return writeSummary(ctx, previousWall + (performance.now() - started) / 1000);
}

function startingWeights(
  config: LotteryConfig,
  condition: string,
  level: number,
  trial: number,
  seed: number,
  theta0: WeightSet,
  rewindPath: string,
  engine: TrainingEngine,
  run: Run,
): WeightSet {
  if (level === 0) return theta0;
  if (condition === 'random-reinit')
    return freshInit(engine, Rng.derive(seed, 'random-reinit', level).uint32());
  switch (config.reset) {
    case 'init':
      return theta0;
    case 'rewind':
      return loadWeights(rewindPath);
    case 'reinit':
      return freshInit(engine, Rng.derive(seed, 'reinit', level).uint32());
    case 'none': {
      const oneShot = config.pruning.schedule === 'one-shot' || condition === 'one-shot';
      return loadWeights(run.path(unitKey(trial, oneShot ? 0 : level - 1, 'ticket'), 'final.safetensors'));
    }
  }
}

function toLevelResult(
  config: LotteryConfig,
  trial: number,
  seed: number,
  level: number,
  condition: string,
  r: TrainResult,
  layers: PrunableLayer[],
  masks: Masks,
): LevelResult {
  const report = sparsityReport(layers, masks);
  const result: LevelResult = {
    trial,
    seed,
    level,
    condition,
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
    wallSeconds: r.wallSeconds,
  };
  if (r.trainAccuracyAtEarlyStop !== undefined) result.trainAccuracyAtEarlyStop = r.trainAccuracyAtEarlyStop;
  if (r.finalTrainAccuracy !== undefined) result.finalTrainAccuracy = r.finalTrainAccuracy;
  return result;
}

// ---------------------------------------------------------------------------------------------------
// checkpoints inside a unit

function saveCheckpoint(dir: string, c: TrainCheckpoint): void {
  const tensors = new Map<string, Float32Array>();
  for (const [k, v] of c.engine.tensors) tensors.set(`engine:${k}`, v);
  if (c.best)
    for (const [k, v] of [...c.best.weights, ...prefixed(c.best.buffers)]) tensors.set(`best:${k}`, v);
  if (c.rewind)
    for (const [k, v] of [...c.rewind.weights, ...prefixed(c.rewind.buffers)]) tensors.set(`rewind:${k}`, v);
  // tensors first, then the JSON that refers to them: a checkpoint.json always has its tensors
  saveTensors(`${dir}/checkpoint.safetensors`, tensors);
  writeJsonAtomic(`${dir}/checkpoint.json`, {
    iteration: c.iteration,
    elapsedSeconds: c.elapsedSeconds,
    step: c.engine.step,
    sampler: c.sampler,
    curve: c.curve,
    bestIteration: c.best?.iteration ?? null,
    hasRewind: c.rewind !== null,
  });
}

function prefixed(buffers: Map<string, Float32Array>): [string, Float32Array][] {
  return [...buffers].map(([k, v]) => [`buffer:${k}`, v]);
}

function loadCheckpoint(dir: string, engine: TrainingEngine): TrainCheckpoint | undefined {
  const jsonPath = `${dir}/checkpoint.json`;
  if (!existsSync(jsonPath)) return undefined;
  const meta = readJson(jsonPath) as {
    iteration: number;
    elapsedSeconds?: number;
    step: number;
    sampler: { epoch: number; index: number };
    curve: TrainCheckpoint['curve'];
    bestIteration: number | null;
    hasRewind: boolean;
  };
  const all = loadTensors(`${dir}/checkpoint.safetensors`);
  const group = (prefix: string): WeightSet => {
    const weights = new Map<string, Float32Array>();
    const buffers = new Map<string, Float32Array>();
    for (const [k, v] of all) {
      if (!k.startsWith(prefix)) continue;
      const name = k.slice(prefix.length);
      if (name.startsWith('buffer:')) buffers.set(name.slice(7), v as Float32Array);
      else weights.set(name, v as Float32Array);
    }
    return { weights, buffers };
  };
  const engineTensors = new Map<string, Float32Array>();
  for (const [k, v] of all) if (k.startsWith('engine:')) engineTensors.set(k.slice(7), v as Float32Array);
  void engine;
  return {
    iteration: meta.iteration,
    elapsedSeconds: meta.elapsedSeconds ?? 0,
    engine: { step: meta.step, tensors: engineTensors },
    sampler: meta.sampler,
    curve: meta.curve,
    best: meta.bestIteration === null ? null : { iteration: meta.bestIteration, ...group('best:') },
    rewind: meta.hasRewind ? group('rewind:') : null,
  };
}

function removeCheckpoint(dir: string): void {
  rmSync(`${dir}/checkpoint.json`, { force: true });
  rmSync(`${dir}/checkpoint.safetensors`, { force: true });
}

// ---------------------------------------------------------------------------------------------------
// summary

function readWall(run: Run): number {
  const path = run.path(SUMMARY_FILE);
  if (!existsSync(path)) return 0;
  try {
    return (readJson(path) as RunSummary).wallSeconds ?? 0;
  } catch {
    return 0;
  }
}

export function collectResults(run: Run): LevelResult[] {
  return run
    .doneKeys()
    .filter((k) => k.startsWith('trial-'))
    .map((k) => run.result<LevelResult>(k)!)
    .sort((a, b) => a.trial - b.trial || a.level - b.level || a.condition.localeCompare(b.condition));
}

function writeSummary(ctx: LotteryContext, wallSeconds: number): RunSummary {
  const { run, config } = ctx;
  const summary: RunSummary = {
    name: run.name,
    dir: run.dir,
    hash: run.hash,
    createdAt: run.createdAt,
    config: config as unknown as Record<string, unknown>,
    model: config.model,
    dataset: config.dataset,
    ...ctx.labels,
    // float sums are ordered by thread: metrics are bit-identical only at the same thread count
    machine: { ...machineInfo(), threads: ctx.engine.threads },
    wallSeconds,
    results: collectResults(run),
  };
  writeJsonAtomic(run.path(SUMMARY_FILE), summary);
  return summary;
}
