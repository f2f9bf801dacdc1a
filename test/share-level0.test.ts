/**
 * Level-0 sharing between runs: a run that differs from another only in how it prunes copies that
 * run's level 0 (no training step for it) and ends bit for bit as it would alone; a run that differs
 * in anything level 0 depends on trains its own; a damaged source is not used; resuming still works.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { Command } from 'commander';
import { flagValues, settingOption } from '../src/cli/settings-options.js';
import {
  LEVEL0_INDEPENDENT,
  level0Independent,
  level0Key,
  level0KeyHash,
} from '../src/lottery/level0-key.js';
import { CONFIG_LEAVES, resultSettings, runIdentity } from '../src/lottery/resolve.js';
import type { LevelResult, RunSummary } from '../src/lottery/summary.js';
import { unitKey } from '../src/lottery/types.js';
import { SHARE_SETTINGS } from '../src/spec/share-settings.js';
import { RunStore } from '../src/store/index.js';
import { runSmallLottery, smallConfig } from './helpers/small-lottery.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'ticketlab-share-'));
type Request = Parameters<typeof smallConfig>[0];

/** Runs a small lottery in `root`: its summary, the units it trained, its notices, its steps per level. */
async function lottery(root: string, request: Request, threads = 1) {
  const trained: string[] = [];
  const notices: string[] = [];
  const steps = new Map<number, number>();
  const summary = await runSmallLottery(root, smallConfig(request), {
    threads,
    reporter: {
      unitStart: (u) => trained.push(unitKey(u.trial, u.level, u.condition)),
      progress: (u) => steps.set(u.level, (steps.get(u.level) ?? 0) + 1),
      notice: (m) => notices.push(m),
    },
  });
  return { summary, trained, notices, steps };
}

