// What `npm run mutate` mutates, group by group, and the focused tests that must kill each group's
// mutants. Ranges (file:from-to) keep each group to the code that decides results: the machine is
// shared. Tests run in stages chained with &&, fastest first, so a mutant killed by an early stage
// costs only that stage (node's test runner has no bail option); a surviving mutant runs them all.
// `stages` are tests that existed before the mutation pass; `added` (run first) were written to kill
// its survivors.

/** A stage: test files, optionally only the tests whose names match `pattern`. */
const stage = (files, pattern) => ({ files, pattern });

export const GROUPS = {
  identity: {
    // target → rates, resultSettings, runIdentity (resolveConfig above is pinned by the settings tests)
    mutate: ['src/lottery/resolve.ts:111-169'],
    stages: [stage(['test/run-identity.test.ts'])],
    added: [stage(['test/mutation-identity.test.ts'])],
  },
  train: {
    excludedMutations: ['StringLiteral'],
    // the early-stopping protocol: evaluation (the earliest minimum of validation loss), the result
    // read at that point, and the divergence check. runTraining's loop, evaluateAll, θ_k capture,
    // checkpointing and the learning-rate schedule are covered by test/mutation-train.test.ts but not
    // mutated for lack of machine time (the existing tests train LeNet: ~30 s a mutant on this machine).
    mutate: ['src/train/callbacks.ts:49-63', 'src/train/callbacks.ts:99-122', 'src/train/trainer.ts:188-213'],
    stages: [
      stage(['test/train-callbacks.test.ts'], '^the early-stopping point'),
      stage(['test/train-callbacks.test.ts'], '^(pinned|a callback that stops)'),
      stage(['test/train-callbacks.test.ts'], '^(a counting callback|callbacks must|a callback can prune)'),
    ],
    added: [stage(['test/mutation-train.test.ts'])],
  },
  prune: {
    // the rounding rule (prunedCount) and rates, and the pools of the global and per-kind scopes (checkRate,
    // keptAfterRounds, rateForTarget, layer-wise pools
    // and the masks round are exercised by every existing prune test; select.ts, the radix selection,
    // is checked against a sort by property tests). Not mutated for lack of machine time.
    mutate: [
      'src/prune/schedule.ts:31-40',
      'src/prune/rates.ts',
      'src/prune/scopes/global.ts',
      'src/prune/scopes/per-kind.ts',
    ],
    // message texts: a mutant there changes no count or mask
    excludedMutations: ['StringLiteral'],
    stages: [stage(['test/prune-criteria.test.ts']), stage(['test/prune.test.ts'])],
    added: [stage(['test/mutation-prune.test.ts'])],
  },
  lottery: {
    // descriptions: help text only (the names are spelled out by the registry test)
    excludedMutations: ['StringLiteral'],
    mutate: ['src/lottery/plan.ts', 'src/lottery/resets/*.ts', 'src/lottery/controls/*.ts'],
    // the fast tests of those files (the kill -9, CLI and multi-process ones take minutes)
    stages: [
      stage(['test/lottery-units.test.ts'], '^(the plan|resets and controls are registries)'),
      stage(['test/lottery.test.ts'], '^(rewind: survivors|the one-shot control)'),
    ],
    added: [stage(['test/mutation-lottery.test.ts'])],
  },
};

/** The shell command that runs a group's stages for a phase: before, after (added first), added-only. */
export function testCommand(group, phase) {
  const added = group.added ?? [];
  const stages =
    phase === 'before' ? group.stages : phase === 'added-only' ? added : [...added, ...group.stages];
  return stages
    .map(({ files, pattern }) =>
      [
        'node --import tsx --test --test-concurrency=1 --test-reporter=dot',
        ...(pattern ? [`--test-name-pattern=${JSON.stringify(pattern)}`] : []),
        ...files,
      ].join(' '),
    )
    .join(' && ');
}
