/**
 * Where learning-rate warmup starts, a setting of the `schedule` group (settings.ts spreads it in).
 * OpenLTH warms up as lr·min(1, it/W) with `it` the 0-based iteration, so the first step has rate 0;
 * ticketlab used lr·(it+1)/W before this setting existed. Runs stored then hold no `warmupFrom` and
 * keep their rule (`absentMeans`), and their names; a new run with warmup gets OpenLTH's rule and a
 * run name of its own, so neither is ever resumed under the other's rule.
 */
import { z } from 'zod';
import type { AppliesWhen } from './rules.js';
import { setting } from './table.js';

export const WARMUP_FROM = ['zero', 'first-step'] as const;
export type WarmupFrom = (typeof WARMUP_FROM)[number];

const warmupGiven: AppliesWhen = {
  text: 'schedule.warmup is more than 0',
  holds: (ctx) => Number((ctx.config.schedule as { warmup?: number } | undefined)?.warmup ?? 0) > 0,
  why: () => 'schedule.warmup is 0 (no warmup)',
  fix: 'add --warmup <n>, or leave --warmup-from out',
};

export const WARMUP_SETTINGS = {
  warmupFrom: setting({
    key: 'warmupFrom',
    schema: z.enum(WARMUP_FROM),
    default: 'zero',
    absentMeans: 'first-step',
    flag: '--warmup-from <rule>',
    help:
      'where linear warmup starts: zero (OpenLTH: lr·it/W, the first step at rate 0) or first-step ' +
      '(lr·(it+1)/W, the rule of runs made before this setting existed)',
    affectsResults: true,
    appliesWhen: warmupGiven,
  }),
} as const;
