/**
 * The library surface: the README's API example is examples/find-ticket.ts, word for word, and it
 * runs; the package's `exports` resolve to the built library; the API reference builds from the types.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DATA = process.env.TICKETLAB_DATA;
const EXAMPLE = 'examples/find-ticket.ts';

test("the README's API example is examples/find-ticket.ts verbatim", () => {
  const readme = readFileSync('README.md', 'utf8');
  const example = readFileSync(EXAMPLE, 'utf8');
  assert.ok(readme.includes('```ts\n' + example + '```'), `README.md must show ${EXAMPLE} in a ts block`);
});

test(
  'the API example defines a model in the DSL and finds its tickets',
  { skip: DATA ? false : 'TICKETLAB_DATA is not set: the example trains on the real MNIST' },
  () => {
    const runs = mkdtempSync(join(tmpdir(), 'ticketlab-api-'));
    try {
      // run from the repository: tsconfig's paths map 'ticketlab' to src/index.ts
      const r = spawnSync(process.execPath, ['--import', 'tsx', EXAMPLE], {
        encoding: 'utf8',
        env: { ...process.env, TICKETLAB_RUNS: runs },
      });
      assert.equal(r.status, 0, r.stderr);
      const lines = r.stdout.trim().split('\n');
      const parsed = lines.map((l) =>
        /^level (\d) ([a-z-]+): ([\d.]+)% of weights, test accuracy ([\d.]+)%$/.exec(l),
      );
      assert.ok(parsed.every(Boolean), r.stdout);
      const rows = parsed.map((m) => ({
        level: +m![1],
        condition: m![2],
        remaining: m![3],
        accuracy: +m![4],
      }));
      assert.deepEqual(
        rows.map((x) => `${x.level} ${x.condition} ${x.remaining}`),
        [
          '0 ticket 100.0',
          '1 random-reinit 80.1',
          '1 ticket 80.1',
          '2 random-reinit 64.2',
          '2 ticket 64.2',
          '3 random-reinit 51.5',
          '3 ticket 51.5',
        ],
      );
      // 600 iterations of a 784-128-10 network on MNIST: well past 90% at every level
      for (const row of rows) assert.ok(row.accuracy > 90, `${row.level} ${row.condition}: ${row.accuracy}%`);
    } finally {
      rmSync(runs, { recursive: true, force: true });
    }
  },
);

test("import 'ticketlab' resolves through the package's exports to the built library", () => {
  assert.ok(existsSync('dist/index.js'), 'dist/index.js is missing: run npm run build (npm ci does)');
  const r = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      "const t = await import('ticketlab'); console.log([typeof t.findTickets, typeof t.registerModel, typeof t.registerCriterion, typeof t.op.relu].join(' '))",
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'function function function function');
});

test('the API reference builds from the types without warnings', () => {
  const out = mkdtempSync(join(tmpdir(), 'ticketlab-typedoc-'));
  try {
    const r = spawnSync(
      process.execPath,
      ['node_modules/typedoc/bin/typedoc', '--out', out, '--treatWarningsAsErrors'],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.ok(existsSync(join(out, 'functions', 'findTickets.html')));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
