/**
 * The level-0 key of a run: the settings that can change what its level 0 computes or records — the
 * dense network of each trial, and every trial-level file the later levels read (θ_k, the trained and
 * best weights, the masks, the result with its extras). Two runs with the same key have the same
 * level 0 bit for bit (at the same thread count and versions), so one can copy it from the other
 * (./share-level0.ts).
 *
 * The key is every result-affecting setting (resultSettings) LESS an explicit list of settings known
 * to act only at levels ≥ 1, so a setting added later counts as affecting level 0 until someone lists
 * it here with the reason. Some pruning settings do act at level 0 and are deliberately not listed:
 * --rewind-iteration (which θ_k level 0 stores), --prune-biases (which parameters carry masks, so level
 * 0's masks file and sparsity record), every --gradual setting (pruning during level 0), and
 * --supermask (not result-affecting, but level 0 records its supermask accuracies).
 */
import { datasetNamed } from '../data/registry.js';
import { getPath } from '../spec/table.js';
import { hashConfig } from '../store/index.js';
import type { LotteryConfig } from './config.js';
import { CONFIG_LEAVES, resultSettings } from './resolve.js';

export interface Level0Independent {
  /** A setting's path, or a group's (every setting under it). */
  path: string;
  /** Why it cannot change level 0. */
  why: string;
  /** When it does reach level 0 after all (then it stays in the key). */
  reachesLevel0?: (config: LotteryConfig) => boolean;
}

/** --gradual prunes level 0 with the run's criterion, scope, layers and granularity. */
const prunesDuringLevel0 = (config: LotteryConfig): boolean => config.gradual.schedule !== 'none';

export const LEVEL0_INDEPENDENT: readonly Level0Independent[] = [
  { path: 'pruning.schedule', why: 'which trained ticket a level ≥ 1 is pruned from' },
  {
    path: 'pruning.strategy',
    why: 'scores weights when a level ≥ 1 is pruned (snip/grad: their gradient at θ₀ is computed then, from θ₀ and the first batch)',
    reachesLevel0: prunesDuringLevel0,
  },
  { path: 'pruning.scope', why: 'how a level ≥ 1 is pruned', reachesLevel0: prunesDuringLevel0 },
  { path: 'pruning.rates', why: 'how much a level ≥ 1 prunes (--gradual-sparsity is level 0’s)' },
  { path: 'pruning.keep', why: 'how many weights a level ≥ 1 keeps' },
  { path: 'pruning.thresholdAlpha', why: 'the keep rule of levels ≥ 1' },
  { path: 'pruning.thresholdCentre', why: 'the keep rule of levels ≥ 1' },
  { path: 'pruning.thresholdValue', why: 'the keep rule of levels ≥ 1' },
  { path: 'pruning.keptWeights', why: 'what kept weights start from at levels ≥ 1 (level 0 starts at θ₀)' },
  { path: 'pruning.prunedWeights', why: 'what pruned weights hold at levels ≥ 1 (level 0 prunes none)' },
  {
    path: 'pruning.globalLayers',
    why: 'the pool of global pruning at levels ≥ 1',
    reachesLevel0: prunesDuringLevel0,
  },
  { path: 'granularity', why: 'what a level ≥ 1 prunes together', reachesLevel0: prunesDuringLevel0 },
  {
    path: 'reset',
    why: 'where levels ≥ 1 restart and how they retrain (θ_k itself is --rewind-iteration’s)',
  },
  { path: 'finetuneLearningRate', why: 'the learning rate of --reset finetune at levels ≥ 1' },
  { path: 'densities', why: 'the weights remaining at each level ≥ 1 (level 0 is dense)' },
];

/**
 * Settings that change no result (so are not in resultSettings) but change what level 0 records:
 * --supermask adds level 0's accuracies before training to its result, --save-weights-at the weight
 * snapshots later levels may read (--mask-from, `slim --weights`).
 */
export const LEVEL0_RECORDED: readonly string[] = ['pruning.supermask', 'saveWeightsAt'];

const under = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}.`);

/** Whether the setting at `path` is left out of `config`'s level-0 key. */
export function level0Independent(config: LotteryConfig, path: string): boolean {
  return LEVEL0_INDEPENDENT.some((e) => under(path, e.path) && !e.reachesLevel0?.(config));
}

/** The level-0 key: the settings, by path, that can change `config`'s level 0 (defaults included). */
export function level0Key(config: LotteryConfig): Record<string, unknown> {
  const key = Object.fromEntries(
    Object.entries(resultSettings(config)).filter(([path]) => !level0Independent(config, path)),
  );
  for (const path of LEVEL0_RECORDED) {
    const leaf = CONFIG_LEAVES.find((l) => l.path.join('.') === path);
    if (leaf) key[path] = getPath(config, leaf.path) ?? null;
  }
  // an imported image folder's name says nothing of its content (as in runIdentity)
  const digest = datasetNamed(config.dataset).digest;
  if (digest !== undefined) key.datasetContent = digest;
  return key;
}

/** The level-0 key's hash: what a shared unit's provenance names. */
export function level0KeyHash(config: LotteryConfig): string {
  return hashConfig(level0Key(config));
}
