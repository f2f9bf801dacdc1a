/**
 * Weights from earlier points of training (--save-weights-at, --mask-from) on a small LeNet lottery:
 * a snapshot holds exactly the weights of an identical run stopped at that iteration, survives a crash
 * and resume, changes nothing else (nor the run identity); level 1's mask from a snapshot is the one
 * computed by hand from it, and its @w(t−1) accuracy is measured on those weights; refusals name the fix.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunStore, loadTensors } from '../src/store/index.js';
import { loadWeights } from '../src/lottery/weights-io.js';
import { maskSourceWeights, snapshotFile } from '../src/lottery/snapshots.js';
import { resolveConfig, runIdentity } from '../src/lottery/resolve.js';
import { unitKey } from '../src/lottery/types.js';
import { UserError } from '../src/util/errors.js';
import { runSmallLottery, smallConfig, smallSetup, withoutTimes } from './helpers/small-lottery.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'ticketlab-snap-'));
const level0 = (dir: string, file: string) => join(dir, unitKey(0, 0, 'ticket'), file);
const bytes = (path: string) => readFileSync(path);

test('at the defaults every run identity stays as it was; --save-weights-at is not in it, --mask-from <point> is', () => {
  const plain = smallConfig({});
  const identity = runIdentity(plain);
  for (const key of ['saveWeightsAt', 'maskFrom', 'earlyBirdStop'])
    assert.ok(!(key in identity), `${key} in ${JSON.stringify(identity)}`);
  assert.deepEqual(runIdentity(smallConfig({ saveWeightsAt: [10, 20] })), identity);
  assert.deepEqual(runIdentity(smallConfig({ maskFrom: 'final' })), identity);
  assert.deepEqual(runIdentity(smallConfig({ maskFrom: 20 })), { ...identity, maskFrom: 20 });
  assert.deepEqual(runIdentity(smallConfig({ maskFrom: 'best' })), { ...identity, maskFrom: 'best' });
  // durations in epochs come to iterations (600 MNIST training examples less validation are not what
  // the registry counts: 59,900 / 60 = 998 iterations an epoch), and the run records what was given
  const epochs = resolveConfig({
    model: 'lenet300',
    iterations: '3ep',
    saveWeightsAt: ['1ep', 5],
    maskFrom: '2ep',
  });
  assert.deepEqual(epochs.saveWeightsAt, [916, 5]);
  assert.equal(epochs.maskFrom, 1832);
  assert.deepEqual(epochs.durations, { iterations: '3ep', saveWeightsAt: ['1ep', '5'], maskFrom: '2ep' });
});

test('a snapshot holds the weights of an identical run stopped there; the rest of the run is unchanged', async () => {
  const [withSnaps, plain, short] = [tmp(), tmp(), tmp()];
  try {
    const config = smallConfig({ levels: 0, iterations: 40, saveWeightsAt: [0, 10, 25] });
    const a = await runSmallLottery(withSnaps, config);
    const b = await runSmallLottery(plain, smallConfig({ levels: 0, iterations: 40 }));
    const c = await runSmallLottery(short, smallConfig({ levels: 0, iterations: 25, evalEvery: 20 }));
    assert.deepEqual(a.results[0].snapshots, [0, 10, 25]);
    // recording changes no result, no weights
    const { snapshots: _s, ...withoutSnaps } = withoutTimes(a.results)[0];
    assert.deepEqual(withoutSnaps, withoutTimes(b.results)[0]);
    assert.deepEqual(bytes(level0(a.dir, 'final.safetensors')), bytes(level0(b.dir, 'final.safetensors')));
    // the snapshot at 25 is the final weights (and buffers) of a 25-iteration run, bit for bit
    const snap = loadWeights(level0(a.dir, snapshotFile(25)));
    const stopped = loadWeights(level0(c.dir, 'final.safetensors'));
    assert.deepEqual(snap, stopped);
    assert.notDeepEqual(snap.weights, loadWeights(level0(a.dir, 'final.safetensors')).weights);
    // iteration 0 is θ₀, the trial's init
    assert.deepEqual(
      loadWeights(level0(a.dir, snapshotFile(0))).weights,
      loadWeights(join(a.dir, 'trial-0', 'init.safetensors')).weights,
    );
    // the snapshots are checksummed with the unit's other files
    const record = JSON.parse(readFileSync(level0(a.dir, 'result.json'), 'utf8'));
    assert.ok(Object.keys(record.files).some((f) => f.endsWith(snapshotFile(10))));
  } finally {
    for (const r of [withSnaps, plain, short]) rmSync(r, { recursive: true, force: true });
  }
});

test('a crash after a snapshot and before the next: the resumed unit keeps and rewrites them to the same bits', async () => {
  const [crashed, reference] = [tmp(), tmp()];
  try {
    // checkpoints at 7, 14, 21, 28; snapshots at 5, 18 and 33; the crash at 20 resumes from 14
    const config = smallConfig({
      levels: 0,
      iterations: 40,
      evalEvery: 10,
      checkpointEvery: 7,
      saveWeightsAt: [5, 18, 33],
    });
    const stop = new Error('stopped by the test');
    await assert.rejects(
      runSmallLottery(crashed, config, {
        reporter: {
          progress: (_u, p) => {
            if (p.iteration === 20) throw stop;
          },
        },
      }),
      (e) => e === stop,
    );
    let resumedAt: number | undefined;
    const resumed = await runSmallLottery(crashed, config, {
      reporter: { unitStart: (u) => (resumedAt = u.resumedAt) },
    });
    assert.equal(resumedAt, 14);
    const fresh = await runSmallLottery(reference, config);
    assert.deepEqual(resumed.results[0].snapshots, [5, 18, 33]);
    for (const s of [5, 18, 33])
      assert.deepEqual(
        bytes(level0(resumed.dir, snapshotFile(s))),
        bytes(level0(fresh.dir, snapshotFile(s))),
        `${s}`,
      );
    assert.deepEqual(withoutTimes(resumed.results), withoutTimes(fresh.results));
  } finally {
    for (const r of [crashed, reference]) rmSync(r, { recursive: true, force: true });
  }
});

/** Layer-wise magnitude pruning by hand: the round(rate·n) smallest |w| of a dense layer go. */
function byHand(w: Float32Array, rate: number): Uint8Array {
  const k = Math.floor(rate * w.length + 0.5);
  const order = [...w.keys()].sort((i, j) => Math.abs(w[i]) - Math.abs(w[j]) || i - j);
  const mask = new Uint8Array(w.length).fill(1);
  for (const i of order.slice(0, k)) mask[i] = 0;
  return mask;
}

