// Mutation testing of the core (StrykerJS), one group of modules at a time: `npm run mutate [group...]`
// (scripts/mutate.mjs sets MUTATION_GROUP). Not part of `npm test` or CI: it runs each group's focused
// tests once per mutant. Budgeted for a shared 2-core machine: one runner, no coverage analysis (the
// command runner has none), incremental (reports/stryker-incremental-<group>.json, gitignored).
import { GROUPS, testCommand } from './scripts/mutation-groups.mjs';

const group = process.env.MUTATION_GROUP ?? 'train';
const selected = GROUPS[group];
if (!selected) throw new Error(`unknown MUTATION_GROUP "${group}"; one of ${Object.keys(GROUPS).join(', ')}`);

// 'before' = only the tests that existed before the mutation pass; 'after' adds, first, the tests
// written to kill its survivors.
// 'added-only' runs only the added tests: after = killed before ∪ killed by the added tests, which
// scripts/mutation-summary.mjs combines when a group's full 'after' run did not fit the time.
const phase = ['before', 'added-only'].includes(process.env.MUTATION_PHASE)
  ? process.env.MUTATION_PHASE
  : 'after';

export default {
  testRunner: 'command',
  commandRunner: {
    command: testCommand(selected, phase),
  },
  coverageAnalysis: 'off',
  concurrency: 1,
  mutate: selected.mutate,
  mutator: { excludedMutations: selected.excludedMutations ?? [] },
  incremental: true,
  incrementalFile: `reports/stryker-incremental-${group}${phase === 'added-only' ? '-added-only' : ''}.json`,
  reporters: ['clear-text', 'progress-append-only', 'json'],
  jsonReporter: { fileName: `reports/mutation/${group}-${phase}.json` },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  ignorePatterns: [
    'runs',
    'scratch',
    'dist',
    'docs',
    'bench',
    'reports',
    '.stryker-tmp',
    '.stryker-tmp-added-only',
  ],
  tempDirName: phase === 'added-only' ? '.stryker-tmp-added-only' : '.stryker-tmp',
  cleanTempDir: 'always',
  timeoutFactor: 2,
  timeoutMS: 20000,
};
