/**
 * Where learning-rate warmup starts (issue 12): OpenLTH's lr·min(1, it/W) from the 0-based iteration
 * (first step at rate 0) is the default; runs made before the setting existed used lr·(it+1)/W and
 * keep that rule, and their names. A new request never lands in such a run's directory, and such a
 * run is never continued under the new rule.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRunFor } from '../src/experiments/execute.js';
import { lotteryConfigSchema } from '../src/lottery/config.js';
import { resolveConfig, runIdentity } from '../src/lottery/resolve.js';
import { RunStore, hashConfig } from '../src/store/index.js';
import { learningRateAt } from '../src/train/schedule.js';
import { UserError } from '../src/util/errors.js';

test('warmup from zero (OpenLTH) and from the first step: hand values at 0, 1, W−1, W and past milestones', () => {
  const at = (warmupFrom: 'zero' | 'first-step' | undefined, it: number, milestones: number[] = []) =>
    learningRateAt(2, { warmup: 4, warmupFrom, milestones, gamma: 0.5 }, it);
  // W = 4, base 2: iterations 0, 1, W−1 = 3, W = 4
  assert.deepEqual(
    [0, 1, 3, 4].map((i) => at('zero', i)),
    [0, 0.5, 1.5, 2],
  );
  assert.deepEqual(
    [0, 1, 3, 4].map((i) => at('first-step', i)),
    [0.5, 1, 2, 2],
  );
  // a schedule without the field is one written before it existed: first-step
  assert.deepEqual(
    [0, 1, 3, 4].map((i) => at(undefined, i)),
    [0.5, 1, 2, 2],
  );
  // milestones at 2 (inside the warmup) and 6, γ = 0.5: iterations 0..7
  const its = [0, 1, 2, 3, 4, 5, 6, 7];
  assert.deepEqual(
    its.map((i) => at('zero', i, [2, 6])),
    [0, 0.5, 0.5, 0.75, 1, 1, 0.5, 0.5],
  );
  assert.deepEqual(
    its.map((i) => at('first-step', i, [2, 6])),
    [0.5, 1, 0.75, 1, 1, 1, 0.5, 0.5],
  );
  // W = 1 from zero: one step at rate 0, then the full rate; from the first step: no warmup at all
  const one = (warmupFrom: 'zero' | 'first-step', it: number) =>
    learningRateAt(0.1, { warmup: 1, warmupFrom, milestones: [], gamma: 0.1 }, it);
  assert.deepEqual([one('zero', 0), one('zero', 1)], [0, 0.1]);
  assert.deepEqual([one('first-step', 0), one('first-step', 1)], [0.1, 0.1]);
  // OpenLTH's formula, written independently: lr · min(1, it/W) · γ^(milestones passed)
  for (let it = 0; it < 30; it++) {
    const passed = [5, 12].filter((m) => it >= m).length;
    const openlth = 0.1 * Math.min(1, it / 7) * 0.1 ** passed;
    const ours = learningRateAt(0.1, { warmup: 7, warmupFrom: 'zero', milestones: [5, 12], gamma: 0.1 }, it);
    assert.ok(Math.abs(ours - openlth) <= 1e-15, `iteration ${it}: ${ours} vs ${openlth}`);
  }
});

test('--warmup-from: zero by default with warmup; refused without warmup; runs without warmup keep their names', () => {
  assert.equal(resolveConfig({ warmup: 10 }).schedule.warmupFrom, 'zero');
  assert.equal(resolveConfig({ warmup: 10, warmupFrom: 'first-step' }).schedule.warmupFrom, 'first-step');
  // without warmup it has no effect: the run stores the former rule, as every earlier run did
  const none = resolveConfig({});
  assert.equal(none.schedule.warmupFrom, 'first-step');
  assert.deepEqual(runIdentity(none), { model: 'lenet300' });
  assert.throws(
    () => resolveConfig({ warmupFrom: 'zero' }),
    (e) =>
      e instanceof UserError &&
      /--warmup-from \(schedule\.warmupFrom\) zero is refused: it applies only when schedule\.warmup is more than 0/.test(
        e.message,
      ) &&
      /add --warmup <n>/.test(e.fix ?? ''),
  );
  // the value a run's own config.json holds where it does not apply is accepted (as defaults are)
  assert.equal(resolveConfig({ warmupFrom: 'first-step' }).schedule.warmupFrom, 'first-step');
});

/** A configuration as stored before the setting existed: the resolved one without schedule.warmupFrom. */
function storedBefore(request: Parameters<typeof resolveConfig>[0]): Record<string, unknown> {
  const config = resolveConfig({ ...request, warmupFrom: 'first-step' });
  const { warmupFrom: _, ...schedule } = config.schedule;
  return { ...config, schedule };
}

