/**
 * Which channels to remove. Scores: |γ| of a group's BatchNorm (network slimming, Early-Bird), or the
 * L1 norm of the producing conv's filter (Li et al. 2017, for networks without BatchNorm). Selection:
 * one global threshold as the references compute it — scores sorted ascending, thre = sorted[⌊total·p⌋],
 * keep score > thre — or the same fraction per group. A group the threshold would empty keeps its
 * highest-scoring channel, and a notice names it (network slimming crashes there, Early-Bird's VGG
 * code drops the layer, and the pruning study's code keeps channel 0).
 */
import { UserError } from '../../util/errors.js';
import type { ChannelStructure } from './analyse.js';
import type { ChannelMasks, WeightMaps } from './slim.js';

export const CHANNEL_CRITERIA = ['bn-scale', 'filter-l1'] as const;
export type ChannelCriterion = (typeof CHANNEL_CRITERIA)[number];

/** Per group, one score per channel; 'auto' = |γ| where the group has a BatchNorm, else the filter's L1 norm. */
export function channelScores(
  structure: ChannelStructure,
  weights: WeightMaps['weights'],
  criterion: ChannelCriterion | 'auto' = 'auto',
): Map<string, Float32Array> {
  const scores = new Map<string, Float32Array>();
  for (const g of structure.groups) {
    const byScale = criterion === 'bn-scale' || (criterion === 'auto' && g.norm !== undefined);
    if (byScale) {
      if (!g.norm)
        throw new UserError(
          `${g.name} has no BatchNorm to score channels by |γ|`,
          'use --channel-criterion filter-l1',
        );
      scores.set(g.name, weights.get(`${g.norm}.weight`)!.map(Math.abs));
      continue;
    }
    if (!g.producer)
      throw new UserError(
        `${g.name}'s channels are selected from a wider input, they have no filters to score`,
        'use --channel-criterion bn-scale',
      );
    const w = weights.get(`${g.producer}.weight`)!;
    const per = w.length / g.channels;
    scores.set(
      g.name,
      Float32Array.from({ length: g.channels }, (_, c) => {
        let s = 0;
        for (let i = c * per; i < (c + 1) * per; i++) s += Math.abs(w[i]);
        return s;
      }),
    );
  }
  return scores;
}

export interface ChannelSelection {
  masks: ChannelMasks;
  /** The threshold used (global), or per group (layerwise). */
  threshold: number | Map<string, number>;
  /** Groups the threshold would have emptied, each keeping its best channel. */
  notices: string[];
}

/** The references' threshold of ratio p over `values`: sorted ascending, the ⌊n·p⌋-th. */
export function referenceThreshold(values: Float32Array, ratio: number): number {
  const sorted = Float32Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * ratio))];
}

function checkRatio(ratio: number): void {
  if (!(ratio >= 0 && ratio < 1))
    throw new UserError(`channel prune ratio ${ratio} is not in [0, 1)`, 'give a fraction such as 0.5');
}

function keepAbove(name: string, scores: Float32Array, thre: number, notices: string[]): Uint8Array {
  const mask = scores.map((s) => (s > thre ? 1 : 0));
  const m = Uint8Array.from(mask);
  if (!m.some((v) => v)) {
    let best = 0;
    scores.forEach((s, i) => (s > scores[best] ? (best = i) : 0));
    m[best] = 1;
    notices.push(
      `${name}: the threshold ${thre.toPrecision(4)} would remove all ${scores.length} of its channels; ` +
        `it keeps its highest-scoring one (channel ${best})`,
    );
  }
  return m;
}

/** One threshold over every group's scores (network slimming, Early-Bird). Ratio 0 removes nothing. */
export function globalChannelMasks(scores: Map<string, Float32Array>, ratio: number): ChannelSelection {
  checkRatio(ratio);
  const all = new Float32Array([...scores.values()].reduce((n, s) => n + s.length, 0));
  let o = 0;
  for (const s of scores.values()) all.set(s, (o += s.length) - s.length);
  const notices: string[] = [];
  if (ratio === 0)
    return {
      masks: new Map([...scores].map(([k, s]) => [k, new Uint8Array(s.length).fill(1)])),
      threshold: -Infinity,
      notices,
    };
  const thre = referenceThreshold(all, ratio);
  const masks = new Map([...scores].map(([name, s]) => [name, keepAbove(name, s, thre, notices)]));
  return { masks, threshold: thre, notices };
}

/** The same ratio in every group (Li et al.'s filter pruning is per layer). */
export function layerwiseChannelMasks(scores: Map<string, Float32Array>, ratio: number): ChannelSelection {
  checkRatio(ratio);
  const notices: string[] = [];
  const threshold = new Map<string, number>();
  const masks: ChannelMasks = new Map();
  for (const [name, s] of scores) {
    if (ratio === 0) {
      masks.set(name, new Uint8Array(s.length).fill(1));
      continue;
    }
    const thre = referenceThreshold(s, ratio);
    threshold.set(name, thre);
    masks.set(name, keepAbove(name, s, thre, notices));
  }
  return { masks, threshold, notices };
}
