/** The pruning-criterion registry. A new criterion: one file defining it, one `registerCriterion` line. */
import { provideChoices } from '../../spec/choices.js';
import { Registry } from '../../util/registry.js';
import { magnitude } from './magnitude.js';
import { random } from './random.js';
import { ZHOU_CRITERIA } from './zhou.js';
import type { Criterion } from './types.js';

const criteria = new Registry<Criterion>('pruning criterion');

/** Makes `criterion` available to `pruneMasks` as `spec.strategy = criterion.name`. */
export function registerCriterion(criterion: Criterion): Criterion {
  if (typeof criterion.score !== 'function') {
    throw new TypeError(`pruning criterion "${criterion.name}" has no score function`);
  }
  for (const source of criterion.needs ?? []) {
    if (source !== 'initial' && source !== 'rewind' && source !== 'gradient') {
      throw new TypeError(
        `pruning criterion "${criterion.name}" needs unknown weight source "${String(source)}"`,
      );
    }
  }
  return criteria.register(criterion);
}

/** The criterion of that name; a UserError listing the registered names otherwise. */
export function criterionNamed(name: string): Criterion {
  return criteria.get(name);
}

/** Registered criterion names, built-ins first. */
export function criterionNames(): string[] {
  return criteria.names();
}

registerCriterion(magnitude);
registerCriterion(random);
for (const criterion of ZHOU_CRITERIA) registerCriterion(criterion);
provideChoices('pruning.strategy', criterionNames);
