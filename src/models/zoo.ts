/**
 * The paper's networks by name, as a plain record (kept for existing callers; new code uses the
 * registry: `modelNamed`, `modelNames`, `registerModel` in registry.ts).
 */
import { type ModelEntry, modelNamed, modelNames } from './registry.js';

export type { ModelDefaults, ModelEntry, ModelOptions } from './registry.js';
export { modelNames } from './registry.js';

/** The models registered when this module loads (the built-in ones). */
export const MODELS: Record<string, ModelEntry> = Object.fromEntries(
  modelNames().map((name) => [name, modelNamed(name)]),
);
