// What `npm run mutate` mutates, group by group, and the focused tests that must kill each group's
// mutants (seconds per run, not minutes: Stryker runs them once per mutant).
// Ranges (file:from-to) keep each group to the code that decides results: the machine is shared.
export const GROUPS = {
  identity: {
    // target → rates, resultSettings, runIdentity (resolveConfig above is pinned by the settings tests)
    mutate: ['src/lottery/resolve.ts:111-169'],
    tests: ['test/run-identity.test.ts'],
  },
  train: {
    mutate: [
      // evaluateAll, divergenceCheck, rewindCapture, evaluation (early stopping), checkpointing
      'src/train/callbacks.ts:20-122',
      'src/train/callbacks.ts:160-179',
      // runTraining and trainResult
      'src/train/trainer.ts:64-146',
      'src/train/trainer.ts:188-213',
      'src/train/schedule.ts:16-21',
    ],
    tests: ['test/train-callbacks.test.ts'],
  },
  prune: {
    mutate: [
      'src/prune/schedule.ts',
      'src/prune/rates.ts',
      'src/prune/scopes/*.ts',
      'src/prune/criteria/*.ts',
      'src/prune/select.ts',
    ],
    tests: ['test/prune.test.ts', 'test/prune-criteria.test.ts'],
  },
  lottery: {
    mutate: ['src/lottery/plan.ts', 'src/lottery/resets/*.ts', 'src/lottery/controls/*.ts'],
    tests: ['test/lottery-units.test.ts', 'test/lottery.test.ts'],
    // the fast tests of those files (the kill -9, CLI and multi-process ones take minutes)
    testNamePattern:
      '^(the plan|resets and controls are registries|reset to θ₀|rewind: survivors|one-shot pruning prunes|running again skips|the one-shot control)',
  },
};
