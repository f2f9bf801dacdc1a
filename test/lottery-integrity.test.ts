/**
 * A store that repairs itself: damaged checkpoints restart their unit cleanly, a recorded unit whose
 * files are missing or damaged is computed again — that unit alone — and a diverged unit is kept,
 * recorded as diverged, and not retried as is. Each test reproduces a problem of issue 11.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLottery } from '../src/lottery/procedure.js';
import { runIdentity } from '../src/lottery/resolve.js';
import { type LevelResult, runSummarySchema } from '../src/lottery/summary.js';
import { labelRuns } from '../src/report/labels.js';
import { unitKey } from '../src/lottery/types.js';
import { RunStore, readJson } from '../src/store/index.js';
import { UserError } from '../src/util/errors.js';
import { runSmallLottery, smallConfig, smallSetup, withoutTimes } from './helpers/small-lottery.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'ticketlab-integrity-'));
const LEVEL0 = unitKey(0, 0, 'ticket');

/** Runs the lottery; the units it trained (not skipped), where each resumed, and its notices. */
async function lottery(root: string, request: Parameters<typeof smallConfig>[0], repair = false) {
  const trained: string[] = [];
  const resumedAt: (number | undefined)[] = [];
  const notices: string[] = [];
  const config = smallConfig(request);
  const { data, engine } = await smallSetup(config);
  const run = new RunStore({ root }).openRun('test', runIdentity(config), config);
  try {
    const summary = await runLottery({
      config,
      run,
      data,
      engine,
      repair,
      reporter: {
        unitStart: (u) => {
          trained.push(unitKey(u.trial, u.level, u.condition));
          resumedAt.push(u.resumedAt);
        },
        // (the synthetic data is not learned in 40 iterations: units collapse to chance, noted apart)
        notice: (m) => (/collapsed to chance/.test(m) ? undefined : notices.push(m)),
      },
    });
    return { summary, trained, resumedAt, notices, dir: run.dir };
  } finally {
    run.close();
    await engine.release();
  }
}

/** A level-0 run stopped by the test after its checkpoint at iteration 14 (of 40); its unit directory. */
async function interrupted(root: string): Promise<string> {
  const config = smallConfig(CHECKPOINTED);
  const stop = new Error('stopped by the test');
  await assert.rejects(
    runSmallLottery(root, config, {
      reporter: {
        progress: (_u, p) => {
          if (p.iteration === 20) throw stop;
        },
      },
    }),
    (e) => e === stop,
  );
  const run = new RunStore({ root }).peekRun('test', runIdentity(config))!;
  return run.path(LEVEL0);
}
// checkpoints off the epoch boundaries (10 batches an epoch), as in lottery-units.test.ts
const CHECKPOINTED = { levels: 0, iterations: 40, evalEvery: 10, checkpointEvery: 7 };

test('a damaged or deleted checkpoint restarts its unit from iteration 0 with one message, same results', async () => {
  const straight = tmp();
  const roots: string[] = [straight];
  try {
    const reference = await lottery(straight, CHECKPOINTED);
    const damage: Record<string, (unitDir: string) => void> = {
      // (a) the store's own advice for a truncated checkpoint was to delete it; both now restart
      truncated: (d) => truncateSync(join(d, 'checkpoint.safetensors'), 100),
      deleted: (d) => unlinkSync(join(d, 'checkpoint.safetensors')),
      // (c) values overwritten in place (same size, header intact): caught by the checksum
      overwritten: (d) => {
        const path = join(d, 'checkpoint.safetensors');
        const bytes = readFileSync(path);
        bytes.writeFloatLE(0.5, bytes.byteLength - 4);
        writeFileSync(path, bytes);
      },
      'unreadable checkpoint.json': (d) => writeFileSync(join(d, 'checkpoint.json'), '{"iter'),
    };
    for (const [what, harm] of Object.entries(damage)) {
      const root = tmp();
      roots.push(root);
      const unitDir = await interrupted(root);
      assert.equal((readJson(join(unitDir, 'checkpoint.json')) as { iteration: number }).iteration, 14);
      harm(unitDir);
      const again = await lottery(root, CHECKPOINTED);
      assert.deepEqual(again.trained, [LEVEL0], what);
      assert.deepEqual(again.resumedAt, [undefined], `${what}: started from iteration 0`);
      assert.equal(again.notices.length, 1, `${what}: one message (${again.notices.join(' | ')})`);
      assert.match(again.notices[0], /checkpoint cannot be resumed[\s\S]*starts again from iteration 0/);
      assert.deepEqual(
        withoutTimes(again.summary.results),
        withoutTimes(reference.summary.results),
        `${what}: the results of an uninterrupted run`,
      );
    }
    // an intact checkpoint is still resumed, silently
    const root = tmp();
    roots.push(root);
    await interrupted(root);
    const resumed = await lottery(root, CHECKPOINTED);
    assert.deepEqual(resumed.resumedAt, [14]);
    assert.deepEqual(resumed.notices, []);
    assert.deepEqual(withoutTimes(resumed.summary.results), withoutTimes(reference.summary.results));
  } finally {
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  }
});