test('a run stored before the setting: read as first-step; a new request gets another name; resuming it needs its rule', () => {
  const request = { model: 'lenet300', optimizer: 'sgd' as const, warmup: 10, iterations: 40 };
  const old = storedBefore(request);
  const parsed = lotteryConfigSchema.parse(old);
  assert.equal(parsed.schedule.warmupFrom, 'first-step');
  const oldName = hashConfig(runIdentity(parsed));
  assert.notEqual(hashConfig(runIdentity(resolveConfig(request))), oldName);
  assert.equal(hashConfig(runIdentity(resolveConfig({ ...request, warmupFrom: 'first-step' }))), oldName);

  const root = mkdtempSync(join(tmpdir(), 'ticketlab-warmup-from-'));
  try {
    const store = new RunStore({ root });
    // the old run's directory, as the version before this setting wrote it
    const oldDir = store.openRun('w', runIdentity(parsed), old).dir;
    // a new request (warmup from zero) opens a directory of its own, never the old one
    const fresh = openRunFor(store, 'w', resolveConfig(request));
    assert.notEqual(fresh.dir, oldDir);
    // asking for the old rule continues the old run
    assert.equal(openRunFor(store, 'w', resolveConfig({ ...request, warmupFrom: 'first-step' })).dir, oldDir);

    // a directory under the new name holding a run computed with the old rule (e.g. renamed by hand)
    // is refused, never continued with the new rule
    const other = new RunStore({ root: join(root, 'other') });
    const newIdentity = runIdentity(resolveConfig(request));
    other.openRun('w', newIdentity, old);
    assert.throws(
      () => openRunFor(other, 'w', resolveConfig(request)),
      (e) =>
        e instanceof UserError && /was made with other settings \(schedule\.warmupFrom\)/.test(e.message),
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

const DATA = process.env.TICKETLAB_DATA;
const skip = DATA ? false : 'TICKETLAB_DATA is not set: these runs train on the real MNIST';
const ENTRY = ['--import', 'tsx', 'src/cli/entry.ts'];

test(
  'through the CLI: the rule reaches training; an old run with warmup is continued only under its own rule',
  { skip },
  () => {
    const root = mkdtempSync(join(tmpdir(), 'ticketlab-warmup-cli-'));
    const lottery = (...extra: string[]) => {
      const args = ['lottery', '--levels', '0', '--iterations', '20', '--eval-every', '20'];
      const r = spawnSync(
        process.execPath,
        [...ENTRY, ...args, '--validation-size', '500', '--warmup', '10', '--threads', '1', ...extra].concat([
          '--runs-dir',
          root,
          '--json',
        ]),
        { encoding: 'utf8', env: { ...process.env, CI: '1' } },
      );
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { dir: string; results: { curve: unknown }[] };
      return { dir: out.dir, curve: JSON.stringify(out.results[0].curve) };
    };
    try {
      const before = lottery('--warmup-from', 'first-step');
      // make it a run of the version before the setting: its config.json without warmupFrom
      const configPath = join(before.dir, 'config.json');
      const stored = JSON.parse(readFileSync(configPath, 'utf8')) as { schedule: Record<string, unknown> };
      assert.equal(stored.schedule.warmupFrom, 'first-step');
      delete stored.schedule.warmupFrom;
      writeFileSync(configPath, JSON.stringify(stored));
      // the same command without --warmup-from trains anew, in another directory, to other results
      const now = lottery();
      assert.notEqual(now.dir, before.dir);
      assert.notEqual(now.curve, before.curve);
      assert.equal(readdirSync(root).length, 2);
      // with its rule named, the old run is found done: same directory, same results, nothing new
      const again = lottery('--warmup-from', 'first-step');
      assert.equal(again.dir, before.dir);
      assert.equal(again.curve, before.curve);
      assert.equal(readdirSync(root).length, 2);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  },
);
