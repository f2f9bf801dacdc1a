/**
 * summary.json, written the one way: by the lottery procedure after each unit it trains, and by a
 * sweep's unit process after each unit it trains (sweep/unit-runner.ts). The machine is this
 * process's when it trained a unit, the threads and versions are the units' own (their provenance),
 * listed when they differ — so a run whose units ran at different thread counts says so, however they
 * were trained.
 */
import { existsSync } from 'node:fs';
import { cpus, platform, totalmem } from 'node:os';
import { type Run, readJson, writeJsonAtomic } from '../store/index.js';
import { versions } from '../util/versions.js';
import type { LotteryConfig } from './config.js';
import { SUMMARY_FILE, type LevelResult, type RunSummary, trainedByItsRun } from './summary.js';
import { unitKey } from './types.js';

/** This process's machine and versions. */
export function machineInfo(): RunSummary['machine'] {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    onnxruntime: versions().onnxruntime,
    platform: `${platform()}-${process.arch}`,
  };
}

/** The machine recorded by the run's previous summary, if it has a readable one. */
function previousMachine(run: Run): RunSummary['machine'] | undefined {
  const path = run.path(SUMMARY_FILE);
  if (!existsSync(path)) return undefined;
  try {
    return (readJson(path) as RunSummary).machine;
  } catch {
    return undefined;
  }
}

/** One value, or the distinct values sorted when the units differ. */
function oneOrAll<T extends number | string>(values: T[]): T | T[] | undefined {
  const distinct = [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return distinct.length <= 1 ? distinct[0] : distinct;
}

/**
 * The summary's machine: this process's when it trained a unit, else the one recorded before (a
 * rerun that skips everything rewrites nothing); threads and versions are the units' own, all of
 * them listed when they differ.
 */
function runMachine(run: Run, results: LevelResult[], trainedHere: boolean): RunSummary['machine'] {
  const machine = (!trainedHere && previousMachine(run)) || machineInfo();
  const threads = oneOrAll(
    results.flatMap((r) => {
      const t = r.provenance?.threads ?? run.unitRecord(unitKey(r.trial, r.level, r.condition))?.threads;
      return t === undefined ? [] : [t];
    }),
  );
  const known = results.flatMap((r) => (r.provenance ? [r.provenance] : []));
  const ticketlab = oneOrAll(known.map((p) => p.ticketlab));
  const onnxruntime = oneOrAll(known.map((p) => p.onnxruntime));
  return {
    ...machine,
    ...(threads === undefined ? {} : { threads }),
    ...(ticketlab === undefined ? {} : { ticketlab: [ticketlab].flat().join(', ') }),
    ...(onnxruntime === undefined ? {} : { onnxruntime: [onnxruntime].flat().join(', ') }),
  };
}

/** Every done unit of the run (of any invocation), by trial, level and condition. */
export function collectResults(run: Run): LevelResult[] {
  return run
    .doneKeys()
    .filter((k) => k.startsWith('trial-'))
    .map((k) => run.result<LevelResult>(k)!)
    .sort((a, b) => a.trial - b.trial || a.level - b.level || a.condition.localeCompare(b.condition));
}

export interface SummaryOptions {
  /** Whether this process trained a unit (then the machine recorded is this one). */
  trainedHere: boolean;
  /** Extra fields for summary.json (scale, stand-in labels, preset). */
  labels?: Pick<RunSummary, 'scale' | 'standIn' | 'preset'>;
}

/**
 * Writes summary.json: `config` and the results of the units in `planned` (keys of the invocation's
 * plan), their summed wall time, and the machine, threads and versions they ran with (see runMachine).
 */
export function writeRunSummary(
  run: Run,
  config: LotteryConfig,
  planned: { has(key: string): boolean },
  opts: SummaryOptions,
): RunSummary {
  const results = collectResults(run).filter((r) => planned.has(unitKey(r.trial, r.level, r.condition)));
  const summary: RunSummary = {
    name: run.name,
    dir: run.dir,
    hash: run.hash,
    createdAt: run.createdAt,
    config: config as unknown as Record<string, unknown>,
    model: config.model,
    dataset: config.dataset,
    ...opts.labels,
    // float sums are ordered by thread: metrics are bit-identical only at the same thread count
    machine: runMachine(run, results, opts.trainedHere),
    wallSeconds: results.filter(trainedByItsRun).reduce((sum, r) => sum + r.wallSeconds, 0),
    results,
  };
  writeJsonAtomic(run.path(SUMMARY_FILE), summary);
  return summary;
}
