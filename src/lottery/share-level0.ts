/**
 * Level-0 sharing between runs (as OpenLTH shares the pretrained network between branches): runs that
 * differ only in how they prune (a preset's criteria, densities, retraining methods) all train the same
 * dense level 0. Before training a trial's level 0, a run looks in its runs directory for another run
 * with the same level-0 key (./level0-key.ts) whose level 0 of that trial is done, intact, and was
 * computed with the same thread count and versions; it copies that unit's files (the weights, masks
 * and θ_k the later levels read), each verified against the checksum the source recorded and moved
 * into place atomically, then records the unit with the source's result and, in its provenance, the
 * run it was copied from and the key. θ₀ is not copied but drawn from the run's seed (as a unit that
 * trains saves it; cheap, and nothing to trust), and snip/grad's gradient at θ₀ is computed when a
 * level ≥ 1 needs it, as always.
 *
 * A source whose level 0 is still being trained by another process is not waited for: this run trains
 * its own (the same result). Waiting would tie this run's progress to another run's holder, which may
 * be slow or dead, for at most one level 0 of work saved.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  type Lease,
  type Run,
  RunStore,
  type UnitRecord,
  readJson,
  readTensorFile,
  writeFileAtomic,
} from '../store/index.js';
import { versions } from '../util/versions.js';
import { type LotteryConfig, lotteryConfigSchema } from './config.js';
import { level0KeyHash } from './level0-key.js';
import type { PlannedUnit } from './plan.js';
import { type LevelResult, levelResultSchema } from './summary.js';
import { type WeightSet, trialKey } from './types.js';
import { type LotteryReporter, notify, unitLabel } from './units.js';
import { intact, removeCheckpoint, saveWeights } from './weights-io.js';

/** Where a shared unit came from (its result's provenance.sharedFrom). */
export interface SharedFrom {
  /** The source run's directory name, in the same runs directory. */
  run: string;
  /** The level-0 key's hash both runs have. */
  level0Key: string;
}

export interface ShareRequest {
  run: Run;
  config: LotteryConfig;
  unit: PlannedUnit;
  /** The thread count this process trains with: the source must have computed its unit with it. */
  threads: number;
  lease: Lease;
  /** The trial's θ₀ (UnitWorker.theta0), saved beside the copy as a trained unit saves it. */
  theta0: () => WeightSet;
  reporter?: LotteryReporter;
}

/**
 * Copies `unit` (a level-0 ticket) from a matching run and records it: its result, or null when no
 * run has a usable level 0 for it (the caller trains it) or the lease was lost meanwhile.
 */
export function adoptSharedLevel0(req: ShareRequest): LevelResult | null {
  const { run, config, unit } = req;
  if (!mayShareLevel0(config, unit)) return null;
  const key = level0KeyHash(config);
  const rejected: string[] = [];
  for (const dir of matchingRuns(run.dir, key)) {
    const why = tryCopy(req, dir, key);
    if (why === undefined) {
      notify(
        req.reporter,
        `${unitLabel(unit)}: copied from run ${basename(dir)} (same level-0 settings, key ${key}); ` +
          '--no-share-level0 trains it here',
      );
      return run.result<LevelResult>(unit.key) ?? null;
    }
    if (why === LOST) return null;
    if (why) rejected.push(`${basename(dir)} ${why}`);
  }
  if (rejected.length > 0)
    notify(req.reporter, `${unitLabel(unit)}: trained here, not copied: ${rejected.join('; ')}`);
  return null;
}

const LOST = 'the lease was lost';

/** Whether `unit` of a run of `config` is one level-0 sharing may copy rather than train. */
export function mayShareLevel0(
  config: LotteryConfig,
  unit: Pick<PlannedUnit, 'level' | 'condition'>,
): boolean {
  if (!config.shareLevel0 || unit.level !== 0 || unit.condition !== 'ticket') return false;
  // auto picks kernels by a crossover measured per machine: another host's choice may differ
  return (config.sparseKernels ?? 'off') !== 'auto';
}

/**
 * The run `unit` would be copied from now (read-only: nothing is copied or created), for a run whose
 * directory is (or will be) `runDir`; undefined when it would be trained (see adoptSharedLevel0).
 */
export function level0SourceOf(
  runDir: string,
  config: LotteryConfig,
  unit: Pick<PlannedUnit, 'key' | 'trial' | 'level' | 'condition'>,
  threads: number,
): string | undefined {
  if (!mayShareLevel0(config, unit) || !existsSync(dirname(runDir))) return undefined;
  for (const dir of matchingRuns(runDir, level0KeyHash(config)))
    if (typeof usableSource(dir, unit, threads) !== 'string') return dir;
  return undefined;
}

