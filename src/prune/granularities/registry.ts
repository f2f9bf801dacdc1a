/**
 * The granularity registry. A new granularity: one object (./types.ts) and one `registerGranularity`
 * line. N:M (e.g. `2:4`) is a family rather than a list of names: any `N:M` with 1 ≤ N < M is one.
 */
import { provideChoices } from '../../spec/choices.js';
import { parseNM } from '../../spec/granularity-settings.js';
import { UserError } from '../../util/errors.js';
import { Registry } from '../../util/registry.js';
import { BUILTIN_GRANULARITIES } from './builtins.js';
import type { Granularity, WeightForm } from './types.js';

const granularities = new Registry<Granularity>('pruning granularity');

/** Makes `granularity` available as `granularity = granularity.name`. */
export function registerGranularity(granularity: Granularity): Granularity {
  if (parseNM(granularity.name))
    throw new UserError(`pruning granularity "${granularity.name}" is an N:M name, which is built in`);
  for (const [form, axes] of Object.entries(granularity.axes)) {
    const rank = form === 'linear' ? 2 : 4;
    if (!axes.every((a) => Number.isInteger(a) && a >= 0 && a < rank))
      throw new TypeError(`pruning granularity "${granularity.name}" lists axes outside a ${form} weight`);
  }
  return granularities.register(granularity);
}

/** The granularity of that name (a registered one, or N:M); a UserError listing the choices otherwise. */
export function granularityNamed(name: string): Granularity {
  const nm = parseNM(name);
  if (nm)
    return {
      name: `${nm.n}:${nm.m}`,
      description: `keep ${nm.n} of every ${nm.m} consecutive weights along the input axis`,
      axes: {},
      nm,
    };
  if (granularities.has(name)) return granularities.get(name);
  const known = [...granularityNames(), 'N:M'].join(', ');
  throw new UserError(`unknown pruning granularity "${name}" (known: ${known})`, `use one of: ${known}`);
}

/** Registered names, built-ins first (N:M not included). */
export function granularityNames(): string[] {
  return granularities.names();
}

/** The form of a weight of this shape: rank 2 linear, rank 4 conv, anything else (a bias) none. */
export function weightForm(shape: readonly number[]): WeightForm | undefined {
  return shape.length === 2 ? 'linear' : shape.length === 4 ? 'conv' : undefined;
}

/** Whether `g` applies to weights of `form`. */
export function appliesTo(g: Granularity, form: WeightForm): boolean {
  return g.nm !== undefined || g.axes[form] !== undefined;
}

/** Every weight alone: the unstructured selection of ../select.ts, unchanged. */
export function isPerWeight(g: Granularity): boolean {
  return g.nm === undefined && g.axes.linear?.length === 0 && g.axes.conv?.length === 0;
}

for (const g of BUILTIN_GRANULARITIES) registerGranularity(g);
provideChoices('granularity', granularityNames);
const applying = (form: WeightForm) => () =>
  granularities
    .list()
    .filter((g) => appliesTo(g, form))
    .map((g) => g.name);
provideChoices('granularity.linear', applying('linear'));
provideChoices('granularity.conv', applying('conv'));
