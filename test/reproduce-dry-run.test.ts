/**
 * `ticketlab reproduce --dry-run`: it creates nothing under --runs-dir, and its counts are what the real
 * invocation then does. The real invocation is small: the pruning study's structured runs at 2 trials
 * (the sparsity training, a second run with its level-0 key that prunes one level, and the slim-retrain
 * runs of the final weights, one per trial) shrunk to a few iterations on a tiny imported image folder.
 * Before: every unit to train or copied; the real run trains and copies exactly those; after: all done,
 * and a second real call trains nothing — the two trials' slim-retrain runs (their own names and
 * directories) are both read back.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { cliInProcess } from './helpers/cli-in-process.js';
import { importPetsDataset } from './helpers/image-folder.js';
import { dryRunPreset } from '../src/experiments/dry-run.js';
import { dryRunLines } from '../src/cli/commands/reproduce-dry-run.js';
import { unitKey } from '../src/lottery/types.js';
import { Lease, readJson } from '../src/store/index.js';
import { PRESETS } from '../src/experiments/presets.js';
import type { PresetRun, SlimRetrainPresetRun } from '../src/experiments/preset-types.js';
import { runPreset } from '../src/experiments/run-preset.js';

const tmp = mkdtempSync(join(tmpdir(), 'ticketlab-dry-run-'));
process.env.XDG_CACHE_HOME = join(tmp, 'cache');
const env = { ...process.env, CI: '1' };
const cli = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/entry.ts', ...args], { encoding: 'utf8', env });

after(() => rmSync(tmp, { recursive: true, force: true }));

/** Every file and directory under `dir`, relative to it. */
function tree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((p) => relative(dir, join(dir, p)));
}

test('reproduce --dry-run of the quick pruning study: 40 units, 35 to train, 5 copied, and no file written', async () => {
  const runs = join(tmp, 'empty-runs');
  mkdirSync(runs);
  const r = await cliInProcess(['reproduce', 'resnet20-pruning-study', '--dry-run', '--runs-dir', runs]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^total: 40 units: 35 to train, 5 copied, 0 done$/m);
  assert.match(r.stdout, /^estimate: about 50-105 minutes/m);
  assert.equal(r.stdout.match(/^lottery run /gm)?.length, 8);
  assert.equal(r.stdout.match(/^slim-retrain run /gm)?.length, 5);
  assert.deepEqual(tree(runs), []);
  // a runs directory that does not exist is not created either; other kinds of preset too
  const absent = join(tmp, 'absent-runs');
  for (const args of [
    ['reproduce', 'lenet-iterative', '--dry-run'],
    ['reproduce', 'supermask', '--dry-run'],
    ['reproduce', 'pruning-grid', '--dry-run'],
  ]) {
    const d = await cliInProcess([...args, '--runs-dir', absent]);
    assert.equal(d.status, 0, d.stderr);
    assert.match(d.stdout, /dry run/);
    assert.ok(!existsSync(absent), `${args[1]} created ${absent}`);
  }
  const lenet = await cliInProcess(['reproduce', 'lenet-iterative', '--dry-run', '--runs-dir', absent]);
  assert.match(lenet.stdout, /^total: 48 units: 48 to train, 0 copied, 0 done$/m);
});

const preset = PRESETS['resnet20-pruning-study'];

/** The study's sparsity run at 2 trials, shrunk; a second run with its level-0 key pruning one level; the final weights' slim-retrain runs. */
function shrunkRuns(): { runs: PresetRun[]; slimRuns: SlimRetrainPresetRun[] } {
  const [sparsity] = preset.runs({ scale: 'quick', trials: 2 }).filter((r) => r.name.includes('-sparsity-'));
  const { saveWeightsAt: _s, ...rest } = sparsity.request;
  const request = {
    ...rest,
    dataset: 'dryrun',
    iterations: 4,
    evalEvery: 2,
    batchSize: 15,
    validationSize: 4,
    milestones: [2, 3],
  };
  const runs: PresetRun[] = [
    { ...sparsity, request },
    {
      ...sparsity,
      name: sparsity.name.replace('sparsity', 'sparsity-pruned'),
      request: { ...request, levels: 1 },
    },
  ];
  const slimRuns = preset.slimRetrainRuns!({ scale: 'quick', trials: 2 })
    .filter((r) => r.request.weights === 'final')
    .map((r) => ({
      ...r,
      request: { ...r.request, training: { iterations: 2, evalEvery: 2, milestones: [1] } },
    }));
  return { runs, slimRuns };
}

const runsDir = join(tmp, 'runs');
before(async () => {
  await importPetsDataset(cli, tmp, 'dryrun');
});