/** The other runs in the runs directory of `runDir` whose level-0 key is `key`, by name. */
export function matchingRuns(runDir: string, key: string): string[] {
  const root = dirname(runDir);
  const out: string[] = [];
  for (const e of readdirSync(root, { withFileTypes: true })) {
    const dir = join(root, e.name);
    if (!e.isDirectory() || e.name.startsWith('.') || dir === runDir) continue;
    if (!existsSync(join(dir, 'config.json'))) continue;
    try {
      const stored = lotteryConfigSchema.safeParse(readJson(join(dir, 'config.json')));
      if (stored.success && level0KeyHash(stored.data) === key) out.push(dir);
    } catch {
      // unreadable, or made with a model or dataset not registered here: not a source
    }
  }
  return out.sort();
}

/**
 * Copies the unit from the run in `dir` and records it. Undefined: copied; '' : that run has no level 0
 * of this trial yet (nothing to say); LOST; else why that run's unit cannot be used.
 */
function tryCopy(req: ShareRequest, dir: string, key: string): string | undefined {
  const { run, unit, threads, lease } = req;
  const usable = usableSource(dir, unit, threads);
  if (typeof usable === 'string') return usable;
  const { source, record, files } = usable;
  try {
    for (const [rel, checksum] of Object.entries(files))
      copyVerified(source.path(rel), run.path(rel), checksum);
  } catch (error) {
    return `could not be copied (${(error as Error).message})`;
  }
  const initPath = run.path(trialKey(unit.trial), 'init.safetensors');
  if (!intact(initPath)) saveWeights(initPath, req.theta0());
  if (!lease.renew()) return LOST;
  const from: SharedFrom = { run: basename(dir), level0Key: key };
  const result = record.result as { provenance?: Record<string, unknown> };
  run.markDone(
    unit.key,
    { ...result, provenance: { ...result.provenance, sharedFrom: from } },
    { threads, files: Object.keys(files) },
  );
  removeCheckpoint(run.path(unit.key)); // a checkpoint of an earlier attempt at the unit is moot now
  return undefined;
}

/**
 * The run in `dir`, its record of `unit` and the unit's files when that unit can be copied: done,
 * intact, computed with `threads` and these versions, its files inside the trial. Else why not ('' :
 * that run has no level 0 of this trial yet, nothing to say). Reads only.
 */
function usableSource(
  dir: string,
  unit: Pick<PlannedUnit, 'key' | 'trial'>,
  threads: number,
): string | { source: Run; record: UnitRecord; files: Record<string, string> } {
  let source: Run;
  try {
    source = new RunStore({ root: dirname(dir) }).loadRun(dir);
  } catch {
    return 'cannot be read';
  }
  const state = source.unitState(unit.key);
  if (state === 'running') return 'is training its level 0 now (another process)';
  if (state !== 'done') return '';
  const check = source.checkUnit(unit.key);
  if (check.problems.length > 0) return `has a damaged level 0 (${check.problems.join('; ')})`;
  const record = source.unitRecord(unit.key)!;
  if (record.threads !== threads)
    return `computed its level 0 with ${record.threads ?? 'unrecorded'} thread(s), this run uses ${threads}`;
  const parsed = levelResultSchema.safeParse(record.result);
  if (!parsed.success) return 'has a level-0 result this version cannot read';
  const now = versions();
  const then = parsed.data.provenance;
  if (then?.ticketlab !== now.ticketlab || then.onnxruntime !== now.onnxruntime)
    return `computed its level 0 with other versions (ticketlab ${then?.ticketlab}, onnxruntime ${then?.onnxruntime})`;
  const files = record.files;
  if (!files) return 'recorded no checksums for its level 0 (an earlier version)';
  const trialDir = `${trialKey(unit.trial)}/`;
  if (!Object.keys(files).every((rel) => rel.startsWith(trialDir)))
    return 'lists files of its level 0 outside the trial';
  return { source, record, files };
}

/** Copies a tensor file atomically, refusing a copy whose data does not have `checksum`. */
function copyVerified(from: string, to: string, checksum: string): void {
  writeFileAtomic(to, readFileSync(from), {
    verify: (written) => {
      if (readTensorFile(written).checksum !== checksum)
        throw new Error(`${basename(from)} is not the file the unit recorded (checksum)`);
    },
  });
}
