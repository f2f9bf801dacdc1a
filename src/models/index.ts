/** The models layer: the registry, the built-in families and the building blocks for new models. */
export {
  registerModel,
  modelNamed,
  modelNames,
  type ModelDefaults,
  type ModelEntry,
  type ModelOptions,
} from './registry.js';
export { conv, dense, dropout, type ConvOptions } from './layers.js';
export { mlp, lenet300, lenet5 } from './lenet.js';
export { conv2, conv4, conv6 } from './conv.js';
export { resnet20, resnet32, resnet44, resnet56, resnet110 } from './resnet.js';
export { vgg11, vgg13, vgg16, vgg19 } from './vgg.js';
export { preresnet20Bottleneck } from './preresnet.js';
export { resnet18 } from './resnet18.js';
export { batchNorm } from './layers.js';
export { basicBlock, bnGamma } from './blocks.js';
export type { InitSpec, LayerKind, Model, ModelContext, ParamDecl } from './types.js';
