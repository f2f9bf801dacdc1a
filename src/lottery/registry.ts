/** A named registry of plug-ins (resets, controls): registration order is listing order. */
import { UserError } from '../util/errors.js';

export class Registry<T extends { name: string; description: string }> {
  private readonly entries = new Map<string, T>();

  constructor(private readonly what: string) {}

  register(entry: T): void {
    if (this.entries.has(entry.name)) throw new Error(`${this.what} "${entry.name}" is registered twice`);
    this.entries.set(entry.name, entry);
  }

  /** The entry called `name`; a UserError listing the known names otherwise. */
  get(name: string): T {
    const entry = this.entries.get(name);
    if (!entry)
      throw new UserError(`unknown ${this.what} "${name}"`, `use one of: ${this.names().join(', ')}`);
    return entry;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  list(): T[] {
    return [...this.entries.values()];
  }
}
