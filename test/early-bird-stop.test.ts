/**
 * Early-Bird stopping (`--early-bird-stop p`) on a real unit: a VGG-11 on a tiny imported image folder
 * (one iteration an epoch). A run that only records says from its masks at which epoch the detector of
 * ratio 0.5 fires; the stopping run stops exactly there, its final weights are the recording run's
 * weights at that iteration bit for bit and are kept as the early-bird weights; a crash and resume
 * stops at the same point with the same result; `ticketlab slim --weights early-bird|<point>` reads them
 * and refuses, with the fix, weights a unit did not keep; `runs show` and the report's early-bird.md say
 * where it stopped, the 4 distances that decided it and the iterations saved, the figure marks it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliInProcess } from './helpers/cli-in-process.js';
import { importPetsDataset } from './helpers/image-folder.js';
import { lotteryReporter } from '../src/cli/progress.js';
import { openRunFor, setUpTraining } from '../src/experiments/execute.js';
import type { LotteryRequest } from '../src/lottery/config.js';
import {
  describeEarlyBirdStop,
  earlyBirdStopDetail,
  earlyBirdStopOf,
} from '../src/lottery/early-bird-unit.js';
import { runLottery } from '../src/lottery/procedure.js';
import { resolveConfig } from '../src/lottery/resolve.js';
import { EARLY_BIRD_FILE, snapshotFile } from '../src/lottery/snapshots.js';
import type { RunSummary } from '../src/lottery/summary.js';
import { unitKey } from '../src/lottery/types.js';
import { loadWeights } from '../src/lottery/weights-io.js';
import { RunStore } from '../src/store/index.js';
import { UserError } from '../src/util/errors.js';
import { namedCallback } from '../src/train/callbacks.js';
import { MaskWindow, maskDistance } from '../src/train/early-bird.js';
import { writeEarlyBirdReport } from '../src/report/early-bird.js';
import { earlyBirdRecorder, unpackMask } from '../src/train/early-bird-record.js';
import type { TrainContext, TrainResult } from '../src/train/types.js';
import { withoutTimes } from './helpers/small-lottery.js';

const tmp = mkdtempSync(join(tmpdir(), 'ticketlab-ebstop-'));
// the imported dataset lives in this cache, for the CLI children and this process alike
process.env.XDG_CACHE_HOME = join(tmp, 'cache');
const env = { ...process.env, CI: '1' };
const cli = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/entry.ts', ...args], { encoding: 'utf8', env });

// γ all 1 at the start (every channel tied), a strong penalty and rate: the masks move for a few epochs
// and then settle, so the detector of ratio 0.5 fires well after its window is first full (epoch 4)
const base: LotteryRequest = {
  model: 'vgg11',
  dataset: 'ebpets',
  levels: 0,
  iterations: 16,
  batchSize: 15,
  validationSize: 4,
  evalEvery: 16,
  bnL1: 0.01,
  learningRate: 0.2,
  bnInit: 'one',
};
const FIRES_AT = 9;
const level0 = (s: RunSummary, file: string) => join(s.dir, unitKey(0, 0, 'ticket'), file);

async function lottery(
  root: string,
  request: LotteryRequest,
  crashAt?: number,
): Promise<{ summary: RunSummary; resumedAt?: number }> {
  const config = resolveConfig(request);
  const run = openRunFor(new RunStore({ root }), 'eb', config);
  const { data, engine } = await setUpTraining(config, { threads: 1 });
  let resumedAt: number | undefined;
  try {
    const summary = await runLottery({
      config,
      run,
      data,
      engine,
      reporter: { unitStart: (u) => (resumedAt = u.resumedAt) },
      ...(crashAt === undefined
        ? {}
        : {
            callbacks: () => [
              namedCallback('crash', (it) => {
                if (it === crashAt) throw new Error('crashed by the test');
                return 'continue';
              }),
            ],
          }),
    });
    return { summary, resumedAt };
  } finally {
    await engine.release();
    run.close();
  }
}

let recorded: RunSummary;
let stopped: RunSummary;

before(async () => {
  await importPetsDataset(cli, tmp, 'ebpets');
  recorded = (await lottery(join(tmp, 'recorded'), { ...base, earlyBird: true, saveWeightsAt: [FIRES_AT] }))
    .summary;
  stopped = (await lottery(join(tmp, 'stopped'), { ...base, earlyBirdStop: 0.5 })).summary;
});

after(() => rmSync(tmp, { recursive: true, force: true }));

test('the recorded masks say where the detector of 0.5 fires; the stopping run stops at the start of that epoch', () => {
  const record = recorded.results[0].earlyBird!;
  assert.equal(record.epochIterations, 1);
  // the first epoch whose window of 5 has the newest mask within 0.1 of the other 4, from the masks alone
  const ratio = record.ratios.find((r) => r.ratio === 0.5)!;
  const window = new MaskWindow(5, 0.1);
  let fires: number | undefined;
  ratio.masks.forEach((packed, e) => {
    window.push(e, unpackMask(packed, record.channels));
    if (fires === undefined && window.converged()) fires = e;
  });
  assert.equal(fires, FIRES_AT, 'the sequence this test was written for');
  assert.equal(ratio.firedAt, FIRES_AT);
  assert.equal(recorded.results[0].earlyBirdStop, undefined, 'recording alone never stops');
  assert.equal(recorded.results[0].curve.at(-1)!.iteration, 16);

  const unit = stopped.results[0];
  assert.deepEqual(unit.earlyBirdStop, { ratio: 0.5, epoch: FIRES_AT, iteration: FIRES_AT });
  assert.equal(unit.curve.at(-1)!.iteration, FIRES_AT, 'evaluated where it stopped, trained no further');
  assert.deepEqual(unit.earlyBird!.epochs, [...Array(FIRES_AT + 1).keys()]);
  // the weights there: the recording run's at that iteration, bit for bit, final and early-bird alike
  const atStop = loadWeights(level0(recorded, snapshotFile(FIRES_AT)));
  assert.deepEqual(loadWeights(level0(stopped, 'final.safetensors')), atStop);
  assert.deepEqual(
    readFileSync(level0(stopped, EARLY_BIRD_FILE)),
    readFileSync(level0(stopped, 'final.safetensors')),
  );
});

test('a crash before the stop: the resumed unit stops at the same epoch with the same result', async () => {
  // checkpoints at 3 and 6; the crash at 8 resumes from 6 (the detector's window comes back with it)
  const { summary, resumedAt } = await lottery(
    join(tmp, 'crashed'),
    { ...base, earlyBirdStop: 0.5, checkpointEvery: 3 },
    8,
  ).catch((e: Error) => {
    assert.match(e.message, /crashed by the test/);
    return { summary: undefined, resumedAt: undefined };
  });
  assert.equal(summary, undefined);
  assert.equal(resumedAt, undefined);
  const again = await lottery(join(tmp, 'crashed'), { ...base, earlyBirdStop: 0.5, checkpointEvery: 3 });
  assert.equal(again.resumedAt, 6);
  assert.deepEqual(again.summary.results[0].earlyBirdStop, stopped.results[0].earlyBirdStop);
  assert.deepEqual(withoutTimes(again.summary.results), withoutTimes(stopped.results));
  assert.deepEqual(
    readFileSync(level0(again.summary, 'final.safetensors')),
    readFileSync(level0(stopped, 'final.safetensors')),
  );
});

test('a synthetic sequence: the recorder stops where its ratio fires, never before the window is full', async () => {
  const records: string[] = [];
  const context = { record: (n: string) => records.push(n) } as unknown as TrainContext;
  const constant = Uint8Array.from([1, 0, 1, 0, 1, 0, 1, 0, 1, 0]);
  // stable from epoch 0 for 0.5; 0.3 keeps changing (never fires)
  const recorder = earlyBirdRecorder({
    epochIterations: 2,
    stopAt: 0.5,
    gammas: () => [],
    maskOf: (_g, p, epoch) =>
      p === 0.5 ? constant : Uint8Array.from({ length: 10 }, (_, i) => ((i + epoch) % 3 === 0 ? 1 : 0)),
  });
  let stopAt = -1;
  for (let it = 0; it <= 20 && stopAt < 0; it++)
    if ((await recorder.onIteration(it, context)) === 'stop') stopAt = it;
  assert.equal(stopAt, 8, 'epoch 4 (iteration 8): the first epoch the window of 5 is full');
  const result = { stopped: { iteration: 8, by: recorder.name } } as TrainResult;
  assert.deepEqual(earlyBirdStopOf(recorder, result, 0.5), { ratio: 0.5, epoch: 4, iteration: 8 });
  assert.equal(
    earlyBirdStopOf(recorder, { stopped: { iteration: 8, by: 'other' } } as TrainResult, 0.5),
    undefined,
  );
  assert.equal(recorder.record().ratios.find((r) => r.ratio === 0.3)!.firedAt, null);
});

test('ticketlab slim reads the early-bird weights and the kept ones; weights a unit did not keep are refused with the fix', async () => {
  const out = (name: string) => join(tmp, `${name}.onnx`);
  // main() in this process: the same command without starting Node and tsx again for each
  const cli = (args: string[]) => cliInProcess(args);
  const eb = await cli([
    'slim',
    stopped.dir,
    '--ratio',
    '0.5',
    '--weights',
    'early-bird',
    '--out',
    out('eb'),
  ]);
  assert.equal(eb.status, 0, eb.stderr);
  assert.match(eb.stdout, /from: early-bird weights of trial-0\/level-00\/ticket/);
  const kept = await cli([
    'slim',
    recorded.dir,
    '--ratio',
    '0.5',
    '--weights',
    `${FIRES_AT}ep`,
    '--out',
    out('kept'),
  ]);
  assert.equal(kept.status, 0, kept.stderr);
  assert.match(kept.stdout, new RegExp(`from: the weights of trial-0/level-00/ticket at ${FIRES_AT}ep`));
  // the same weights, the same channels kept
  const channels = (s: string) => /channels: .*/.exec(s)![0];
  assert.equal(channels(kept.stdout), channels(eb.stdout));
  const missing = await cli(['slim', recorded.dir, '--ratio', '0.5', '--weights', '5ep']);
  assert.equal(missing.status, 2);
  assert.match(
    missing.stderr,
    /kept no weights at iteration 5 \(5ep\) \(it kept iteration 9 \(9ep\)\)\n {2}fix: .*--save-weights-at 5ep/,
  );
  const noBird = await cli(['slim', recorded.dir, '--ratio', '0.5', '--weights', 'early-bird']);
  assert.equal(noBird.status, 2);
  assert.match(
    noBird.stderr,
    /has no Early-Bird weights: its training was not stopped by --early-bird-stop\n {2}fix: /,
  );
  const bad = await cli(['slim', recorded.dir, '--ratio', '0.5', '--weights', 'soon']);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /"soon" is not one of final, best, rewind, early-bird nor a point of training/);
});

