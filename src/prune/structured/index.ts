/** Structured (channel) pruning: which channels can go, which do, and the thinner network. */
export {
  analyseChannels,
  type ChannelConsumer,
  type ChannelGroup,
  type ChannelStructure,
} from './analyse.js';
export {
  type ChannelMasks,
  type WeightMaps,
  groupOf,
  keptIndices,
  maskChannels,
  slimMasks,
  slimModel,
  slimWeights,
} from './slim.js';
export {
  CHANNEL_CRITERIA,
  type ChannelCriterion,
  type ChannelSelection,
  channelScores,
  globalChannelMasks,
  layerwiseChannelMasks,
  referenceThreshold,
} from './select.js';
export { SLIM_SOURCES, type SlimSource } from './sources.js';
export { type SlimmedNetwork, slimNetwork } from './slim-network.js';
