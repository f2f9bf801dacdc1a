/**
 * Settings whose valid values are the names in a registry of a higher layer (pruning criteria and
 * scopes in prune/, resets and controls in lottery/). The spec layer cannot import those, so each
 * registry provides its names when its module loads (`provideChoices`), and the settings table reads
 * them when a value is checked, a flag is built or the docs are written — never when the table is
 * declared, so a plugin registered before then is among the choices.
 */
import { z } from 'zod';

const providers = new Map<string, () => readonly string[]>();

/** Makes `names()` the valid values of the settings declared with `registeredChoice(key, …)`. */
export function provideChoices(key: string, names: () => readonly string[]): void {
  providers.set(key, names);
}

/** The names provided for `key` now; undefined while no registry has provided any. */
export function providedChoices(key: string): readonly string[] | undefined {
  return providers.get(key)?.();
}

const dynamic = new WeakSet<object>();

/** Whether a schema is a `registeredChoice` (its content follows the provider's names). */
export function isRegisteredChoice(schema: z.ZodType): boolean {
  return dynamic.has(schema);
}

/**
 * A schema over the names provided for `key`: `build` receives the schema of one name — an enum of
 * the names of the moment — and returns the setting's schema (the name itself, a list of names, a
 * record keyed by names). The object returned forwards every property to that schema, rebuilt when
 * the names change, so zod, the CLI's choices and the docs all see an ordinary enum of the current
 * names. While nothing provides names for `key` (a process that never loaded the registry), a name is
 * any string, and the registry's own lookup rejects unknown names where they are used.
 */
export function registeredChoice<T>(
  key: string,
  build: (name: z.ZodType<string>) => z.ZodType<T>,
): z.ZodType<T> {
  let built: { names: string | undefined; schema: z.ZodType<T> } | undefined;
  const current = (): z.ZodType<T> => {
    const names = providedChoices(key);
    const id = names?.join('\0');
    if (!built || built.names !== id) {
      const name = names?.length ? z.enum(names as [string, ...string[]]) : z.string();
      built = { names: id, schema: build(name) };
    }
    return built.schema;
  };
  const proxy = new Proxy({} as z.ZodType<T>, {
    get: (_, prop) => {
      const schema = current();
      return Reflect.get(schema, prop, schema) as unknown;
    },
    has: (_, prop) => Reflect.has(current(), prop),
    getPrototypeOf: () => Reflect.getPrototypeOf(current()),
  });
  dynamic.add(proxy);
  return proxy;
}
