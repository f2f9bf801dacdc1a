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
export type { InitSpec, LayerKind, Model, ModelContext, ParamDecl } from './types.js';