test('the dry run counts what the real run then trains and copies; after it, all done; a second call trains nothing', async () => {
  const { runs, slimRuns } = shrunkRuns();
  // the two trials' slim-retrain runs have their own names
  assert.deepEqual(
    slimRuns.map((s) => [
      s.name.replace(/^resnet20-pruning-study-slimming-|-fashion-mnist-quick$/g, ''),
      s.request.trial,
    ]),
    [
      ['prune50-epoch160-trial0', 0],
      ['prune50-epoch160-trial1', 1],
    ],
  );
  const dry = dryRunPreset(runs, slimRuns, { runsDir, threads: 1 });
  assert.deepEqual(tree(runsDir), [], 'the dry run wrote nothing');
  assert.deepEqual(dry.total, { units: 8, train: 6, copy: 2, done: 0, blocked: 0, skip: 0 });
  const planned = dry.runs.map((r) =>
    r.units.filter((u) => u.fate === 'train').map((u) => `${r.name}/${u.key}`),
  );

  let trained: string[] = [];
  const copied: string[] = [];
  const invoke = () =>
    runPreset(runs, slimRuns, {
      runsDir,
      threads: 1,
      reporter: {
        unitStart: (u) => trained.push(`${u.trial}/${u.level}/${u.condition}`),
        notice: (m) => void (/copied from run/.test(m) && copied.push(m)),
      },
      notify: () => {},
    });
  const first = await invoke();
  const lotteryTrained = trained.length;
  const slimTrained = first.slim.filter((s) => !s.reused).length;
  assert.equal(lotteryTrained + slimTrained, dry.total.train, JSON.stringify({ trained, planned }));
  assert.equal(lotteryTrained, planned.slice(0, 2).flat().length);
  assert.equal(slimTrained, 2);
  assert.equal(copied.length, dry.total.copy, copied.join('\n'));
  // two trials, two slim-retrain directories
  const slimDirs = first.slim.map((s) => s.dir);
  assert.equal(new Set(slimDirs).size, 2);
  assert.deepEqual(
    first.slim.map((s) => s.result?.seed !== undefined),
    [true, true],
  );

  const afterwards = dryRunPreset(runs, slimRuns, { runsDir, threads: 1 });
  assert.deepEqual(afterwards.total, { units: 8, train: 0, copy: 0, done: 8, blocked: 0, skip: 0 });
  assert.deepEqual(
    afterwards.runs.filter((r) => r.kind === 'slim-retrain').map((r) => r.dir),
    slimDirs,
    'the dry run names the slim-retrain directories the real run used',
  );

  trained = [];
  const again = await invoke();
  assert.deepEqual(trained, []);
  assert.deepEqual(
    again.slim.map((s) => [s.dir, s.reused]),
    slimDirs.map((d) => [d, true]),
  );
});

test('an interrupted unit: the dry run names the checkpoint it resumes from and the live process holding it', async () => {
  const dir = join(tmp, 'interrupted-runs');
  const [sparsity] = shrunkRuns().runs;
  const run: PresetRun = { ...sparsity, request: { ...sparsity.request, checkpointEvery: 1 } };
  const key = unitKey(0, 0, 'ticket');
  const stop = new Error('stopped by the test');
  await assert.rejects(
    runPreset([run], [], {
      runsDir: dir,
      threads: 1,
      reporter: {
        progress: (u, p) => {
          if (u.trial === 0 && p.iteration >= 2) throw stop;
        },
      },
      notify: () => {},
    }),
    (e) => e === stop,
  );
  const [runDir] = readdirSync(dir).filter((d) => d.startsWith(run.name));
  const unitDir = join(dir, runDir, key);
  const saved = (readJson(join(unitDir, 'checkpoint.json')) as { iteration: number }).iteration;
  assert.ok(saved > 0 && saved < 4, `checkpoint at ${saved}`);
  const unitOf = (d: ReturnType<typeof dryRunPreset>) => d.runs[0].units.find((u) => u.key === key)!;

  const dry = dryRunPreset([run], [], { runsDir: dir, threads: 1 });
  assert.deepEqual(unitOf(dry), { key, fate: 'train', resumesAt: saved });
  assert.match(dryRunLines('t', dry).join('\n'), new RegExp(`${key} \\(resumes at iteration ${saved}\\)`));

  // a live process holds it (this one): the real run would wait for it
  const lease = Lease.tryAcquire(join(unitDir, 'lease'))!;
  try {
    const held = unitOf(dryRunPreset([run], [], { runsDir: dir, threads: 1 }));
    assert.equal(held.heldBy, `pid ${process.pid} on ${hostname()}`);
    assert.match(
      dryRunLines('t', dryRunPreset([run], [], { runsDir: dir, threads: 1 })).join('\n'),
      /being trained now by pid/,
    );
  } finally {
    lease.release();
  }
  // under another thread count the real run refuses the checkpoint: the dry run says so
  const other = unitOf(dryRunPreset([run], [], { runsDir: dir, threads: 2 }));
  assert.equal(other.resumesAt, undefined);
  assert.match(other.note ?? '', new RegExp(`iteration ${saved} was computed with 1 threads.*--threads 1`));

  const resumed: number[] = [];
  await runPreset([run], [], {
    runsDir: dir,
    threads: 1,
    reporter: { unitStart: (u) => void (u.trial === 0 && u.level === 0 && resumed.push(u.resumedAt ?? 0)) },
    notify: () => {},
  });
  assert.deepEqual(resumed, [saved], 'the real run resumed where the dry run said');
});
