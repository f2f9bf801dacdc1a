/**
 * A trained network made thinner in one call (`ticketlab slim`): channel scores from the trained
 * weights (|γ| of each BatchNorm, network slimming; or each conv filter's L1 norm, Li et al. 2017, for
 * networks without BatchNorm), a mask (one global |γ| threshold, or the same fraction per layer for
 * filter norms, as the references select), at least one channel kept per layer (with a notice naming
 * it), the rebuilt thinner network with its weights, the channel-masked wide network it must equal,
 * and both networks' parameter and FLOP counts. A pruned ticket's unstructured mask, given, is sliced
 * with the same channels (its pruned weights are zeros of the wide weights, and stay zeros in the thin).
 */
import { type ModelCost, modelCost } from '../../engine/cost.js';
import type { Model } from '../../models/types.js';
import { UserError } from '../../util/errors.js';
import { type ChannelStructure, analyseChannels } from './analyse.js';
import { type ChannelSelection, channelScores, globalChannelMasks, layerwiseChannelMasks } from './select.js';
import { type WeightMaps, keptIndices, maskChannels, slimMasks, slimModel, slimWeights } from './slim.js';

import type { SlimSource } from './sources.js';

export interface SlimmedNetwork {
  structure: ChannelStructure;
  selection: ChannelSelection;
  /** The thinner network and its weights (sliced from the wide network's). */
  model: Model;
  weights: WeightMaps;
  /** The wide network with the removed channels switched off: what the thin one computes. */
  maskedWide: WeightMaps;
  before: ModelCost;
  after: ModelCost;
  /** Per channel group: channels before and kept. */
  groups: { name: string; channels: number; kept: number }[];
  /** The wide network's unstructured mask (a pruned ticket's), sliced like its weights; when given. */
  unitMasks?: Map<string, Uint8Array>;
}

/** Removes the fraction `ratio` of the channels of `model` with the `wide` trained weights. */
export function slimNetwork(
  model: Model,
  wide: WeightMaps,
  opts: { ratio: number; from: SlimSource; unitMasks?: ReadonlyMap<string, Uint8Array> },
): SlimmedNetwork {
  const structure = analyseChannels(model);
  if (structure.groups.length === 0)
    throw new UserError(
      `${model.name} has no channels that can be removed (no conv layer whose output channels only convs or dense layers read)`,
      'slim a conv network (vgg, resnet, preresnet20-bottleneck); for an MLP, ticketlab export writes the compacted network',
    );
  if (opts.from === 'bn') {
    const without = structure.groups.filter((g) => !g.norm).map((g) => g.name);
    if (without.length)
      throw new UserError(
        `--from bn scores channels by their BatchNorm scale |γ|, and ${without.join(', ')} ${without.length === 1 ? 'has' : 'have'} no BatchNorm`,
        'use --from filter-norm (the L1 norm of each conv filter)',
      );
  }
  const scores = channelScores(structure, wide.weights, opts.from === 'bn' ? 'bn-scale' : 'filter-l1');
  const selection =
    opts.from === 'bn' ? globalChannelMasks(scores, opts.ratio) : layerwiseChannelMasks(scores, opts.ratio);
  const thin = slimModel(model, structure, selection.masks);
  const weights = slimWeights(structure, selection.masks, wide);
  return {
    structure,
    selection,
    model: thin,
    weights,
    maskedWide: maskChannels(structure, selection.masks, wide),
    before: modelCost(model, wide.weights),
    after: modelCost(thin, weights.weights),
    groups: structure.groups.map((g) => ({
      name: g.name,
      channels: g.channels,
      kept: keptIndices(selection.masks.get(g.name)!).length,
    })),
    ...(opts.unitMasks ? { unitMasks: slimMasks(structure, selection.masks, opts.unitMasks) } : {}),
  };
}
