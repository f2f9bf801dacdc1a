/**
 * Controls trained beside the ticket, by name (the `controls` setting). Adding one: a file in
 * ./controls/ exporting a Condition, and one registration line here.
 */
import { oneShotControl } from './controls/one-shot.js';
import { randomPruneControl } from './controls/random-prune.js';
import { randomReinitControl } from './controls/random-reinit.js';
import { provideChoices } from '../spec/choices.js';
import { Registry } from '../util/registry.js';
import { ticketCondition } from './tickets.js';
import type { Condition } from './types.js';

export const controls = new Registry<Condition>('control');
controls.register(randomReinitControl);
controls.register(randomPruneControl);
controls.register(oneShotControl);
provideChoices('controls', () => controls.names());

/** The condition a unit trains: the ticket, or a registered control. */
export function conditionNamed(name: string): Condition {
  return name === ticketCondition.name ? ticketCondition : controls.get(name);
}
