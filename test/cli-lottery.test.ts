import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DATA = process.env.TICKETLAB_DATA;
const skip = DATA ? false : 'TICKETLAB_DATA is not set: the CLI lottery tests need the real MNIST files';
const ENTRY = ['--import', 'tsx', 'src/cli/entry.ts'];
const env = { ...process.env, CI: '1' };

function cli(args: string[]) {
  return spawnSync(process.execPath, [...ENTRY, ...args], { encoding: 'utf8', env });
}

const COMMON = [
  '--iterations',
  '300',
  '--eval-every',
  '50',
  '--checkpoint-every',
  '50',
  '--levels',
  '1',
  '--threads',
  '1',
];

function resultsOf(runsDir: string) {
  const [dir] = readdirSync(runsDir).filter((d) => !d.startsWith('.'));
  const out = cli(['runs', 'show', join(runsDir, dir), '--json']);
  assert.equal(out.status, 0, out.stderr);
  const summary = JSON.parse(out.stdout);
  return summary.results.map(({ wallSeconds: _w, ...rest }: { wallSeconds: number }) => rest);
}

test(
  'a lottery run killed mid-level (SIGKILL) and run again ends with the same metrics as an uninterrupted one',
  { skip },
  async () => {
    const straight = mkdtempSync(join(tmpdir(), 'ticketlab-cli-'));
    const killed = mkdtempSync(join(tmpdir(), 'ticketlab-cli-'));
    try {
      const a = cli(['lottery', ...COMMON, '--runs-dir', straight]);
      assert.equal(a.status, 0, a.stderr);
      // start the same run, kill it once level 1 is half trained, then run it again
      const child = spawn(process.execPath, [...ENTRY, 'lottery', ...COMMON, '--runs-dir', killed], { env });
      let stderr = '';
      await new Promise<void>((resolve, reject) => {
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          if (/level 1 ticket[^\n]*training[\s\S]*iteration 150\/300/.test(stderr)) child.kill('SIGKILL');
        });
        child.on('exit', (code, signal) =>
          signal === 'SIGKILL' ? resolve() : reject(new Error(`exited ${code}: ${stderr}`)),
        );
      });
      const [dir] = readdirSync(killed).filter((d) => !d.startsWith('.'));
      assert.ok(
        existsSync(join(killed, dir, 'trial-0', 'level-01', 'ticket', 'checkpoint.json')),
        'a checkpoint was left',
      );
      const b = cli(['lottery', ...COMMON, '--runs-dir', killed]);
      assert.equal(b.status, 0, b.stderr);
      assert.match(b.stderr, /level 0 ticket[^\n]*done already, skipped/);
      assert.match(b.stderr, /resuming at iteration (100|150)/);
      assert.deepEqual(resultsOf(killed), resultsOf(straight));
    } finally {
      rmSync(straight, { recursive: true, force: true });
      rmSync(killed, { recursive: true, force: true });
    }
  },
);

test(
  'runs show --json lists trial, level, condition, fraction remaining, early stop, accuracies and curves',
  { skip },
  () => {
    const runs = mkdtempSync(join(tmpdir(), 'ticketlab-cli-'));
    try {
      const r = cli([
        'lottery',
        '--iterations',
        '100',
        '--eval-every',
        '50',
        '--levels',
        '1',
        '--controls',
        'random-reinit,random-prune',
        '--runs-dir',
        runs,
      ]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /random-prune/);
      const results = resultsOf(runs);
      assert.deepEqual(
        results.map((x: { level: number; condition: string }) => `${x.level}:${x.condition}`).sort(),
        ['0:ticket', '1:random-prune', '1:random-reinit', '1:ticket'],
      );
      for (const x of results) {
        for (const field of [
          'trial',
          'fractionRemaining',
          'earlyStopIteration',
          'testAccuracyAtEarlyStop',
          'finalTestAccuracy',
        ]) {
          assert.equal(typeof x[field], 'number', field);
        }
        assert.deepEqual(
          x.curve.map((p: { iteration: number }) => p.iteration),
          [0, 50, 100],
        );
      }
      // learning happened: MNIST after 100 Adam steps is far above chance
      assert.ok(results[0].finalTestAccuracy > 0.85, `accuracy ${results[0].finalTestAccuracy}`);
      const list = cli(['runs', 'list', '--runs-dir', runs]);
      // columns: run, model, dataset, levels done, units done, states, ... (issue 11)
      assert.match(list.stdout, /\s4\/4\s+4 done\s/);
      // the sparsest ticket exports as a standalone ONNX model that any runtime can load
      const [dir] = readdirSync(runs).filter((d) => !d.startsWith('.'));
      const out = join(runs, 'ticket.onnx');
      const exported = cli(['export', join(runs, dir), '--out', out]);
      assert.equal(exported.status, 0, exported.stderr);
      assert.match(exported.stdout, /80\.0\d% of weights remaining, matches the engine/);
      assert.ok(existsSync(out));
    } finally {
      rmSync(runs, { recursive: true, force: true });
    }
  },
);

test('users’ mistakes get one clear message and a non-zero exit, no stack trace', () => {
  const cases: [string[], RegExp][] = [
    [['lottery', '--model', 'resnet9000'], /Allowed choices are lenet300/],
    [['lottery', '--iterations', 'ten'], /expected an integer/],
    [['lottery', '--controls', 'magic'], /"magic" is not one of random-reinit, random-prune, one-shot, none/],
    [['lottery', '--bogus'], /unknown option '--bogus'/],
    [['runs', 'show', '/nonexistent/run'], /is not a run directory/],
    [['lottery', '--dataset', 'mnist', '--data-dir', '/nonexistent', '--iterations', '1'], /mnist/],
  ];
  for (const [args, pattern] of cases) {
    const r = spawnSync(process.execPath, [...ENTRY, ...args], {
      encoding: 'utf8',
      env: {
        ...env,
        TICKETLAB_DATA: '',
        TICKETLAB_RUNS: mkdtempSync(join(tmpdir(), 'ticketlab-cli-')),
        XDG_CACHE_HOME: '/nonexistent-cache',
      },
    });
    assert.notEqual(r.status, 0, args.join(' '));
    assert.match(r.stderr, pattern, args.join(' '));
    assert.doesNotMatch(r.stderr, /\n\s+at /, `stack trace for ${args.join(' ')}`);
  }
});

test('a diverging run stops with a clear message', { skip }, () => {
  const runs = mkdtempSync(join(tmpdir(), 'ticketlab-cli-'));
  try {
    const r = cli(['train', '--lr', '1e6', '--optimizer', 'sgd', '--iterations', '200', '--runs-dir', runs]);
    assert.equal(r.status, 3);
    assert.match(r.stderr, /training diverged at iteration \d+/);
    assert.match(r.stderr, /lower the learning rate/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  } finally {
    rmSync(runs, { recursive: true, force: true });
  }
});