test('an Early-Bird stop before the rewind point is refused for resets that restart from θ_k', async () => {
  await assert.rejects(
    lottery(join(tmp, 'rewind'), {
      ...base,
      levels: 1,
      earlyBirdStop: 0.5,
      reset: 'rewind',
      rewindIteration: 12,
    }),
    (e: unknown) =>
      e instanceof UserError &&
      /--early-bird-stop 0.5 stopped level 0 at iteration 9 \(epoch 9\), before --rewind-iteration 12/.test(
        e.message,
      ) &&
      /--rewind-iteration of at most 9/.test(e.fix ?? ''),
  );
});

test('the progress line of a stopped unit says where Early-Bird stopped it', () => {
  const written: string[] = [];
  const stream = { write: (s: string) => written.push(s), isTTY: false } as unknown as NodeJS.WriteStream;
  const info = { trial: 0, level: 0, condition: 'ticket', fractionRemaining: 1, index: 0, total: 1 };
  lotteryReporter(stream).unitEnd!(info, stopped.results[0]);
  assert.match(written.join(''), /; Early-Bird \(p = 0\.5\) stopped it at epoch 9, iteration 9\n$/);
  written.length = 0;
  lotteryReporter(stream).unitEnd!(info, recorded.results[0]);
  assert.doesNotMatch(written.join(''), /Early-Bird/);
});

