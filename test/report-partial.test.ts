// Reports of unfinished work say so (title, every figure), and a report of several runs gets a
// folder of its own instead of overwriting the first run's report.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeReport, type RunSummary } from '../src/report/index.js';
import { writeSyntheticRun } from './helpers/synthetic-run.js';

let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ticketlab-report-partial-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A run planned as 1 trial × 14 levels × (ticket + 2 controls) + the dense level = 43 units, 3 done. */
function partialRun(dir: string): RunSummary {
  const full = writeSyntheticRun(dir);
  const results = full.results
    .filter((r) => r.trial === 0)
    .sort((a, b) => a.level - b.level || a.condition.localeCompare(b.condition))
    .slice(0, 3);
  return {
    ...full,
    config: { ...full.config, trials: 1, levels: 14, controls: ['random-reinit', 'random-prune'] },
    results,
  };
}

test('a report of a run with 3 of 43 units done says "partial: 3 of 43 units" in its title and on every figure', async () => {
  const run = partialRun(join(tmp, 'partial-0123456789ab'));
  const result = await writeReport([run], join(tmp, 'partial-report'), { format: 'html' });
  assert.match(result.model.title, /\(partial: 3 of 43 units\)/);
  const page = readFileSync(result.index, 'utf8');
  assert.match(page, /<h1>[^<]*partial: 3 of 43 units/);
  const figures = result.model.experiments.flatMap((e) => e.figures);
  assert.ok(figures.length >= 4, `figures: ${figures.map((f) => f.id)}`);
  for (const f of figures) {
    // every figure carries the warning in its own pixels (its SVG text), not only in the page around it
    assert.ok(f.svgText, `${f.id} is drawn as SVG`);
    assert.match(f.svgText!, /PARTIAL: 3 of 43 units done/, f.id);
  }
});

test('a finished run is not called partial', async () => {
  const run = writeSyntheticRun(join(tmp, 'finished-0123456789ab'));
  const result = await writeReport([run], join(tmp, 'finished-report'), { format: 'md', masks: false });
  assert.doesNotMatch(result.model.title, /partial/i);
  for (const f of result.model.experiments.flatMap((e) => e.figures))
    assert.doesNotMatch(f.svgText!, /PARTIAL/, f.id);
});

test('`ticketlab report runA runB` writes a folder of its own and leaves runA/report alone', () => {
  const runs = join(tmp, 'runs');
  const dirs = ['alpha-0123456789ab', 'beta-0123456789ab'].map((d) => join(runs, d));
  for (const [i, dir] of dirs.entries()) {
    const s = writeSyntheticRun(dir, { name: i === 0 ? 'alpha' : 'beta' });
    writeFileSync(join(dir, 'summary.json'), JSON.stringify(s));
  }
  const own = join(dirs[0], 'report');
  mkdirSync(own);
  writeFileSync(join(own, 'index.html'), 'alpha’s own report');
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'src/cli/entry.ts', 'report', ...dirs, '--no-masks', '--paper', 'none'],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(readFileSync(join(own, 'index.html'), 'utf8'), 'alpha’s own report');
  assert.ok(!existsSync(join(dirs[1], 'report')), 'nothing written into the second run either');
  const [folder] = readdirSync(join(runs, 'reports'));
  assert.match(folder, /^alpha-012345\+beta-012345-[0-9a-f]{8}$/);
  assert.ok(existsSync(join(runs, 'reports', folder, 'index.html')));
  assert.match(r.stdout, new RegExp(`reports/${folder.replace(/[+]/g, '\\+')}/index\\.html`));
  // and --out naming a run's own report folder is refused for several runs
  const refused = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'src/cli/entry.ts', 'report', ...dirs, '--no-masks', '--out', own],
    { encoding: 'utf8' },
  );
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /own report folder of run .*alpha-0123456789ab/);
  assert.doesNotMatch(refused.stderr, /\n\s+at /);
  assert.equal(readFileSync(join(own, 'index.html'), 'utf8'), 'alpha’s own report');
});
