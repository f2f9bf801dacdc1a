/**
 * The published numbers the resnet20-pruning-study report sets beside ours
 * (../shared/research/next-milestone.md §5 and §7; test accuracy in %, CIFAR-10, one seed for the study).
 */

/** The pruning study's logs (MS@cfeb7ff training_log, best test accuracy, 1 seed). */
export const STUDY = {
  source:
    'the pruning study (pre-activation bottleneck ResNet-20, CIFAR-10, 160 epochs; its training logs, best test accuracy, 1 seed)',
  dense: 91.59,
  /** One-shot pruning of the conv weights by 50 / 70 / 90%: before retraining (@w0) and after. */
  oneShot: [
    { pruned: 0.5, beforeRetraining: 82.97, after: 91.45 },
    { pruned: 0.7, beforeRetraining: 40.74, after: 91.6 },
    { pruned: 0.9, beforeRetraining: 10.14, after: 89.18 },
  ],
  /** Its 4-round runs: the last round's accuracy (the reset mode of these logs is unverified). */
  lotteryFinal: { 0.5: '91.91–92.32', 0.9: '90.55' } as Record<number, string>,
} as const;

/** Renda et al. (ICLR 2020): ResNet-20, iterative unstructured pruning, median over trials. */
export const RENDA = {
  source:
    'Renda et al., ICLR 2020 (ResNet-20 on CIFAR-10, iterative pruning at 20% per round; medians of the released data, best retraining time)',
  dense: 91.71,
  rows: [
    { density: 0.8, finetune: 91.96, 'weight-rewind': 92.08, 'lr-rewind': 92.25 },
    { density: 0.41, finetune: 91.62, 'weight-rewind': 91.98, 'lr-rewind': 92.3 },
    { density: 0.21, finetune: 90.94, 'weight-rewind': 91.78, 'lr-rewind': 91.95 },
    { density: 0.107, finetune: 89.78, 'weight-rewind': 91.0, 'lr-rewind': 91.22 },
  ],
} as const;

export type RendaMethod = 'finetune' | 'weight-rewind' | 'lr-rewind';

/** Renda's row at `density` when one is within 5% of it (Renda's ladder 0.8^k), else undefined. */
export function rendaRowNear(density: number): (typeof RENDA.rows)[number] | undefined {
  return RENDA.rows.find((r) => Math.abs(density / r.density - 1) <= 0.05);
}

/** Network slimming (Liu et al. 2017; NS README, CIFAR-10): other networks than the study's. */
export const SLIMMING = {
  source:
    'network slimming (Liu et al., ICCV 2017; its README, CIFAR-10, s = 1e-4 for VGG, 1e-5 for ResNet-164)',
  rows: [
    {
      network: 'VGG-19',
      baseline: '93.77 (93.30 with s)',
      pruned: '70%',
      parameters: '20.04M → 2.25M',
      before: '32.54',
      after: '93.78',
    },
    {
      network: 'ResNet-164',
      baseline: '94.75',
      pruned: '40%',
      parameters: '→ 1.45M',
      before: '94.58',
      after: '95.05',
    },
    {
      network: 'ResNet-164',
      baseline: '94.75',
      pruned: '60%',
      parameters: '→ 1.12M',
      before: '47.73',
      after: '93.81',
    },
  ],
} as const;