test('runs show and early-bird.md say where Early-Bird stopped the unit, why, and what it saved; the figure marks it', async () => {
  const detail = earlyBirdStopDetail(stopped.results[0])!;
  assert.equal(earlyBirdStopDetail(recorded.results[0]), undefined, 'recording alone never stops');
  // the 4 distances, from the recording run's masks (the same weights up to the stop)
  const record = recorded.results[0].earlyBird!;
  const masks = record.ratios.find((r) => r.ratio === 0.5)!.masks.map((m) => unpackMask(m, record.channels));
  const previous = [FIRES_AT - 4, FIRES_AT - 3, FIRES_AT - 2, FIRES_AT - 1];
  assert.deepEqual(
    detail.distances,
    previous.map((e) => ({ epoch: e, distance: maskDistance(masks[FIRES_AT], masks[e]) })),
  );
  assert.ok(detail.distances.every((d) => d.distance <= 0.1));
  assert.deepEqual(
    { ratio: detail.ratio, epoch: detail.epoch, iteration: detail.iteration },
    { ratio: 0.5, epoch: FIRES_AT, iteration: FIRES_AT },
  );
  assert.equal(detail.scheduled, 16);
  assert.equal(detail.saved, 16 - FIRES_AT);
  const sentence = describeEarlyBirdStop(detail);
  const shownDistances = detail.distances
    .map((d) => `${d.distance === 0 ? '0' : d.distance.toFixed(3)} \\(epoch ${d.epoch}\\)`)
    .join(', ');
  assert.match(
    sentence,
    new RegExp(
      `^Early-Bird \\(p = 0\\.5\\) stopped training at the start of epoch 9, iteration 9: its channel mask was ` +
        `within 0\\.1 of each of the previous 4 \\(distances ${shownDistances}\\); 9 of the 16 scheduled ` +
        `iterations trained, 7 saved \\(43\\.8%\\)$`,
    ),
  );

  const shown = cli(['runs', 'show', stopped.dir]);
  assert.equal(shown.status, 0, shown.stderr);
  assert.ok(shown.stdout.includes(`trial 0 level 0 ticket: ${sentence}`), shown.stdout);
  const plain = cli(['runs', 'show', recorded.dir]);
  assert.equal(plain.status, 0, plain.stderr);
  assert.doesNotMatch(plain.stdout, /Early-Bird/);

  // the report: the same sentence once (only the stopped run), the stop marked on its curve figure only
  const out = join(tmp, 'report');
  const md = readFileSync((await writeEarlyBirdReport([recorded, stopped], out))!, 'utf8');
  assert.equal(md.split(sentence).length, 2, md);
  assert.ok(md.includes(`${stopped.name}, trial 0 level 0 ticket: ${sentence}.`));
  const stoppedCurve = readFileSync(join(out, 'early-bird-1-curve.svg'), 'utf8');
  assert.match(stoppedCurve, /training stopped here: epoch 9 \(p = 0\.5\)/);
  assert.match(stoppedCurve, /red dotted line: --early-bird-stop 0\.5 stopped training at epoch 9/);
  assert.doesNotMatch(readFileSync(join(out, 'early-bird-0-curve.svg'), 'utf8'), /stopped/);
});
