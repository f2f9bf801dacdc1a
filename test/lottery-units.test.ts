/**
 * A lottery run as a plan of leased units: asking for more levels, trials or controls computes only
 * what is missing; a unit whose holder was killed is taken over and finished by another process; two
 * processes share one run and end with the results of one; a checkpoint is never resumed under
 * another thread count.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPlan } from '../src/lottery/plan.js';
import { controls } from '../src/lottery/controls.js';
import { resets } from '../src/lottery/resets.js';
import { unitKey } from '../src/lottery/types.js';
import type { LevelResult } from '../src/lottery/summary.js';
import { inspectLease, readJson } from '../src/store/index.js';
import { UserError } from '../src/util/errors.js';
import { runLottery } from '../src/lottery/procedure.js';
import { runIdentity } from '../src/lottery/resolve.js';
import { RunStore } from '../src/store/index.js';
import type { TrainCallback } from '../src/train/types.js';
import { runSmallLottery, smallConfig, smallSetup, withoutTimes } from './helpers/small-lottery.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'ticketlab-units-'));
const keysOf = (rs: LevelResult[]) => rs.map((r) => unitKey(r.trial, r.level, r.condition));

/** Runs a lottery, returning its summary and the keys of the units it trained (not skipped). */
async function lottery(root: string, request: Parameters<typeof smallConfig>[0]) {
  const trained: string[] = [];
  const started = performance.now();
  const summary = await runSmallLottery(root, smallConfig(request), {
    reporter: { unitStart: (u) => trained.push(unitKey(u.trial, u.level, u.condition)) },
  });
  return { summary, trained, seconds: (performance.now() - started) / 1000 };
}

test('the plan: every unit after its dependencies, as the procedure needs them', () => {
  const plan = buildPlan(
    smallConfig({
      levels: 2,
      trials: 2,
      reset: 'rewind',
      rewindIteration: 10,
      controls: ['random-reinit', 'random-prune', 'one-shot'],
    }),
  );
  assert.equal(plan.units.length, 2 * (1 + 2 * 4));
  const deps = (t: number, l: number, c: string) => plan.byKey.get(unitKey(t, l, c))!.dependsOn;
  assert.deepEqual(deps(1, 0, 'ticket'), []);
  // the ticket at 2: the ticket at 1 (its weights and mask), and level 0 (θ_k)
  assert.deepEqual(deps(1, 2, 'ticket'), [unitKey(1, 0, 'ticket'), unitKey(1, 1, 'ticket')]);
  // random re-init: the ticket's mask only (its weights are a fresh draw, not θ_k)
  assert.deepEqual(deps(1, 2, 'random-reinit'), [unitKey(1, 1, 'ticket')]);
  assert.deepEqual(deps(1, 2, 'random-prune'), [unitKey(1, 0, 'ticket'), unitKey(1, 1, 'ticket')]);
  assert.deepEqual(deps(1, 2, 'one-shot'), [unitKey(1, 0, 'ticket')]);
  // reset 'none' continues from the ticket the mask came from; one-shot schedule prunes level 0
  const none = buildPlan(smallConfig({ levels: 2, reset: 'none', controls: ['one-shot'] }));
  assert.deepEqual(none.byKey.get(unitKey(0, 2, 'one-shot'))!.dependsOn, [unitKey(0, 0, 'ticket')]);
  const oneShot = buildPlan(smallConfig({ levels: 3, pruningSchedule: 'one-shot', reset: 'init' }));
  assert.deepEqual(oneShot.byKey.get(unitKey(0, 3, 'ticket'))!.dependsOn, [unitKey(0, 0, 'ticket')]);
  // plan order is the procedure's order: trial, level, ticket first
  assert.deepEqual(
    plan.units.slice(0, 5).map((u) => u.key),
    [
      unitKey(0, 0, 'ticket'),
      unitKey(0, 1, 'ticket'),
      unitKey(0, 1, 'random-reinit'),
      unitKey(0, 1, 'random-prune'),
      unitKey(0, 1, 'one-shot'),
    ],
  );
});

test('resets and controls are registries covering every name the config accepts', () => {
  assert.deepEqual(resets.names(), [
    'init',
    'rewind',
    'reinit',
    'none',
    'finetune',
    'weight-rewind',
    'lr-rewind',
  ]);
  assert.deepEqual(controls.names(), ['random-reinit', 'random-prune', 'one-shot']);
  for (const entry of [...resets.list(), ...controls.list()]) assert.ok(entry.description.length > 10);
  assert.throws(
    () => resets.get('magic'),
    (e: unknown) =>
      e instanceof UserError &&
      /unknown reset strategy "magic"/.test(e.message) &&
      /rewind/.test(e.fix ?? ''),
  );
  assert.throws(() => controls.register(controls.get('one-shot')), /already registered/);
});

