/** What a `ticketlab reproduce` preset is (presets.ts, deep-presets.ts): its runs at a scale. */
import type { LotteryRequest } from '../lottery/resolve.js';
import type { RunSummary } from '../lottery/summary.js';

export type Scale = 'quick' | 'paper';

export interface PresetRun {
  name: string;
  request: LotteryRequest;
  labels: Pick<RunSummary, 'scale' | 'standIn' | 'preset'>;
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
  /** What `quick` changes, printed with every quick run. */
  quickNote: string;
  /**
   * A preset that is a sweep (runs() is then empty): the sweep spec's content (base, grid, zip,
   * derived), expanded and run by the sweep layer, on local workers.
   */
  sweep?(opts: PresetOptions): Record<string, unknown>;
}
