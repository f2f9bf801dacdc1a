/**
 * The progress bar on a terminal (issue 11, problem 7): its first frame shows the unit's real number
 * of iterations and no estimate yet (`ETA --`), never `ETA NFs` (cli-progress's formatter cutting its
 * 'INF') or `0/1`, and an estimate without progress since the last sample shows `--` too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import cliProgress from 'cli-progress';
import { formatEta, lotteryReporter } from '../src/cli/progress.js';
import type { UnitInfo } from '../src/lottery/procedure.js';
import type { LevelResult } from '../src/lottery/summary.js';
import type { TrainProgress } from '../src/train/trainer.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A terminal the test can read: what the bar draws, frame by frame. */
function fakeTerminal() {
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 200 });
  let out = '';
  stream.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return { stream: stream as unknown as NodeJS.WriteStream, output: () => out };
}

/** The frames drawn so far, without terminal control sequences. */
const frames = (raw: string) =>
  raw
    // eslint-disable-next-line no-control-regex
    .split(/\u001b\[1G/)
    // eslint-disable-next-line no-control-regex
    .map((f) => f.replace(/\u001b(\[[0-9;?]*[A-Za-z]|[78])/g, '').trim())
    .filter((f) => f.includes('|'));

test('the ETA formatter shows -- where cli-progress has no estimate', () => {
  const options = { autopaddingChar: ' ' } as cliProgress.Options;
  for (const none of ['0', 'INF', 'NULL'])
    assert.equal(formatEta(none as unknown as number, options, 5), '--');
  assert.equal(formatEta(Number.POSITIVE_INFINITY, options, 5), '--');
  assert.equal(formatEta(125, options, 5), cliProgress.Format.TimeFormat(125, options, 5));
  assert.equal(formatEta(3, options, 5), cliProgress.Format.TimeFormat(3, options, 5));
});

test('the first frame of the bar shows the unit’s iterations and ETA --, never ETA NFs', async () => {
  const saved = process.env.CI;
  delete process.env.CI; // the bar is drawn on terminals only, and never under CI
  const { stream, output } = fakeTerminal();
  try {
    const reporter = lotteryReporter(stream);
    const unit: UnitInfo = {
      trial: 0,
      level: 1,
      condition: 'ticket',
      fractionRemaining: 0.8,
      index: 2,
      total: 3,
    };
    const at = (iteration: number) => ({ iteration, iterations: 300, loss: 1 }) as TrainProgress;
    reporter.unitStart!(unit);
    reporter.progress!(unit, at(0)); // the report after the evaluation at iteration 0
    await sleep(30);
    reporter.progress!(unit, at(0)); // no progress since: cli-progress estimates 'INF'
    await sleep(250); // its timer draws the frame
    reporter.progress!(unit, at(30));
    await sleep(250);
    reporter.unitEnd!(unit, {
      earlyStopIteration: 30,
      testAccuracyAtEarlyStop: 0.9,
      finalTestAccuracy: 0.9,
      wallSeconds: 1,
    } as LevelResult);
    const drawn = frames(output());
    assert.ok(drawn.length >= 2, output());
    assert.match(drawn[0], /0\/300 \| ETA -- \|/, 'the first frame');
    for (const f of drawn) assert.doesNotMatch(f, /ETA\s*\S*(NF|LL)s|\d+\/1 \|/, f);
    assert.ok(
      drawn.some((f) => /30\/300 \| ETA +\S*\d+[hms]/.test(f)),
      `an estimate once there is progress: ${drawn.join('\n')}`,
    );
  } finally {
    if (saved !== undefined) process.env.CI = saved;
  }
});
