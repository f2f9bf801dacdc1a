/**
 * A named-object registry: the pattern behind models, pruning criteria and scopes, resets and
 * controls. Adding one is one file that defines the object plus one `register` call; registration
 * order is listing order (and the order of choices in --help).
 */
import { UserError } from './errors.js';

export class Registry<T extends { readonly name: string }> {
  private readonly entries = new Map<string, T>();

  /** `what` names the entries in messages, e.g. "pruning criterion". */
  constructor(private readonly what: string) {}

  /** Adds `entry`; a name already registered is an error (no silent replacement). */
  register(entry: T): T {
    if (typeof entry.name !== 'string' || entry.name.trim() === '' || entry.name !== entry.name.trim()) {
      throw new UserError(`a ${this.what} needs a non-empty name without surrounding spaces`);
    }
    // a plugin's mistake, so one clear message rather than a stack trace
    if (this.entries.has(entry.name))
      throw new UserError(`${this.what} "${entry.name}" is already registered`);
    this.entries.set(entry.name, entry);
    return entry;
  }

  /** The entry of that name; a UserError listing the known names otherwise. */
  get(name: string): T {
    const entry = this.entries.get(name);
    if (!entry) {
      const known = this.names().join(', ');
      throw new UserError(`unknown ${this.what} "${String(name)}" (known: ${known})`, `use one of: ${known}`);
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

  /** Registered entries, in registration order. */
  list(): T[] {
    return [...this.entries.values()];
  }
}
