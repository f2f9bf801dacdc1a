/**
 * What a `ticketlab reproduce` preset is (presets.ts, deep-presets.ts): its runs at a scale. Most are
 * lottery runs; a preset may add slim-retrain runs (a slimmed network retrained as a run of its own,
 * slim-retrain.ts) that slim a unit of one of its lottery runs, run after the lottery runs (run-preset.ts).
 */
import type { LotteryRequest } from '../lottery/resolve.js';
import type { RunSummary } from '../lottery/summary.js';
import type { SlimRetrainRequest } from './slim-retrain.js';

export type Scale = 'quick' | 'paper';

export interface PresetRun {
  /** A lottery run (the only kind `runs()` lists; the field is optional so every preset stays as it was). */
  kind?: 'lottery';
  name: string;
  request: LotteryRequest;
  labels: Pick<RunSummary, 'scale' | 'standIn' | 'preset'>;
}

/** What a preset's slim-retrain run asks retrainSlim for; the source directory and paths come at run time. */
export type PresetSlimRequest = Omit<
  SlimRetrainRequest,
  'runDir' | 'runsDir' | 'dataDir' | 'onProgress' | 'notify' | 'pollMs'
>;

/** A slimmed network retrained as a run of its own, from a unit of the preset's lottery run `source`. */
export interface SlimRetrainPresetRun {
  kind: 'slim-retrain';
  name: string;
  /** The name of the preset's lottery run whose unit is slimmed (it runs first). */
  source: string;
  request: PresetSlimRequest;
  labels: PresetRun['labels'];
}

export interface PresetOptions {
  dataset?: string;
  scale: Scale;
  trials?: number;
  /** Only the runs of these networks (e.g. ['conv2'] for a first look). */
  models?: string[];
}

export interface Preset {
  name: string;
  description: string;
  datasets: string[];
  runs(opts: PresetOptions): PresetRun[];
  /** Slim-retrain runs, each from a unit of one of runs(); run after them. None when absent. */
  slimRetrainRuns?(opts: PresetOptions): SlimRetrainPresetRun[];
  /** What `quick` changes, printed with every quick run. */
  quickNote: string;
  /** How long the whole preset takes with these options, where measured or estimated (`--dry-run` prints it). */
  estimate?(opts: PresetOptions): string | undefined;
  /**
   * A preset that is a sweep (runs() is then empty): the sweep spec's content (base, grid, zip,
   * derived), expanded and run by the sweep layer, on local workers.
   */
  sweep?(opts: PresetOptions): Record<string, unknown>;
}