test('--mask-from <point>: level 1’s mask is pruned by hand from level 0’s snapshot, and @w(t−1) is measured on it', async () => {
  const root = tmp();
  try {
    const config = smallConfig({ levels: 1, iterations: 40, maskFrom: 20 });
    const summary = await runSmallLottery(root, config);
    const snap = loadWeights(level0(summary.dir, snapshotFile(20)));
    const final = loadWeights(level0(summary.dir, 'final.safetensors'));
    const masks = loadTensors(join(summary.dir, unitKey(0, 1, 'ticket'), 'masks.safetensors'));
    const rates: Record<string, number> = { fc1: 0.2, fc2: 0.2, fc3: 0.1 };
    assert.deepEqual(
      [...masks.keys()].sort(),
      Object.keys(rates)
        .map((l) => `${l}.weight`)
        .sort(),
    );
    let differs = false;
    for (const [name, m] of masks) {
      const rate = rates[name.split('.')[0]];
      assert.deepEqual(m, byHand(snap.weights.get(name)!, rate), name);
      if (!byHand(final.weights.get(name)!, rate).every((v, i) => v === m[i])) differs = true;
    }
    assert.ok(differs, 'the mask from the snapshot is not the one from the final weights');
    // @w(t−1): the engine with the level-1 mask on the snapshot's weights
    const { data, engine } = await smallSetup(config);
    try {
      await engine.setMasks(new Map([...masks].map(([k, v]) => [k, v as Uint8Array])));
      engine.setWeights(snap.weights, snap.buffers);
      const { accuracy } = await engine.evaluate(data.test.x, data.test.y, data.test.count);
      const level1 = summary.results.find((r) => r.level === 1)!;
      assert.deepEqual(level1.beforeRetraining, { testAccuracy: accuracy, sourceLevel: 0 });
      engine.setWeights(final.weights, final.buffers);
      const onFinal = await engine.evaluate(data.test.x, data.test.y, data.test.count);
      assert.notEqual(onFinal.accuracy, accuracy, 'the final weights score otherwise, so the test can tell');
    } finally {
      await engine.release();
    }
    // best: the early-stopping weights
    const best = await runSmallLottery(root, smallConfig({ levels: 1, iterations: 40, maskFrom: 'best' }));
    const bestW = loadWeights(level0(best.dir, 'best.safetensors'));
    const bestMasks = loadTensors(join(best.dir, unitKey(0, 1, 'ticket'), 'masks.safetensors'));
    for (const [name, m] of bestMasks)
      assert.deepEqual(m, byHand(bestW.weights.get(name)!, rates[name.split('.')[0]]));
    // a snapshot that is not there is refused, naming the unit and what to do
    unlinkSync(level0(summary.dir, snapshotFile(20)));
    const run = new RunStore({ root }).loadRun(summary.dir);
    assert.throws(
      () => maskSourceWeights(config, run, 0, 0),
      (e: unknown) =>
        e instanceof UserError &&
        /--mask-from iteration 20: trial-0\/level-00\/ticket has no weights at that point/.test(e.message) &&
        /--mask-from final/.test(e.fix ?? ''),
    );
    assert.ok(existsSync(level0(summary.dir, 'final.safetensors')));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('refusals: past the end of training, with resets that retrain the final weights, with --gradual, Early-Bird stopping without BatchNorm', () => {
  const refused = (request: Parameters<typeof smallConfig>[0], message: RegExp, fix: RegExp) =>
    assert.throws(
      () => smallConfig(request),
      (e: unknown) => e instanceof UserError && message.test(e.message) && fix.test(e.fix ?? ''),
    );
  refused(
    { maskFrom: 50 },
    /^--mask-from 50 is past the end of training \(50 > 40 iterations\)$/,
    /at most 40/,
  );
  refused(
    { saveWeightsAt: [10, 41] },
    /^--save-weights-at 10,41 is past the end of training \(41 > 40 iterations\)$/,
    /at most 40/,
  );
  refused(
    { maskFrom: 'best', reset: 'finetune', rewindIteration: 0 },
    /makes no sense with --reset finetune/,
    /--reset init/,
  );
  refused({ maskFrom: 10, reset: 'none' }, /makes no sense with --reset none/, /--reset init/);
  refused({ maskFrom: 10, gradualSchedule: 'agp' }, /makes no sense with --gradual/, /--gradual out/);
  refused(
    { earlyBirdStop: 0.5 },
    /--early-bird-stop .* is refused: .*lenet300 has no BatchNorm layers/,
    /use a model with BatchNorm/,
  );
  assert.throws(
    () => resolveConfig({ model: 'vgg11', dataset: 'cifar10', earlyBirdStop: 0.4 }),
    (e: unknown) => e instanceof UserError && /0\.4 is not a watched prune ratio/.test(e.message),
  );
  assert.equal(resolveConfig({ model: 'vgg11', dataset: 'cifar10', earlyBirdStop: 0.5 }).earlyBirdStop, 0.5);
});

test('the flags: --mask-from takes a name, iterations or epochs, --save-weights-at a list; mistakes get one message', () => {
  const cli = (args: string[]) =>
    spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/entry.ts',
        'lottery',
        '--model',
        'lenet300',
        '--iterations',
        '40',
        ...args,
      ],
      { encoding: 'utf8', env: { ...process.env, CI: '1' } },
    );
  const refused = (args: string[], message: RegExp) => {
    const r = cli(args);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  };
  // digits are iterations, 1ep is 916 of lenet300's iterations (55,000 / 60)
  refused(
    ['--mask-from', '41'],
    /^ticketlab: --mask-from 41 is past the end of training \(41 > 40 iterations\)\n {2}fix: /,
  );
  refused(['--mask-from', '1ep'], /--mask-from 916 is past the end of training/);
  refused(
    ['--save-weights-at', '10,1ep'],
    /--save-weights-at 10,916 is past the end of training \(916 > 40 iterations\)/,
  );
  refused(['--mask-from', 'best', '--reset', 'none'], /--mask-from best makes no sense with --reset none/);
  const bad = cli(['--mask-from', 'soon']);
  assert.notEqual(bad.status, 0);
  assert.match(
    bad.stderr,
    /expected one of: final, best, or integer ≥ 0 \(iterations, or epochs: 30ep\), got "soon"/,
  );
});
