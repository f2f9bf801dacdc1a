/**
 * Which runs and units belong to a sweep: `sweep run` (local or queued, and `reproduce` of a sweep
 * preset) writes a small manifest, <runs>/sweeps/<name>-<hash>.json — the spec, each run directory
 * with its axis values and unit keys, when the sweep was first and last started and last finished,
 * and the units the local scheduler gave up on (a worker that died leaves no failed.json in the
 * store). It is written atomically (the store's helper) and rewritten at every start, final failure
 * and end. The run store stays the truth for progress: a manifest only says what to count
 * (sweepUnitCounts), so a sweep's progress is live whoever trains its units.
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { z } from 'zod';
import { type Run, RunStore, hashConfig, readJson, writeJsonAtomic } from '../store/index.js';
import type { SweepPlan } from './plan.js';

export const SWEEPS_DIR = 'sweeps';
export const MANIFEST_FORMAT = 1;

const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  /** `<name>-<hash>`: the file's name without .json. */
  id: z.string(),
  name: z.string(),
  /** Hash of the spec (after defaults): the same spec is the same sweep, wherever its file is. */
  hash: z.string(),
  /** The spec file as given (or the preset command that made the spec). */
  source: z.string(),
  spec: z.unknown(),
  createdAt: z.string(),
  startedAt: z.string(),
  /** When the last invocation ended; null while one runs (or after one was killed). */
  finishedAt: z.string().nullable(),
  mode: z.enum(['local', 'queue']),
  runs: z.array(
    z.object({
      /** The run directory's name under the runs root. */
      dir: z.string(),
      index: z.number(),
      values: z.record(z.string(), z.unknown()),
      units: z.array(z.string()),
    }),
  ),
  /** Units the last local invocation gave up on, with the error. */
  failed: z.array(z.object({ dir: z.string(), key: z.string(), error: z.string(), at: z.string() })),
});
export type SweepManifest = z.infer<typeof manifestSchema>;

const safeName = (text: string) =>
  text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'sweep';

/** The sweep's name (its spec's `name`, else the spec file's name) and its spec's hash. */
export function sweepIdentity(plan: SweepPlan): { id: string; name: string; hash: string } {
  const { spec, source } = plan.sweep;
  const name = safeName(spec.name ?? basename(source, extname(source)));
  const hash = hashConfig(spec);
  return { id: `${name}-${hash}`, name, hash };
}

export function manifestPath(root: string, id: string): string {
  return join(root, SWEEPS_DIR, `${id}.json`);
}

function readManifest(path: string): SweepManifest | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return readJson(path, manifestSchema);
  } catch {
    return undefined; // damaged: the next write replaces it
  }
}

/** Records that the sweep of `plan` starts (again): its runs and units; failures of earlier invocations are kept. */
export function recordSweepStart(plan: SweepPlan, mode: SweepManifest['mode']): SweepManifest {
  const { id, name, hash } = sweepIdentity(plan);
  const path = manifestPath(plan.root, id);
  const before = readManifest(path);
  const now = new Date().toISOString();
  const manifest: SweepManifest = {
    format: MANIFEST_FORMAT,
    id,
    name,
    hash,
    source: plan.sweep.source,
    spec: plan.sweep.spec,
    createdAt: before?.createdAt ?? now,
    startedAt: now,
    finishedAt: null,
    mode,
    runs: plan.runs.map((r) => ({
      dir: r.dirName,
      index: r.point.index,
      values: r.point.values,
      units: r.units.map((u) => u.unit.key),
    })),
    failed: before?.failed ?? [],
  };
  writeJsonAtomic(path, manifest);
  return manifest;
}

/** Records a unit the scheduler gave up on (replacing an earlier failure of the same unit). */
export function recordSweepFailure(
  root: string,
  manifest: SweepManifest,
  failure: { dir: string; key: string; error: string },
): void {
  manifest.failed = [
    ...manifest.failed.filter((f) => f.dir !== failure.dir || f.key !== failure.key),
    { ...failure, at: new Date().toISOString() },
  ];
  writeJsonAtomic(manifestPath(root, manifest.id), manifest);
}

/** Records the end of an invocation; units done now are no longer listed as failed. */
export function recordSweepEnd(root: string, manifest: SweepManifest): void {
  const stateOf = stateReader(new RunStore({ root }));
  manifest.failed = manifest.failed.filter((f) => stateOf(f.dir, f.key) !== 'done');
  manifest.finishedAt = new Date().toISOString();
  writeJsonAtomic(manifestPath(root, manifest.id), manifest);
}

/** Every readable sweep manifest under the runs root, oldest first. */
export function listSweepManifests(root?: string): SweepManifest[] {
  const dir = join(new RunStore({ root }).root, SWEEPS_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
    .flatMap((f) => readManifest(join(dir, f)) ?? [])
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
}

export interface SweepUnitCounts {
  total: number;
  /** Finished (diverged units included: they have their result). */
  done: number;
  /** Held by a live process now. */
  running: number;
  /** failed.json in the store, or given up on by the sweep's last invocation (and not done since). */
  failed: number;
  /** Not started, or interrupted (resumable). */
  pending: number;
}

type CountedState = 'done' | 'running' | 'failed' | 'pending';

/** A unit's state by run directory and key; runs are opened once (read-only) per reader. */
function stateReader(store: RunStore): (dir: string, key: string) => CountedState {
  const runs = new Map<string, Run | null>();
  const open = (dir: string): Run | null => {
    if (!runs.has(dir)) {
      let run: Run | null = null;
      try {
        if (existsSync(join(store.root, dir, 'config.json'))) run = store.loadRun(dir);
      } catch {
        run = null; // a damaged run: `runs verify` names it
      }
      runs.set(dir, run);
    }
    return runs.get(dir)!;
  };
  return (dir, key) => {
    const state = open(dir)?.unitState(key) ?? 'pending';
    if (state === 'done' || state === 'diverged') return 'done';
    if (state === 'running' || state === 'failed') return state;
    return 'pending';
  };
}

/** Where the sweep's units stand now, read from the run store (and the manifest's failures). */
export function sweepUnitCounts(root: string | undefined, manifest: SweepManifest): SweepUnitCounts {
  const stateOf = stateReader(new RunStore({ root }));
  const gaveUp = new Set(manifest.failed.map((f) => `${f.dir}/${f.key}`));
  const counts: SweepUnitCounts = { total: 0, done: 0, running: 0, failed: 0, pending: 0 };
  for (const run of manifest.runs) {
    for (const key of run.units) {
      counts.total++;
      let state = stateOf(run.dir, key);
      if (state === 'pending' && gaveUp.has(`${run.dir}/${key}`)) state = 'failed';
      counts[state]++;
    }
  }
  return counts;
}
