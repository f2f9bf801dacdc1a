/**
 * A named-object registry: the pattern behind pruning criteria and scopes. Adding one is one file
 * that defines the object plus one `register` call.
 */
import { UserError } from '../util/errors.js';

export class Registry<T extends { readonly name: string }> {
  private readonly entries = new Map<string, T>();

  /** `what` names the entries in messages, e.g. "pruning criterion". */
  constructor(private readonly what: string) {}

  /** Adds `entry`; a name already registered is an error (no silent replacement). */
  register(entry: T): T {
    if (typeof entry.name !== 'string' || entry.name.trim() === '' || entry.name !== entry.name.trim()) {
      throw new TypeError(`a ${this.what} needs a non-empty name without surrounding spaces`);
    }
    if (this.entries.has(entry.name)) throw new Error(`${this.what} "${entry.name}" is already registered`);
    this.entries.set(entry.name, entry);
    return entry;
  }

  /** The entry of that name; a UserError listing the known names otherwise. */
  get(name: string): T {
    const entry = this.entries.get(name);
    if (!entry) {
      throw new UserError(`unknown ${this.what} "${String(name)}" (known: ${this.names().join(', ')})`);
    }
    return entry;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Registered names, in registration order. */
  names(): string[] {
    return [...this.entries.keys()];
  }
}
