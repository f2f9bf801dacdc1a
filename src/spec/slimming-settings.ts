/**
 * Network slimming (Liu et al., ICCV 2017), a group of the settings table (settings.ts): the L1
 * penalty s·|γ| on every BatchNorm scale, added to the loss's gradient as s·sign(γ) during training,
 * which drives unneeded channels' scales towards 0 so that a global |γ| threshold can remove them
 * (ticketlab slim). 0 (the default) leaves training exactly as it was.
 */
import { z } from 'zod';
import { type AppliesWhen, whenModel } from './rules.js';
import { setting } from './table.js';

/** The sparsity coefficient network slimming and Early-Bird train with on VGG (1e-5 on ResNet-164). */
export const SLIMMING_PENALTY = 1e-4;

const withBatchNorm = (flag: string, acts: string): AppliesWhen =>
  whenModel(
    'the model has BatchNorm layers',
    (m) => m.batchNorm === true,
    (m) => `${m.name} has no BatchNorm layers (${acts})`,
    `leave ${flag} out, or use a model with BatchNorm (vgg11-19, resnet20-110, resnet18, preresnet20-bottleneck)`,
  );

export const SLIMMING_SETTINGS = {
  bnL1: setting({
    key: 'bnL1',
    schema: z.number().min(0),
    default: 0,
    flag: '--bn-l1 <s>',
    help:
      `network slimming: add s·sign(γ) to the gradient of every BatchNorm scale γ (an L1 penalty; ` +
      `${SLIMMING_PENALTY} in the papers, 0 = off)`,
    affectsResults: true,
    appliesWhen: [withBatchNorm('--bn-l1', 'the penalty acts on their scales γ')],
  }),
  earlyBird: setting({
    key: 'earlyBird',
    schema: z.boolean(),
    default: false,
    flag: '--early-bird',
    help:
      'Early-Bird tickets (You et al. 2020): record the BatchNorm channel mask of prune ratios 0.3, 0.5 and 0.7 ' +
      'at the start of every epoch with each unit, for the distance matrix and the detector in the report',
    affectsResults: true,
    appliesWhen: [withBatchNorm('--early-bird', 'the masks are drawn from their scales γ')],
  }),
} as const;
