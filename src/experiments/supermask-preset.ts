/**
 * `ticketlab reproduce supermask`: Zhou et al.'s learned supermasks (2019, Section 5) on
 * LeNet-300-100 / MNIST — the weights frozen at θ₀ (or at signed constants), only the masks trained
 * — in the three variants of their Section 5, at paper or quick scale.
 */
import type { LotteryRequest } from '../lottery/resolve.js';
import { UserError } from '../util/errors.js';
import { SUPERMASK_DEFAULTS, type SupermaskSettings } from './supermask-settings.js';
import type { Scale } from './preset-types.js';

export interface SupermaskPresetRun {
  /** What the row of the report is called. */
  variant: string;
  request: LotteryRequest;
  settings: SupermaskSettings;
}

/** Zhou's training of supermasks: SGD with momentum 0.9, learning rate 100, batch 250, 2,000 epochs. */
const ZHOU_TRAINING = { optimizer: 'sgd', momentum: 0.9, learningRate: 100, batchSize: 250 } as const;
/** 55,000 training examples (60,000 less 5,000 for validation) at batch 250: 220 iterations per epoch. */
const ITERATIONS_PER_EPOCH = 220;
const QUICK_ITERATIONS = 2000; // 9 epochs

export const SUPERMASK_PRESET = {
  name: 'supermask',
  description:
    'Zhou et al. (2019) Section 5: learned supermasks on LeNet-300-100 / MNIST — weights frozen at θ₀ (or signed constants), one score per weight trained, masks sampled from σ(score) with a straight-through gradient',
  quickNote:
    'quick scale: 2,000 iterations (9 epochs at batch 250) instead of 2,000 epochs (440,000 iterations); ' +
    "evaluation every 400 iterations; otherwise Zhou's settings (SGD, momentum 0.9, lr 100, batch 250, 10 sampled masks)",
  /** The paper's number the report sets beside ours (as issue 13 summarizes Zhou et al.'s Section 5). */
  paper: 'learned supermask on LeNet-300-100 / MNIST: about 95% test accuracy (mean of 10 sampled masks)',
  runs(o: { scale: Scale; trials?: number; dataset?: string }): SupermaskPresetRun[] {
    if (o.dataset && o.dataset !== 'mnist')
      throw new UserError(`preset supermask does not take --dataset ${o.dataset}`, 'choose mnist');
    const iterations = o.scale === 'quick' ? QUICK_ITERATIONS : 2000 * ITERATIONS_PER_EPOCH;
    const evalEvery = o.scale === 'quick' ? 400 : 10 * ITERATIONS_PER_EPOCH;
    const variants: [string, Partial<SupermaskSettings>][] = [
      ['θ₀ (init weights)', {}],
      ['θ₀ + dynamic weight rescaling', { rescale: true }],
      ['signed constant + dynamic weight rescaling', { signedConstant: true, rescale: true }],
    ];
    const trials = o.trials ?? 1;
    return variants.flatMap(([variant, settings]) =>
      Array.from({ length: trials }, (_, trial) => ({
        variant,
        request: {
          model: 'lenet300',
          dataset: 'mnist',
          ...ZHOU_TRAINING,
          iterations,
          evalEvery,
          seed: trial,
        },
        settings: { ...SUPERMASK_DEFAULTS, ...settings },
      })),
    );
  },
};