test('--levels 3 then --levels 5 trains only levels 4 and 5 and ends with the results of a fresh 5', async () => {
  const [grown, fresh] = [tmp(), tmp()];
  try {
    const request = { iterations: 100, evalEvery: 50 };
    const first = await lottery(grown, { ...request, levels: 3 });
    assert.deepEqual(
      first.trained,
      [0, 1, 2, 3].map((l) => unitKey(0, l, 'ticket')),
    );
    const more = await lottery(grown, { ...request, levels: 5 });
    assert.deepEqual(more.trained, [unitKey(0, 4, 'ticket'), unitKey(0, 5, 'ticket')]);
    assert.equal(readdirSync(grown).filter((d) => !d.startsWith('.')).length, 1, 'one run directory');
    const scratch = await lottery(fresh, { ...request, levels: 5 });
    assert.equal(scratch.trained.length, 6);
    assert.deepEqual(withoutTimes(more.summary.results), withoutTimes(scratch.summary.results));
    // exact work, not wall time (the CI machine is shared and noisy): the growing run trained
    // 2 units, the fresh one 6 (both lists asserted above)
    // the summary records the invocation's full config; the directory is named by the identity
    assert.equal(more.summary.config.levels, 5);
    assert.equal(
      (readJson(join(more.summary.dir, 'identity.json')) as Record<string, unknown>).levels,
      undefined,
    );
  } finally {
    for (const r of [grown, fresh]) rmSync(r, { recursive: true, force: true });
  }
});

test('adding a trial trains only the new trial; adding a control trains only the control', async () => {
  const [grown, fresh] = [tmp(), tmp()];
  try {
    await lottery(grown, { trials: 1 });
    const moreTrials = await lottery(grown, { trials: 2 });
    assert.deepEqual(moreTrials.trained, [unitKey(1, 0, 'ticket'), unitKey(1, 1, 'ticket')]);
    const moreControls = await lottery(grown, { trials: 2, controls: ['random-prune', 'one-shot'] });
    assert.deepEqual(moreControls.trained, [
      unitKey(0, 1, 'random-prune'),
      unitKey(0, 1, 'one-shot'),
      unitKey(1, 1, 'random-prune'),
      unitKey(1, 1, 'one-shot'),
    ]);
    const scratch = await lottery(fresh, { trials: 2, controls: ['random-prune', 'one-shot'] });
    assert.equal(scratch.trained.length, 8);
    assert.deepEqual(withoutTimes(moreControls.summary.results), withoutTimes(scratch.summary.results));
    // a smaller invocation reuses the run and reports only its own units
    const fewer = await lottery(grown, { trials: 1 });
    assert.deepEqual(fewer.trained, []);
    assert.deepEqual(keysOf(fewer.summary.results), [unitKey(0, 0, 'ticket'), unitKey(0, 1, 'ticket')]);
  } finally {
    for (const r of [grown, fresh]) rmSync(r, { recursive: true, force: true });
  }
});

