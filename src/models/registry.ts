/**
 * The models registry. A model family is one file that exports its entries (a forward function in the
 * graph DSL plus complete defaults); registering it is one line in BUILT_IN below, or one
 * `registerModel(...)` call in a plugin (`ticketlab --plugin my-model.mjs ...`).
 */
import { UserError } from '../util/errors.js';
import { Registry } from '../util/registry.js';
import { conv2, conv4, conv6 } from './conv.js';
import { lenet300, lenet5 } from './lenet.js';
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

/** The paper's networks. */
const BUILT_IN = [lenet300, lenet5, conv2, conv4, conv6];
BUILT_IN.forEach(registerModel);
