/**
 * `ticketlab reproduce --dry-run`: what a preset's invocation would do, unit by unit, without doing it.
 * The run store is only read (peekRun, never openRun: no directory, lease or file is created). Each
 * decision is the real run's own: a unit is done when UnitChecks.usable says so (the procedure skips
 * it), a level 0 is copied when level0SourceOf finds a run it could be copied from (adoptSharedLevel0),
 * a unit is blocked when one it depends on diverged. Runs of the same invocation count as well: a run
 * listed earlier will have trained its level 0 by the time a later run with the same level-0 key gets
 * there, so that later level 0 is copied; a slim-retrain run whose source unit is not trained yet
 * will be trained (its directory is named by the channels it keeps, known only then).
 */
import { basename, join } from 'node:path';
import type { LotteryConfig } from '../lottery/config.js';
import { UnitChecks } from '../lottery/integrity.js';
import { level0KeyHash } from '../lottery/level0-key.js';
import { buildPlan } from '../lottery/plan.js';
import { resolveConfig, runIdentity } from '../lottery/resolve.js';
import { level0SourceOf, mayShareLevel0 } from '../lottery/share-level0.js';
import type { LevelResult } from '../lottery/summary.js';
import { unitKey } from '../lottery/types.js';
import { peekCheckpoint } from '../lottery/weights-io.js';
import { type Run, RunStore, defaultRunsRoot } from '../store/index.js';
import { checkStoredSettings, threadsFor } from './execute.js';
import { SUPERMASK_UNIT, supermaskIdentity } from './learned-supermask.js';
import type { PresetRun, SlimRetrainPresetRun } from './preset-types.js';
import { missingWeights } from './run-preset.js';
import { readBackUnit } from './single-unit-run.js';
import { SLIM_RETRAIN_UNIT, peekSlimRetrainRun, prepareSlimRetrain } from './slim-retrain.js';
import type { SupermaskPresetRun } from './supermask-preset.js';

/** What the invocation would do with a unit. */
export type UnitFate = 'done' | 'train' | 'copy' | 'blocked' | 'skip';

export interface DryRunUnit {
  key: string;
  fate: UnitFate;
  /** copy: the run directory (name) it would be copied from. */
  from?: string;
  /** train: the iteration of the checkpoint it resumes from (an interrupted unit). */
  resumesAt?: number;
  /** train: a live process holds the unit's lease now ("pid 123 on host"); the real run waits for it. */
  heldBy?: string;
  /** train: what the real run will do that the user may not expect (a checkpoint it refuses or discards). */
  note?: string;
}

export interface DryRunRun {
  kind: 'lottery' | 'slim-retrain' | 'supermask';
  name: string;
  /** Its run directory; absent for a slim-retrain run whose source unit is not trained yet. */
  dir?: string;
  /** The directory exists already. */
  exists: boolean;
  units: DryRunUnit[];
  /** Why it would be skipped, or what its directory waits for. */
  note?: string;
}

export type DryRunCounts = Record<UnitFate, number> & { units: number };

export interface PresetDryRun {
  runs: DryRunRun[];
  total: DryRunCounts;
}

export interface DryRunOptions {
  runsDir?: string;
  /** As given to the real invocation (threads decide which level 0 can be copied). */
  threads?: number;
  /** false: --no-share-level0. */
  shareLevel0?: boolean | null;
}

/** How many units of each fate (and in all). */
export function countFates(units: readonly DryRunUnit[]): DryRunCounts {
  const c: DryRunCounts = { units: units.length, done: 0, train: 0, copy: 0, blocked: 0, skip: 0 };
  for (const u of units) c[u.fate]++;
  return c;
}

/** A level 0 an earlier run of the invocation will hold: where, and computed with how many threads. */
interface PlannedLevel0 {
  dir: string;
  threads: number;
}

const level0Slot = (config: LotteryConfig, trial: number) => `${level0KeyHash(config)}/${trial}`;

interface LotteryDryRun extends DryRunRun {
  run?: Run;
  config: LotteryConfig;
}

/** The preset's lottery runs, then its slim-retrain runs, as runPreset would go through them. */
export function dryRunPreset(
  runs: readonly PresetRun[],
  slimRuns: readonly SlimRetrainPresetRun[],
  opts: DryRunOptions = {},
): PresetDryRun {
  const store = new RunStore({ root: opts.runsDir });
  const level0s = new Map<string, PlannedLevel0[]>(); // level-0 key and trial → runs that will hold it
  const lottery: LotteryDryRun[] = [];
  for (const r of runs) {
    const config = resolveConfig(
      opts.shareLevel0 === false ? { ...r.request, shareLevel0: false } : r.request,
    );
    const identity = runIdentity(config);
    const dir = store.dirOf(r.name, identity);
    const run = store.peekRun(r.name, identity);
    if (run) checkStoredSettings(run, config); // the real run refuses it: so does its dry run
    const threads = threadsFor(run, config, opts.threads).threads;
    const checks = run ? new UnitChecks(run) : undefined;
    // the same directory listed earlier in this invocation: its units are done by then
    const earlier = lottery.find((l) => l.dir === dir);
    const fates = new Map<string, UnitFate>();
    const units: DryRunUnit[] = [];
    for (const u of buildPlan(config).units) {
      let unit: DryRunUnit = { key: u.key, fate: 'train' };
      if (checks?.usable(u.key) || earlier?.units.some((e) => e.key === u.key && e.fate !== 'blocked'))
        unit.fate = 'done';
      else if (u.dependsOn.some((k) => fates.get(k) === 'blocked' || checks?.diverged(k)))
        unit.fate = 'blocked';
      else if (mayShareLevel0(config, u)) {
        const from =
          level0SourceOf(dir, config, u, threads) ??
          level0s.get(level0Slot(config, u.trial))?.find((p) => p.dir !== dir && p.threads === threads)?.dir;
        if (from) unit = { ...unit, fate: 'copy', from: basename(from) };
      }
      // once this run is through, its level 0 is there for the runs after it to copy
      if (u.level === 0 && u.condition === 'ticket' && unit.fate !== 'blocked') {
        const slot = level0Slot(config, u.trial);
        level0s.set(slot, [...(level0s.get(slot) ?? []), { dir, threads }]);
      }
      fates.set(u.key, unit.fate);
      units.push(run && unit.fate === 'train' ? { ...unit, ...inProgress(run, u.key, threads) } : unit);
    }
    lottery.push({ kind: 'lottery', name: r.name, dir, exists: run !== undefined, units, run, config });
  }
  const slim = slimRuns.map((s) => dryRunSlim(s, runs, lottery, opts));
  const all: DryRunRun[] = [...lottery.map(({ run: _r, config: _c, ...rest }) => rest), ...dedupeSlim(slim)];
  return { runs: all, total: countFates(all.flatMap((r) => r.units)) };
}