test('a checkpoint is not resumed under another thread count; under its own it is', async () => {
  const root = tmp();
  try {
    // checkpoints off the epoch boundaries (10 batches an epoch): BatchSampler.seek refuses a position
    // at the very end of an epoch (a bug outside this test's subject)
    const config = smallConfig({ levels: 0, iterations: 40, evalEvery: 10, checkpointEvery: 7 });
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
    await assert.rejects(
      runSmallLottery(root, config, { threads: 2 }),
      (e: unknown) =>
        e instanceof UserError &&
        /computed with 1 threads, but this process uses 2/.test(e.message) &&
        /--threads 1/.test(e.fix ?? '') &&
        /checkpoint\.json/.test(e.fix ?? ''),
    );
    let resumedAt: number | undefined;
    const summary = await runSmallLottery(root, config, {
      reporter: { unitStart: (u) => (resumedAt = u.resumedAt) },
    });
    assert.equal(resumedAt, 14); // the last checkpoint before the progress report that stopped it
    const record = readJson(join(summary.dir, unitKey(0, 0, 'ticket'), 'result.json')) as { threads: number };
    assert.equal(record.threads, 1);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a holder whose lease was taken over drops the unit; it waits, then takes it back when that lease expires', async () => {
  const [root, reference] = [tmp(), tmp()];
  try {
    const config = smallConfig({ levels: 0, iterations: 60, evalEvery: 10 });
    const events: string[] = [];
    let stolen = false;
    const summary = await runSmallLottery(root, config, {
      lease: { ttlMs: 2000, renewEveryMs: 20 },
      pollMs: 50,
      reporter: {
        unitStart: () => events.push('start'),
        leaseLost: () => events.push('lost'),
        waiting: (keys) => events.push(`waiting ${keys.join(',')}`),
        progress: (u, p) => {
          if (stolen || p.iteration !== 20) return;
          // another host judged the lease expired and took it, for a while
          stolen = true;
          const dir = readdirSync(root).find((d) => !d.startsWith('.'))!;
          const lease = {
            pid: 1,
            hostname: 'elsewhere',
            token: 'thief',
            acquiredAt: 'now',
            expiresAt: Date.now() + 1500,
          };
          writeFileSync(
            join(root, dir, unitKey(u.trial, u.level, u.condition), 'lease'),
            JSON.stringify(lease),
          );
        },
      },
    });
    assert.deepEqual(events, ['start', 'lost', `waiting ${unitKey(0, 0, 'ticket')}`, 'start']);
    const clean = await runSmallLottery(reference, config);
    assert.deepEqual(withoutTimes(summary.results), withoutTimes(clean.results));
  } finally {
    for (const r of [root, reference]) rmSync(r, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------------------
// several processes

interface Worker {
  child: ChildProcessWithoutNullStreams;
  events: Record<string, unknown>[];
  /** Resolves with the first event (from now on, or already seen) that matches. */
  waitFor(match: (e: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
}

function startWorker(args: object): Worker {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/helpers/lottery-worker.ts', JSON.stringify(args)],
    {
      cwd: process.cwd(),
    },
  );
  const events: Record<string, unknown>[] = [];
  const waiters: {
    match: (e: Record<string, unknown>) => boolean;
    resolve: (e: Record<string, unknown>) => void;
  }[] = [];
  let buffer = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.on('data', (d) => {
    buffer += d;
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const line of lines) {
      const e = JSON.parse(line) as Record<string, unknown>;
      events.push(e);
      for (const w of waiters.splice(0)) {
        if (w.match(e)) w.resolve(e);
        else waiters.push(w);
      }
    }
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      for (const w of waiters.splice(0)) w.resolve({ event: 'exit', code, stderr });
      resolve(code);
    }),
  );
  return {
    child,
    events,
    exited,
    waitFor: (match) => {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      if (child.exitCode !== null || child.signalCode !== null)
        return Promise.reject(new Error(`worker exited: ${stderr}`));
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
  };
}

const trainedBy = (w: Worker) => w.events.filter((e) => e.event === 'end').map((e) => e.key as string);
const summaryOf = (w: Worker) => w.events.find((e) => e.event === 'summary')!.results as LevelResult[];

test('a process killed while holding a unit’s lease: another takes the unit over and finishes it, same results', async () => {
  const [shared, reference] = [tmp(), tmp()];
  // checkpoints off the epoch boundaries (see the thread-count test)
  const request = { levels: 1, iterations: 60, evalEvery: 10, checkpointEvery: 7 };
  const unit = unitKey(0, 1, 'ticket');
  const workers: Worker[] = [];
  const start = (args: object) => (workers.push(startWorker(args)), workers.at(-1)!);
  try {
    const ref = start({ root: reference, request });
    // the victim stops at iteration 30 of the unit (its checkpoint at 28 written), its heartbeat running
    const victim = start({
      root: shared,
      request,
      lease: { ttlMs: 1500, renewEveryMs: 100 },
      holdAt: { key: unit, iteration: 30 },
    });
    const holding = await victim.waitFor((e) => e.event === 'holding');
    assert.equal(holding.event, 'holding', JSON.stringify(holding));
    const runDir = join(
      shared,
      readdirSync(shared).find((d) => !d.startsWith('.'))!,
    );
    const leasePath = join(runDir, unit, 'lease');
    const first = inspectLease(leasePath);
    assert.ok(first.state === 'held' && first.info?.pid === victim.child.pid, 'the victim holds the unit');
    // only the heartbeat can move the expiry now: a short lease stays held only if it is renewed
    const expiry = () => {
      const lease = inspectLease(leasePath);
      return lease.state === 'free' ? 0 : lease.info!.expiresAt;
    };
    const deadline = Date.now() + 10_000;
    while (expiry() <= first.info!.expiresAt && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    assert.ok(expiry() > first.info!.expiresAt, 'renewed while held');
    victim.child.kill('SIGKILL');
    await victim.exited;
    assert.ok(existsSync(join(runDir, unit, 'checkpoint.json')), 'a checkpoint was left behind');
    assert.equal(inspectLease(leasePath).state, 'stale', 'the dead holder’s lease is stale');
    const heir = start({ root: shared, request });
    assert.equal(await heir.exited, 0);
    assert.equal(await ref.exited, 0);
    const started = heir.events.find((e) => e.event === 'start')!;
    assert.equal(started.key, unit);
    assert.equal(Number(started.resumedAt), 28, 'resumed from the last checkpoint before the hold');
    assert.deepEqual(trainedBy(heir), [unit], 'level 0 was not trained again');
    assert.deepEqual(withoutTimes(summaryOf(heir)), withoutTimes(summaryOf(ref)));
    assert.ok(!existsSync(leasePath), 'the lease is released');
  } finally {
    // a failed assertion leaves workers running: stop them before removing what they write into
    for (const w of workers)
      if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    for (const r of [shared, reference]) rmSync(r, { recursive: true, force: true });
  }
});

test('two processes working on one run (two trials) finish it with the results of one process', async () => {
  const [shared, reference] = [tmp(), tmp()];
  const request = { trials: 2, levels: 1, controls: ['random-prune'] };
  try {
    const ref = startWorker({ root: reference, request });
    const goFile = join(shared, 'go');
    const workers = [0, 1].map(() => startWorker({ root: shared, request, goFile }));
    for (const w of workers) await w.waitFor((e) => e.event === 'ready');
    writeFileSync(goFile, '');
    for (const w of workers) assert.equal(await w.exited, 0);
    assert.equal(await ref.exited, 0);
    const [a, b] = workers.map(trainedBy);
    assert.ok(a.length > 0 && b.length > 0, `both worked: ${a} | ${b}`);
    assert.deepEqual(
      [...a, ...b].sort(),
      [...trainedBy(ref)].sort(),
      'every unit trained once, by one of them',
    );
    for (const w of workers) assert.deepEqual(withoutTimes(summaryOf(w)), withoutTimes(summaryOf(ref)));
  } finally {
    for (const r of [shared, reference]) rmSync(r, { recursive: true, force: true });
  }
});

test("a unit's training callbacks keep their state across a restart, beside the thread count", async () => {
  const root = tmp();
  try {
    const config = smallConfig({ levels: 0, iterations: 40, evalEvery: 10, checkpointEvery: 7 });
    /** A callback whose state is every iteration it has seen: a restart must not lose the first ones. */
    const counter = (seen: number[]): TrainCallback => ({
      name: 'counter',
      onIteration: (iteration) => void seen.push(iteration),
      save: (c) => void (c.callbacks!.counter = { json: [...seen] }),
      restore: (c) => void seen.splice(0, seen.length, ...((c.callbacks?.counter?.json as number[]) ?? [])),
    });
    const { data, engine } = await smallSetup(config);
    const stop = new Error('stopped by the test');
    const first: number[] = [];
    const resumed: number[] = [];
    let checkpoint: Record<string, unknown> | undefined;
    try {
      const run = () => new RunStore({ root }).openRun('test', runIdentity(config), config);
      const killed = run();
      await assert.rejects(
        runLottery({
          config,
          run: killed,
          data,
          engine,
          callbacks: () => [counter(first)],
          reporter: {
            progress: (_u, p) => {
              if (p.iteration !== 20) return;
              checkpoint = readJson(
                join(killed.unitDir(unitKey(0, 0, 'ticket')), 'checkpoint.json'),
              ) as Record<string, unknown>;
              throw stop;
            },
          },
        }),
        (e) => e === stop,
      );
      killed.close();
      // the trainer's checkpoint format, with the callback's state, and the thread count kept
      assert.equal(checkpoint?.iteration, 14);
      assert.equal(checkpoint?.threads, 1);
      assert.deepEqual(checkpoint?.callbacks, { counter: { json: first.slice(0, 15), tensors: [] } });
      const again = run();
      await runLottery({ config, run: again, data, engine, callbacks: () => [counter(resumed)] });
      again.close();
    } finally {
      await engine.release();
    }
    assert.deepEqual(
      resumed,
      Array.from({ length: 41 }, (_, i) => i),
      'the resumed callback saw iterations 0..40 once each',
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