/** Every tensor file of a run by its path in the run, as a sha256 of its bytes. */
function tensorFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.safetensors'))
        out[relative(dir, p)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

/** Results as a run alone would have them: no wall times, no record of where a unit was copied from. */
const comparable = (summary: RunSummary) =>
  summary.results.map(({ wallSeconds: _w, ...r }) => {
    const { sharedFrom: _s, ...provenance } = r.provenance ?? { threads: 0, ticketlab: '', onnxruntime: '' };
    return { ...r, provenance };
  });

const level0Of = (summary: RunSummary, trial = 0): LevelResult =>
  summary.results.find((r) => r.trial === trial && r.level === 0)!;

// A: iterative magnitude pruning, rewinding to θ_10. B: another criterion (one that reads w_i), other
// rates, one-shot, other mask-1 and mask-0 actions: all act at levels ≥ 1 only.
const BASE: Request = { iterations: 40, evalEvery: 20, reset: 'rewind', rewindIteration: 10, trials: 2 };
const B: Request = {
  ...BASE,
  levels: 2,
  strategy: 'large_init_large_final',
  rateFc: 0.5,
  pruningSchedule: 'one-shot',
  keptWeights: 'signed_constant',
  prunedWeights: 'freeze_init',
};

test('the level-0 key: result settings less the listed ones; pruning settings that reach level 0 stay', () => {
  const a = smallConfig(BASE);
  // every listed path names a result-affecting setting (a typo would exempt nothing)
  const resultPaths = Object.keys(resultSettings(smallConfig({ ...BASE, gradualSchedule: 'agp' })));
  for (const e of LEVEL0_INDEPENDENT)
    assert.ok(
      resultPaths.some((p) => p === e.path || p.startsWith(`${e.path}.`)),
      `${e.path} is a result setting`,
    );
  assert.equal(level0KeyHash(smallConfig(B)), level0KeyHash(a));
  for (const differs of [
    { seed: 3 },
    { learningRate: 0.002 },
    { rewindIteration: 20 },
    { gradualSchedule: 'agp', gradualSparsity: 0.5 },
    { pruneBiases: true },
    { supermask: true },
    { batchSize: 50 },
    { evalEvery: 10 },
  ] as Request[])
    assert.notEqual(
      level0KeyHash(smallConfig({ ...BASE, ...differs })),
      level0KeyHash(a),
      JSON.stringify(differs),
    );
  // pruning during level 0 uses the criterion, scope and granularity: then they are in the key
  const gradual = { ...BASE, gradualSchedule: 'agp', gradualSparsity: 0.5 } as Request;
  assert.notEqual(
    level0KeyHash(smallConfig({ ...gradual, strategy: 'random' })),
    level0KeyHash(smallConfig(gradual)),
  );
  assert.ok(level0Independent(a, 'pruning.strategy'));
  assert.ok(!level0Independent(smallConfig(gradual), 'pruning.strategy'));
  // a setting nobody listed counts: the key is every result setting not listed
  const key = level0Key(a);
  for (const leaf of CONFIG_LEAVES.filter((l) => l.setting.affectsResults)) {
    const path = leaf.path.join('.');
    if (!(path in resultSettings(a))) continue; // not in this config (another optimizer's)
    assert.equal(path in key, !level0Independent(a, path), path);
  }
  // sharing is how a run is computed, not what: it leaves the run identity alone
  assert.deepEqual(runIdentity(smallConfig({ ...BASE, shareLevel0: false })), runIdentity(a));
});

test('--no-share-level0 is false when given, and absent (a config file decides) when not', () => {
  const parse = (argv: string[]) =>
    new Command()
      .exitOverride()
      .addOption(settingOption(SHARE_SETTINGS.shareLevel0))
      .parse(argv, { from: 'user' })
      .opts();
  assert.equal(flagValues('lottery', parse([])).shareLevel0, undefined);
  assert.equal(flagValues('lottery', parse(['--no-share-level0'])).shareLevel0, false);
});

test('a run differing only in pruning settings copies level 0 and ends bit-identical to the run alone', async () => {
  const [shared, alone] = [tmp(), tmp()];
  try {
    const a = await lottery(shared, { ...BASE, levels: 1 });
    assert.ok(a.trained.includes(unitKey(0, 0, 'ticket')));
    const b = await lottery(shared, B);
    // no training step for level 0 in either trial: copied
    assert.equal(b.steps.get(0), undefined);
    assert.deepEqual(
      b.trained,
      [0, 1].flatMap((t) => [unitKey(t, 1, 'ticket'), unitKey(t, 2, 'ticket')]),
    );
    for (const trial of [0, 1])
      assert.deepEqual(level0Of(b.summary, trial).provenance?.sharedFrom, {
        run: basename(a.summary.dir),
        level0Key: level0KeyHash(smallConfig(B)),
      });
    assert.ok(b.notices.some((n) => /trial 0 level 0 ticket: copied from run test-/.test(n)));
    // a copy keeps its source's training time (it is that network's) but the run's wall time counts
    // only what this run trained: the four units of levels 1 and 2
    for (const trial of [0, 1])
      assert.equal(level0Of(b.summary, trial).wallSeconds, level0Of(a.summary, trial).wallSeconds);
    const trainedHere = b.summary.results.filter((r) => r.level > 0);
    assert.equal(trainedHere.length, 4);
    assert.ok(level0Of(b.summary).wallSeconds > 0);
    assert.equal(
      b.summary.wallSeconds,
      trainedHere.reduce((sum, r) => sum + r.wallSeconds, 0),
    );
    const solo = await lottery(alone, B);
    assert.equal(solo.trained.length, 6);
    assert.ok((solo.steps.get(0) ?? 0) > 0);
    assert.deepEqual(comparable(b.summary), comparable(solo.summary));
    assert.deepEqual(tensorFiles(b.summary.dir), tensorFiles(solo.summary.dir));
    // the copied record lists the same files with the same checksums as the source's
    const record = (dir: string) =>
      JSON.parse(readFileSync(join(dir, 'trial-0', 'level-00', 'ticket', 'result.json'), 'utf8')) as {
        files: Record<string, string>;
      };
    assert.deepEqual(record(b.summary.dir).files, record(a.summary.dir).files);
    assert.ok(Object.keys(record(b.summary.dir).files).includes('trial-0/rewind.safetensors'));

    // resume: more levels train only the new ones; a copy cut short before its record is made again
    rmSync(join(b.summary.dir, 'trial-1', 'level-00', 'ticket', 'result.json'));
    const more = await lottery(shared, { ...B, levels: 3 });
    assert.deepEqual(more.trained, [unitKey(0, 3, 'ticket'), unitKey(1, 3, 'ticket')]);
    assert.equal(more.steps.get(0), undefined);
    const soloMore = await lottery(alone, { ...B, levels: 3 });
    assert.deepEqual(comparable(more.summary), comparable(soloMore.summary));
    assert.deepEqual(tensorFiles(more.summary.dir), tensorFiles(soloMore.summary.dir));
  } finally {
    rmSync(shared, { recursive: true, force: true });
    rmSync(alone, { recursive: true, force: true });
  }
});

test('a run differing in a level-0 setting, thread count or with sharing off trains its own level 0', async () => {
  const root = tmp();
  try {
    const one = { ...BASE, trials: 1, levels: 0 };
    await lottery(root, one);
    for (const differs of [
      { seed: 5 },
      { learningRate: 0.002 },
      { rewindIteration: 20 },
      { gradualSchedule: 'agp', gradualSparsity: 0.5 },
      { strategy: 'random', shareLevel0: false },
    ] as Request[]) {
      const r = await lottery(root, { ...one, ...differs });
      assert.deepEqual(r.trained, [unitKey(0, 0, 'ticket')], JSON.stringify(differs));
      assert.equal(level0Of(r.summary).provenance?.sharedFrom, undefined);
    }
    // the same settings at another thread count: float sums in another order, so not the same level 0
    const threads = await lottery(root, { ...one, strategy: 'large_final' }, 2);
    assert.deepEqual(threads.trained, [unitKey(0, 0, 'ticket')]);
    assert.ok(
      threads.notices.some((n) => /with 1 thread\(s\), this run uses 2/.test(n)),
      threads.notices.join('\n'),
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a damaged source is not used: the run trains level 0 itself, with the right result', async () => {
  const [root, alone] = [tmp(), tmp()];
  try {
    const one = { ...BASE, trials: 1, levels: 1 };
    const a = await lottery(root, one);
    // flip one byte of the source's trained weights (its data, past the header)
    const final = join(a.summary.dir, 'trial-0', 'level-00', 'ticket', 'final.safetensors');
    const bytes = readFileSync(final);
    bytes[bytes.length - 5] ^= 0xff;
    writeFileSync(final, bytes);
    const b = await lottery(root, { ...one, rateFc: 0.5 });
    assert.deepEqual(b.trained, [unitKey(0, 0, 'ticket'), unitKey(0, 1, 'ticket')]);
    assert.equal(level0Of(b.summary).provenance?.sharedFrom, undefined);
    assert.ok(
      b.notices.some((n) => /trained here, not copied: .*damaged level 0/.test(n)),
      b.notices.join('\n'),
    );
    const solo = await lottery(alone, { ...one, rateFc: 0.5 });
    assert.deepEqual(comparable(b.summary), comparable(solo.summary));
    assert.deepEqual(tensorFiles(b.summary.dir), tensorFiles(solo.summary.dir));
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(alone, { recursive: true, force: true });
  }
});

test('a copied level 0 alone (ticketlab train) leaves the trial’s files as training it would, θ₀ included', async () => {
  const [root, alone] = [tmp(), tmp()];
  try {
    const one = { ...BASE, trials: 1, levels: 0 };
    await lottery(root, one);
    const b = await lottery(root, { ...one, strategy: 'random' });
    assert.deepEqual(b.trained, []);
    const solo = await lottery(alone, { ...one, strategy: 'random' });
    assert.ok(Object.keys(tensorFiles(solo.summary.dir)).includes(join('trial-0', 'init.safetensors')));
    assert.deepEqual(tensorFiles(b.summary.dir), tensorFiles(solo.summary.dir));
    assert.deepEqual(comparable(b.summary), comparable(solo.summary));
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(alone, { recursive: true, force: true });
  }
});

test('a source whose level 0 another process is training now is not waited for: the run trains its own', async () => {
  const root = tmp();
  try {
    const one = { ...BASE, trials: 1, levels: 0 };
    const a = smallConfig(one);
    const source = new RunStore({ root }).openRun('test', runIdentity(a), a);
    const lease = source.tryLease(unitKey(0, 0, 'ticket'))!;
    try {
      const b = await lottery(root, { ...one, strategy: 'random' });
      assert.deepEqual(b.trained, [unitKey(0, 0, 'ticket')]);
      assert.ok(
        b.notices.some((n) => /is training its level 0 now/.test(n)),
        b.notices.join('\n'),
      );
    } finally {
      lease.release();
      source.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
