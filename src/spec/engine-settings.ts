/** How the training step runs (settings.ts spreads these into the table): the sparse MLP kernels. */
import { z } from 'zod';
import { setting } from './table.js';

export const SPARSE_KERNEL_MODES = ['off', 'auto', 'always'] as const;
export type SparseKernelMode = (typeof SPARSE_KERNEL_MODES)[number];

export const ENGINE_SETTINGS = {
  // Part of the identity: the sparse kernels sum in another order than onnxruntime's GEMM, so a run
  // that uses them agrees with the dense one to float32 rounding, not bit for bit. Runs never mix them.
  sparseKernels: setting({
    key: 'sparseKernels',
    schema: z.enum(SPARSE_KERNEL_MODES),
    default: 'off',
    flag: '--sparse-kernels <mode>',
    commands: ['train', 'lottery'],
    help: 'MLPs only: the compacted sparse step for pruned levels; auto: when the crossover measured per layer shape (ticketlab calibrate-sparse) predicts it faster; always: whenever it can run',
    affectsResults: true,
  }),
} as const;
