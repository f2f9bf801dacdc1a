/** The pruning-scope registry. A new scope: one file defining it, one `registerScope` line. */
import { provideChoices } from '../../spec/choices.js';
import { Registry } from '../../util/registry.js';
import { global } from './global.js';
import { layerwise } from './layerwise.js';
import { perKind } from './per-kind.js';
import type { Scope } from './types.js';

const scopes = new Registry<Scope>('pruning scope');

/** Makes `scope` available to `pruneMasks` as `spec.scope = scope.name`. */
export function registerScope(scope: Scope): Scope {
  if (typeof scope.pools !== 'function')
    throw new TypeError(`pruning scope "${scope.name}" has no pools function`);
  return scopes.register(scope);
}

/** The scope of that name; a UserError listing the registered names otherwise. */
export function scopeNamed(name: string): Scope {
  return scopes.get(name);
}

/** Registered scope names, built-ins first. */
export function scopeNames(): string[] {
  return scopes.names();
}

registerScope(layerwise);
registerScope(global);
registerScope(perKind);
provideChoices('pruning.scope', scopeNames);
