// Prints, per mutated file, the counts of the last `npm run mutate` reports (reports/mutation/
// <group>-before.json and <group>-after.json): mutants, killed, survived, timed out, score, and
// (with --survivors) each mutant still alive after, with its line. Used to write docs/mutation.md.
import { existsSync, readFileSync } from 'node:fs';
import { GROUPS } from './mutation-groups.mjs';

const counts = (mutants) => {
  const by = (s) => mutants.filter((m) => m.status === s).length;
  const killed = by('Killed');
  const timeout = by('Timeout');
  const survived = by('Survived') + by('NoCoverage');
  const valid = killed + timeout + survived;
  return {
    total: mutants.length,
    killed,
    timeout,
    survived,
    score: valid ? (100 * (killed + timeout)) / valid : NaN,
  };
};
const read = (file) => (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).files : undefined);
const detected = (m) => m.status === 'Killed' || m.status === 'Timeout';
const where = (m) => `${m.location.start.line}:${m.location.start.column} ${m.mutatorName} ${m.replacement}`;

/** 'after' from a 'before' run and a run of the added tests alone: a mutant is detected after if either detects it. */
function combined(before, addedOnly) {
  if (!before || !addedOnly) return undefined;
  const files = {};
  for (const [file, f] of Object.entries(before)) {
    const byPlace = new Map((addedOnly[file]?.mutants ?? []).map((m) => [where(m), m]));
    files[file] = {
      ...f,
      mutants: f.mutants.map((m) => {
        const other = byPlace.get(where(m));
        if (detected(m) || !other || !detected(other)) return m;
        return { ...m, status: 'Killed' };
      }),
    };
  }
  return files;
}
const pct = (x) => (Number.isNaN(x) ? '—' : `${x.toFixed(1)}%`);

console.log(
  '| group | file | mutants | killed before → after | survived before → after | timed out | score before → after |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- |');
const alive = [];
for (const group of Object.keys(GROUPS)) {
  const before = read(`reports/mutation/${group}-before.json`);
  const after =
    read(`reports/mutation/${group}-after.json`) ??
    combined(before, read(`reports/mutation/${group}-added-only.json`));
  if (!before) continue;
  for (const [file, f] of Object.entries(before)) {
    const b = counts(f.mutants);
    const a = after?.[file] ? counts(after[file].mutants) : undefined;
    console.log(
      `| ${group} | ${file} | ${b.total} | ${b.killed} → ${a?.killed ?? '?'} | ${b.survived} → ${a?.survived ?? '?'} | ` +
        `${b.timeout} → ${a?.timeout ?? '?'} | ${pct(b.score)} → ${a ? pct(a.score) : '?'} |`,
    );
    const lines = f.source.split('\n');
    for (const m of (after?.[file] ?? f).mutants)
      if (m.status === 'Survived' || m.status === 'NoCoverage')
        alive.push(
          `${file}:${m.location.start.line} ${m.mutatorName} → ${JSON.stringify(m.replacement)} | ${lines[m.location.start.line - 1].trim()}`,
        );
  }
}
if (process.argv.includes('--survivors')) for (const a of alive) console.log(a);