/** What an unfinished unit of an existing run holds: a checkpoint to resume, a live process on it. */
function inProgress(run: Run, key: string, threads: number): Partial<DryRunUnit> {
  const out: Partial<DryRunUnit> = {};
  const lease = run.leaseState(key);
  if (lease.state === 'held' && lease.info) out.heldBy = `pid ${lease.info.pid} on ${lease.info.hostname}`;
  const checkpoint = peekCheckpoint(run.unitDir(key));
  if (checkpoint === 'damaged') out.note = 'its checkpoint is unreadable: it starts again from iteration 0';
  else if (checkpoint?.threads !== undefined && checkpoint.threads !== threads)
    out.note =
      `its checkpoint at iteration ${checkpoint.iteration} was computed with ${checkpoint.threads} ` +
      `threads: the run stops there unless given --threads ${checkpoint.threads}`;
  else if (checkpoint) out.resumesAt = checkpoint.iteration;
  return out;
}

/** A slim-retrain run listed twice (same directory) trains once: the second is done by then. */
function dedupeSlim(slim: DryRunRun[]): DryRunRun[] {
  const seen = new Set<string>();
  return slim.map((r) => {
    if (!r.dir) return r;
    const again = seen.has(r.dir);
    seen.add(r.dir);
    return again ? { ...r, units: r.units.map((u) => ({ ...u, fate: 'done' as const })) } : r;
  });
}

function dryRunSlim(
  s: SlimRetrainPresetRun,
  runs: readonly PresetRun[],
  lottery: readonly LotteryDryRun[],
  opts: DryRunOptions,
): DryRunRun {
  const source = lottery[runs.findIndex((x) => x.name === s.source)];
  if (!source)
    throw new Error(`slim-retrain run ${s.name}: its source ${s.source} is not among the preset's runs`);
  const key = unitKey(s.request.trial ?? 0, s.request.level ?? 0, s.request.condition ?? 'ticket');
  const sourceUnit = source.units.find((u) => u.key === key);
  const unit = (fate: UnitFate): DryRunUnit[] => [{ key: SLIM_RETRAIN_UNIT, fate }];
  if (sourceUnit?.fate !== 'done' || !source.run?.isDone(key)) {
    const earlyBird = s.request.weights === 'early-bird' ? ', if the Early-Bird detector fires' : '';
    return {
      kind: 'slim-retrain',
      name: s.name,
      exists: false,
      units: unit(sourceUnit?.fate === 'blocked' ? 'blocked' : 'train'),
      note: `after ${key} of ${source.name}${earlyBird}; its directory is named by the channels it keeps`,
    };
  }
  const result = source.run.result<LevelResult>(key);
  const skipped = missingWeights(
    { name: source.name, config: source.config, results: result ? [result] : [] },
    s.request,
  );
  if (skipped)
    return { kind: 'slim-retrain', name: s.name, exists: false, units: unit('skip'), note: skipped };
  const { config } = prepareSlimRetrain({
    ...s.request,
    runDir: source.run.dir,
    runsDir: opts.runsDir,
    training: { ...s.request.training },
  });
  const peek = peekSlimRetrainRun(opts.runsDir, config);
  const done = peek.run !== undefined && readBackUnit(peek.run, SLIM_RETRAIN_UNIT) !== undefined;
  return {
    kind: 'slim-retrain',
    name: s.name,
    dir: peek.dir,
    exists: peek.run !== undefined,
    units: unit(done ? 'done' : 'train'),
  };
}

/** The learned-supermask preset's runs (one unit each), as reproduceSupermask would go through them. */
export function dryRunSupermask(runs: readonly SupermaskPresetRun[], runsDir?: string): PresetDryRun {
  const store = new RunStore({ root: join(defaultRunsRoot(runsDir), 'supermask') });
  const out: DryRunRun[] = [];
  for (const r of runs) {
    const config = resolveConfig(r.request);
    const name = `${config.model}-${config.dataset}`;
    const identity = supermaskIdentity(config, r.settings);
    const dir = store.dirOf(name, identity);
    const run = store.peekRun(name, identity);
    const done =
      (run !== undefined && readBackUnit(run, SUPERMASK_UNIT) !== undefined) ||
      out.some((o) => o.dir === dir);
    out.push({
      kind: 'supermask',
      name: `${r.variant}, seed ${config.seed}`,
      dir,
      exists: run !== undefined,
      units: [{ key: SUPERMASK_UNIT, fate: done ? 'done' : 'train' }],
    });
  }
  return { runs: out, total: countFates(out.flatMap((r) => r.units)) };
}