test('a recorded unit whose final weights are deleted or masks damaged is recomputed on rerun, and only it', async () => {
  const root = tmp();
  try {
    const request = { levels: 2, controls: ['random-reinit'] as const };
    const first = await lottery(root, { ...request, controls: [...request.controls] });
    assert.equal(first.trained.length, 5);
    const run = new RunStore({ root }).loadRun(first.dir);
    // (b) a finished unit's final.safetensors deleted; another unit's mask file damaged
    unlinkSync(run.path(unitKey(0, 1, 'ticket'), 'final.safetensors'));
    const masks = run.path(unitKey(0, 2, 'random-reinit'), 'masks.safetensors');
    const bytes = readFileSync(masks);
    bytes[bytes.byteLength - 1] ^= 1;
    writeFileSync(masks, bytes);
    const damaged = run.checkUnit(unitKey(0, 1, 'ticket'));
    assert.deepEqual(damaged.problems, [`${unitKey(0, 1, 'ticket')}/final.safetensors is missing`]);
    assert.match(run.checkUnit(unitKey(0, 2, 'random-reinit')).problems.join(), /checksum/);
    const again = await lottery(root, { ...request, controls: [...request.controls] });
    // exactly the two damaged units, counted (the others, including level 2's ticket that read
    // level 1's weights when it was trained, keep their intact files)
    assert.deepEqual(again.trained, [unitKey(0, 1, 'ticket'), unitKey(0, 2, 'random-reinit')]);
    assert.equal(again.notices.length, 2);
    assert.match(again.notices[0], /final\.safetensors is missing: it is computed again/);
    assert.deepEqual(withoutTimes(again.summary.results), withoutTimes(first.summary.results));
    for (const key of run.doneKeys()) assert.deepEqual(run.checkUnit(key).problems, [], key);
    const third = await lottery(root, { ...request, controls: [...request.controls] });
    assert.deepEqual(third.trained, []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('repair recomputes damaged units of earlier, larger invocations that a plain rerun does not plan', async () => {
  const root = tmp();
  try {
    const big = await lottery(root, { levels: 2 });
    const run = new RunStore({ root }).loadRun(big.dir);
    unlinkSync(run.path(unitKey(0, 2, 'ticket'), 'best.safetensors'));
    const plain = await lottery(root, { levels: 1 });
    assert.deepEqual(plain.trained, [], 'a rerun of --levels 1 plans no level 2');
    const repaired = await lottery(root, { levels: 1 }, true);
    assert.deepEqual(repaired.trained, [unitKey(0, 2, 'ticket')]);
    assert.deepEqual(run.checkUnit(unitKey(0, 2, 'ticket')).problems, []);
    const results = readJson(run.path(unitKey(0, 2, 'ticket'), 'result.json')) as { result: LevelResult };
    const before = big.summary.results.find((r) => r.level === 2)!;
    assert.deepEqual(withoutTimes([results.result]), withoutTimes([before]));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a diverged unit keeps its curve, is recorded as diverged, blocks its dependents and is not retried', async () => {
  const root = tmp();
  try {
    const request = { levels: 1, learningRate: 1000, iterations: 40, evalEvery: 1 };
    const isDiverged = (e: unknown) =>
      e instanceof UserError &&
      e.exitCode === 3 &&
      /training diverged at iteration \d+/.test(e.message) &&
      /1 unit\(s\) that depend on it were not trained/.test(e.message) &&
      /lower the learning rate/.test(e.fix ?? '') &&
      /diverge again/.test(e.fix ?? '');
    let first: Awaited<ReturnType<typeof lottery>> | undefined;
    await assert.rejects(
      (async () => {
        first = await lottery(root, request);
      })(),
      isDiverged,
    );
    const store = new RunStore({ root });
    const run = store.loadRun(store.list()[0].dir);
    assert.equal(run.unitState(LEVEL0), 'diverged');
    const record = run.unitRecord(LEVEL0)!;
    assert.equal(record.state, 'diverged');
    const result = record.result as LevelResult;
    assert.equal(result.state, 'diverged');
    const at = result.divergence!.iteration;
    assert.ok(at >= 1 && at < 40, `diverged at ${at}`);
    // the curve up to the divergence: every evaluation before it (evalEvery 1)
    assert.deepEqual(
      result.curve.map((p) => p.iteration),
      Array.from({ length: at }, (_, i) => i),
    );
    assert.equal(run.isDone(unitKey(0, 1, 'ticket')), false);
    assert.deepEqual(run.checkUnit(LEVEL0).problems, []);
    // the same command again trains nothing and says the same
    const trained: string[] = [];
    await assert.rejects(
      runSmallLottery(root, smallConfig(request), {
        reporter: { unitStart: (u) => trained.push(unitKey(u.trial, u.level, u.condition)) },
      }),
      isDiverged,
    );
    assert.deepEqual(trained, []);
    assert.equal(first, undefined);
    assert.ok(statSync(run.path('summary.json')).isFile(), 'a summary is written for the partial run');
    // the report's input keeps the state, and its page says so
    const summary = runSummarySchema.parse(readJson(run.path('summary.json')));
    assert.equal(summary.results[0].state, 'diverged');
    assert.match(labelRuns([summary], [undefined])[0].warnings.join(), /DIVERGED: trial 0 level 0 ticket/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
