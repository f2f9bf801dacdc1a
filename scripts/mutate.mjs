// `npm run mutate [group...]`: StrykerJS over each group of scripts/mutation-groups.mjs in turn (all
// groups when none is named). Reports: reports/mutation/<group>-<before|after>.json and the clear-text table.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { GROUPS } from './mutation-groups.mjs';

const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const options = process.argv.slice(2).filter((a) => a.startsWith('-'));
// --before: only the tests that existed before the mutation pass (MUTATION_PHASE=before).
// --retest-survivors: forget the survivors in the incremental file so they are tested again with the
// tests added since (killed mutants stay killed: tests are only ever added).
const before = options.includes('--before');
// --added-only: only the added tests (see stryker.config.mjs)
const addedOnly = options.includes('--added-only');
const retest = options.includes('--retest-survivors');
const flags = options.filter((a) => !['--before', '--retest-survivors', '--added-only'].includes(a));
const groups = asked.length ? asked : Object.keys(GROUPS);
for (const g of groups) {
  if (!GROUPS[g]) {
    console.error(`unknown group "${g}"; one of ${Object.keys(GROUPS).join(', ')}`);
    process.exit(2);
  }
}
for (const group of groups) {
  console.log(`\n== mutation group ${group}: ${GROUPS[group].mutate.join(' ')}`);
  if (retest) forgetSurvivors(`reports/stryker-incremental-${group}.json`);
  const r = spawnSync('npx', ['stryker', 'run', 'stryker.config.mjs', ...flags], {
    stdio: 'inherit',
    env: {
      ...process.env,
      MUTATION_GROUP: group,
      MUTATION_PHASE: before ? 'before' : addedOnly ? 'added-only' : 'after',
    },
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function forgetSurvivors(file) {
  if (!existsSync(file)) return;
  const report = JSON.parse(readFileSync(file, 'utf8'));
  let forgotten = 0;
  for (const f of Object.values(report.files)) {
    const kept = f.mutants.filter((m) => m.status !== 'Survived' && m.status !== 'NoCoverage');
    forgotten += f.mutants.length - kept.length;
    f.mutants = kept;
  }
  writeFileSync(file, JSON.stringify(report));
  console.log(`${file}: ${forgotten} surviving mutants will be tested again`);
}
