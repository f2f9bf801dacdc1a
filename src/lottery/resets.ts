/**
 * Reset strategies, by name (the `reset` setting). Adding one: a file in ./resets/ exporting a
 * ResetStrategy, and one registration line here.
 */
import { provideChoices } from '../spec/choices.js';
import { Registry } from '../util/registry.js';
import { resetToInit } from './resets/init.js';
import { noReset } from './resets/none.js';
import { reinitReset } from './resets/reinit.js';
import { rewindReset } from './resets/rewind.js';
import { finetuneReset, lrRewindReset, weightRewindReset } from './resets/retraining.js';
import type { ResetStrategy } from './types.js';

export const resets = new Registry<ResetStrategy>('reset strategy');
resets.register(resetToInit);
resets.register(rewindReset);
resets.register(reinitReset);
resets.register(noReset);
resets.register(finetuneReset);
resets.register(weightRewindReset);
resets.register(lrRewindReset);
provideChoices('reset', () => resets.names());
