/**
 * The models registry. A model family is one file that exports its entries (a forward function in the
 * graph DSL plus complete defaults); registering it is one line in BUILT_IN below, or one
 * `registerModel(...)` call in a plugin (`ticketlab --plugin my-model.mjs ...`).
 */
import { UserError } from '../util/errors.js';
import { Registry } from '../util/registry.js';
import { conv2, conv4, conv6 } from './conv.js';
import { lenet300, lenet5 } from './lenet.js';
import { preresnet20Bottleneck } from './preresnet.js';
import { resnet110, resnet20, resnet32, resnet44, resnet56 } from './resnet.js';
import { resnet18 } from './resnet18.js';
import { vgg11, vgg13, vgg16, vgg19 } from './vgg.js';
import type { ModelEntry } from './types.js';

export type { ModelDefaults, ModelEntry, ModelOptions } from './types.js';

const models = new Registry<ModelEntry>('model');

/** Adds a model; a name can be registered once. */
export function registerModel(entry: ModelEntry): ModelEntry {
  if (!/^[a-z0-9][a-z0-9_.-]*$/i.test(entry.name)) {
    throw new UserError(`model name "${entry.name}" must be letters, digits, '.', '_' or '-'`);
  }
  return models.register(entry);
}

export function modelNamed(name: string): ModelEntry {
  return models.get(name);
}

export function modelNames(): string[] {
  return models.names();
}

/** The paper's networks, then the deep networks of its Section 4 and of studies built on it. */
const BUILT_IN = [lenet300, lenet5, conv2, conv4, conv6];
BUILT_IN.push(resnet20, resnet32, resnet44, resnet56, resnet110, vgg11, vgg13, vgg16, vgg19);
BUILT_IN.push(preresnet20Bottleneck, resnet18);
BUILT_IN.forEach(registerModel);
