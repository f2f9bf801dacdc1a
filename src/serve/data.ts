/**
 * What the dashboard shows, read from the run store: the runs with their progress, the sweeps that
 * were run (their manifests, src/sweep/manifest.ts) with their units' progress, one row per
 * finished unit (src/sweep/table.ts), and one run in detail — its settings, every unit's state (and
 * error, if it failed), each finished unit's curve, early stop, accuracies, fraction remaining,
 * per-layer sparsity and provenance. The server answers these as JSON; the static export embeds them.
 */
import { existsSync, statSync } from 'node:fs';
import { listRuns, RunStore, type UnitState } from '../store/index.js';
import { runStatus } from '../lottery/status.js';
import { findMasks, imageShapeFor, loadFirstLayerMask, maskHeatmap } from '../report/masks.js';
import type { LevelResult } from '../lottery/summary.js';
import { unitRows, type Row } from '../sweep/table.js';
import { listSweepManifests, sweepUnitCounts, type SweepUnitCounts } from '../sweep/manifest.js';
import { UserError } from '../util/errors.js';

export interface RunListing {
  /** The run's directory name, `<name>-<hash>`: the key of its detail and of rows' `run` column. */
  dir: string;
  name: string;
  hash: string;
  createdAt: string | null;
  done: number;
  planned: number | null;
  states: Record<UnitState, number>;
  active: boolean;
  problem: string | null;
}

/** A sweep that was run (its manifest, <runs>/sweeps/) with its units' progress now. */
export interface SweepListing {
  /** `<name>-<hash of the spec>`: the manifest's name. */
  id: string;
  name: string;
  source: string;
  mode: 'local' | 'queue';
  createdAt: string;
  startedAt: string;
  finishedAt: string | null;
  /** Its run directories (keys of RunListing.dir and of rows' `run` column). */
  runs: string[];
  /** Its units, `<run dir>/<unit key>`: a run shared with a larger sweep has units that are not this one's. */
  units: string[];
  counts: SweepUnitCounts;
  state: 'running' | 'done' | 'failed' | 'incomplete';
}

export interface UnitDetail {
  key: string;
  state: UnitState;
  /** The error that stopped the unit's last attempt (failed units). */
  failure: { message: string; fix?: string; at: string; hostname: string } | null;
  completedAt: string | null;
  threads: number | null;
  /** The unit's LevelResult (its curve included), for recorded units. */
  result: LevelResult | null;
}

/** A first-layer mask of an MLP as an image: how many hidden units still see each input pixel. */
export interface MaskPicture {
  trial: number;
  level: number;
  condition: string;
  layer: string;
  /** hidden units of the layer (the count's maximum) */
  units: number;
  /** [height, width] of the input image */
  image: [number, number];
  /** row-major, height × width */
  counts: number[];
}

export interface RunDetail extends RunListing {
  config: unknown;
  levels: { done: number; total: number } | null;
  units: UnitDetail[];
  masks: MaskPicture[];
  /** The distinct provenances of its units: thread counts and versions. */
  provenance: { threads: number[]; ticketlab: string[]; onnxruntime: string[] };
}

export interface DashboardData {
  runs: RunListing[];
  sweeps: SweepListing[];
  rows: Row[];
  settings: string[];
}

/** The runs root the user named must exist: one clear message instead of an empty page. */
export function checkRunsRoot(root: string | undefined): string {
  const store = new RunStore({ root });
  if (!existsSync(store.root) || !statSync(store.root).isDirectory()) {
    throw new UserError(
      `no runs directory at ${store.root}`,
      'pass the directory that holds your runs (ticketlab serve path/to/runs), or run a lottery first',
    );
  }
  return store.root;
}

export function listRunsForDashboard(root?: string): RunListing[] {
  return listRuns(root).map((r) => ({
    dir: `${r.name}-${r.hash}`,
    name: r.name,
    hash: r.hash,
    createdAt: r.createdAt,
    done: r.progress.done,
    planned: r.progress.planned,
    states: r.units,
    active: r.active,
    problem: r.problem ?? null,
  }));
}

export function listSweepsForDashboard(root?: string): SweepListing[] {
  return listSweepManifests(root).map((m) => {
    const counts = sweepUnitCounts(root, m);
    const state =
      counts.running > 0
        ? 'running'
        : counts.done === counts.total
          ? 'done'
          : counts.failed > 0
            ? 'failed'
            : 'incomplete';
    return {
      id: m.id,
      name: m.name,
      source: m.source,
      mode: m.mode,
      createdAt: m.createdAt,
      startedAt: m.startedAt,
      finishedAt: m.finishedAt,
      runs: m.runs.map((r) => r.dir),
      units: m.runs.flatMap((r) => r.units.map((k) => `${r.dir}/${k}`)),
      counts,
      state,
    };
  });
}

export function dashboardData(root?: string): DashboardData {
  return { runs: listRunsForDashboard(root), sweeps: listSweepsForDashboard(root), ...unitRows(root) };
}

const distinct = <T>(xs: (T | undefined)[]): T[] =>
  [...new Set(xs.filter((x): x is T => x !== undefined))].sort();

/** One run in detail, by directory name (only runs listed under the root: no path from the page is opened). */
export function runDetail(root: string | undefined, dir: string): RunDetail | undefined {
  const stored = listRuns(root).find((r) => `${r.name}-${r.hash}` === dir);
  if (!stored) return undefined;
  const listing = listRunsForDashboard(root).find((r) => r.dir === dir)!;
  const status = runStatus(stored);
  const units: UnitDetail[] = [];
  if (!stored.problem) {
    const run = new RunStore({ root }).loadRun(stored.dir);
    for (const key of run.unitKeys()) {
      let record;
      try {
        record = run.unitRecord(key);
      } catch {
        record = undefined; // a damaged record: `runs verify` names it
      }
      const failure = run.failure(key);
      const result = record?.result as LevelResult | undefined;
      units.push({
        key,
        state: run.unitState(key),
        failure: failure
          ? {
              message: failure.message,
              ...(failure.fix ? { fix: failure.fix } : {}),
              at: failure.at,
              hostname: failure.hostname,
            }
          : null,
        completedAt: record?.completedAt ?? null,
        threads: record?.threads ?? null,
        result: result && typeof result.level === 'number' ? result : null,
      });
    }
  }
  const provenances = units.map((u) => u.result?.provenance);
  const config = (stored.config ?? {}) as Record<string, unknown>;
  return {
    ...listing,
    config: stored.config,
    levels: status.levels,
    units,
    masks: stored.problem ? [] : maskPictures(stored.dir, config),
    provenance: {
      threads: distinct([...provenances.map((p) => p?.threads), ...units.map((u) => u.threads ?? undefined)]),
      ticketlab: distinct(provenances.map((p) => p?.ticketlab)),
      onnxruntime: distinct(provenances.map((p) => p?.onnxruntime)),
    },
  };
}

/** The first-layer masks of the run's units, for MLPs whose input is an image (none for conv nets). */
function maskPictures(dir: string, config: Record<string, unknown>): MaskPicture[] {
  const out: MaskPicture[] = [];
  for (const file of findMasks(dir)) {
    let mask;
    try {
      mask = loadFirstLayerMask(file.path);
    } catch {
      continue; // a damaged file: `runs verify` names it
    }
    const image = mask && imageShapeFor(config, mask.shape[1]);
    if (!mask || !image) continue;
    const { trial, level, condition } = file;
    const counts = [...maskHeatmap(mask.data, mask.shape, image)];
    out.push({ trial, level, condition, layer: mask.name, units: mask.shape[0], image, counts });
  }
  return out;
}
