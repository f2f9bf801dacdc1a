/**
 * Sharing level 0 between runs (a group of the settings table, settings.ts): a run's dense level 0 is
 * copied from another run in the same runs directory whose level-0 settings match (lottery/level0-key.ts)
 * instead of being trained again. How a run is computed, not what: never part of the run identity.
 */
import { z } from 'zod';
import { setting } from './table.js';

export const SHARE_SETTINGS = {
  shareLevel0: setting({
    key: 'shareLevel0',
    schema: z.boolean(),
    default: true,
    flag: '--no-share-level0',
    commands: ['train', 'lottery'],
    help:
      'copy level 0 (the dense network and its files, checksums verified) from another run in the runs ' +
      'directory whose level-0 settings match, instead of training it again; --no-share-level0 trains it here',
    affectsResults: false,
  }),
} as const;
