/**
 * Weights from earlier points of training, a group of the settings table (settings.ts): snapshots a
 * unit keeps beside its final and best weights (`--save-weights-at`), the point of training a level's
 * mask is computed from (`--mask-from`), and Early-Bird stopping (`--early-bird-stop`). At their
 * defaults nothing changes and every run identity stays what it was.
 */
import { z } from 'zod';
import { type Refusal, whenModel } from './rules.js';
import { setting } from './table.js';

/** The ratios the Early-Bird detector watches (train/early-bird.ts EARLY_BIRD_RATIOS; spec is below train). */
const EARLY_BIRD_STOP_RATIOS: readonly number[] = [0.3, 0.5, 0.7];

/** The weights a level's mask is taken from: the source unit's final, best, or a snapshot (iteration). */
export type MaskFrom = 'final' | 'best' | number;

const iterationsOf = (config: Record<string, unknown>) => Number(config.iterations);
const resetOf = (config: Record<string, unknown>) => String(config.reset);
const gradualOf = (config: Record<string, unknown>) =>
  String((config.gradual as { schedule?: unknown } | undefined)?.schedule ?? 'none');

/** Resets whose retraining starts from the source's final trained weights (not θ₀, θ_k or a fresh init). */
const FROM_TRAINED = ['none', 'finetune', 'lr-rewind'];

const pastTheEnd = <T>(points: (v: T) => number[], what: string): Refusal<T> => ({
  text: 'past the end of training',
  refuses: (v, ctx) => points(v).some((p) => p > iterationsOf(ctx.config)),
  why: (v, ctx) =>
    `is past the end of training (${points(v)
      .filter((p) => p > iterationsOf(ctx.config))
      .join(', ')} > ${iterationsOf(ctx.config)} iterations)`,
  fix: (_, ctx) => `give ${what} of at most ${iterationsOf(ctx.config)} iterations`,
});

export const SNAPSHOT_SETTINGS = {
  saveWeightsAt: setting({
    key: 'saveWeightsAt',
    schema: z.array(z.number().int().min(0)),
    default: [],
    flag: '--save-weights-at <list>',
    help:
      'keep every unit’s weights (and BatchNorm buffers) at these points of its training, beside final and ' +
      'best: iterations or epochs, comma list (10ep,30ep,50ep); records only, so not part of the run identity',
    // a snapshot reads the weights, it changes no step: runs with and without share their units
    affectsResults: false,
    refuse: [pastTheEnd((points: number[]) => points, 'points')],
  }),
  maskFrom: setting({
    key: 'maskFrom',
    schema: z.union([z.enum(['final', 'best']), z.number().int().min(0)]),
    default: 'final' as MaskFrom,
    flag: '--mask-from <when>',
    commands: ['lottery'],
    help:
      'the weights of level L−1 that level L’s mask (and its @w(t−1) accuracy) is computed from: final, ' +
      'best (early-stopping point), or a point of its training (iterations or epochs, e.g. 30ep; saved for it)',
    affectsResults: true,
    refuse: [
      pastTheEnd((v: MaskFrom) => (typeof v === 'number' ? [v] : []), 'a point'),
      {
        text: 'other than final with --reset none, finetune or lr-rewind',
        refuses: (v, ctx) => v !== 'final' && FROM_TRAINED.includes(resetOf(ctx.config)),
        why: (_, ctx) =>
          `makes no sense with --reset ${resetOf(ctx.config)}: retraining continues from the final trained ` +
          'weights, which the mask would not have been computed from',
        fix: () => 'use --reset init, rewind, weight-rewind or reinit, or leave --mask-from out',
      },
      {
        text: 'other than final with pruning during training (--gradual)',
        refuses: (v, ctx) => v !== 'final' && gradualOf(ctx.config) !== 'none',
        why: () =>
          'makes no sense with --gradual: level 0 is pruned during training, its mask changes on the way',
        fix: () => 'leave --mask-from out, or --gradual out',
      },
    ],
  }),
  earlyBirdStop: setting({
    key: 'earlyBirdStop',
    schema: z.number(),
    optional: true,
    default: undefined,
    flag: '--early-bird-stop <p>',
    help:
      'Early-Bird stopping: level 0 stops training at the start of the epoch where the channel mask of ' +
      'prune ratio p (0.3, 0.5 or 0.7) is within 0.1 of each of the 4 before it; those weights are its ' +
      'final ones, also kept as early-bird.safetensors (records the masks as --early-bird does)',
    affectsResults: true,
    appliesWhen: [
      whenModel(
        'the model has BatchNorm layers',
        (m) => m.batchNorm === true,
        (m) => `${m.name} has no BatchNorm layers (the masks are drawn from their scales γ)`,
        'leave --early-bird-stop out, or use a model with BatchNorm (vgg11-19, resnet20-110, resnet18, preresnet20-bottleneck)',
      ),
    ],
    refuse: [
      {
        text: `not one of ${EARLY_BIRD_STOP_RATIOS.join(', ')}`,
        refuses: (p) => p !== undefined && !EARLY_BIRD_STOP_RATIOS.includes(p),
        why: () => `is not a watched prune ratio (${EARLY_BIRD_STOP_RATIOS.join(', ')})`,
        fix: () => `give one of ${EARLY_BIRD_STOP_RATIOS.join(', ')}`,
      },
    ],
  }),
} as const;
