// `npm run mutate [group...]`: StrykerJS over each group of scripts/mutation-groups.mjs in turn (all
// groups when none is named). Reports: reports/mutation/<group>.json and the clear-text table.
import { spawnSync } from 'node:child_process';
import { GROUPS } from './mutation-groups.mjs';

const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('-'));
const groups = asked.length ? asked : Object.keys(GROUPS);
for (const g of groups) {
  if (!GROUPS[g]) {
    console.error(`unknown group "${g}"; one of ${Object.keys(GROUPS).join(', ')}`);
    process.exit(2);
  }
}
for (const group of groups) {
  console.log(`\n== mutation group ${group}: ${GROUPS[group].mutate.join(' ')}`);
  const r = spawnSync('npx', ['stryker', 'run', 'stryker.config.mjs', ...flags], {
    stdio: 'inherit',
    env: { ...process.env, MUTATION_GROUP: group },
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
