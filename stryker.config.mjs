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
const phase = process.env.MUTATION_PHASE === 'before' ? 'before' : 'after';

export default {
  testRunner: 'command',
  commandRunner: {
    command: testCommand(selected, phase === 'before'),
  },
  coverageAnalysis: 'off',
  concurrency: 1,
  mutate: selected.mutate,
  mutator: { excludedMutations: selected.excludedMutations ?? [] },
  incremental: true,
  incrementalFile: `reports/stryker-incremental-${group}.json`,
  reporters: ['clear-text', 'progress-append-only', 'json'],
  jsonReporter: { fileName: `reports/mutation/${group}-${phase}.json` },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  ignorePatterns: ['runs', 'scratch', 'dist', 'docs', 'bench', 'reports', '.stryker-tmp'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  timeoutFactor: 2,
  timeoutMS: 20000,
};
