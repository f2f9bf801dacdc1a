/**
 * Retraining after pruning (Renda et al., ICLR 2020), a group of the settings table (settings.ts):
 * the fixed learning rate fine-tuning retrains with. The retraining methods themselves are resets
 * (`--reset finetune | weight-rewind | lr-rewind`), with the budget T − k set by --rewind-iteration.
 */
import { z } from 'zod';
import { whenSetting } from './rules.js';
import { setting } from './table.js';

export const RETRAIN_SETTINGS = {
  finetuneLearningRate: setting({
    key: 'finetuneLearningRate',
    schema: z.number().gt(0),
    default: 1e-3,
    flag: '--finetune-lr <lr>',
    commands: ['lottery'],
    help: 'the small fixed learning rate of --reset finetune (Renda et al.: 0.001)',
    affectsResults: true,
    appliesWhen: whenSetting('reset', ['finetune'], 'add --reset finetune, or leave --finetune-lr out'),
  }),
} as const;
