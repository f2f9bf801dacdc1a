/**
 * Early-Bird in the report: the recorder keeps every epoch's channel mask (packed, surviving a
 * checkpoint), and the figure data computed from it on a synthetic mask sequence — the epochs × epochs
 * distance matrix, the curve of the largest distance to the previous 4 masks, the threshold and the
 * epoch the detector fired at — are what the sequence gives by hand. The report files are written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { earlyBirdRecorder, packMask, unpackMask } from '../src/train/early-bird-record.js';
import type { TrainCheckpoint, TrainContext } from '../src/train/types.js';
import {
  detectorCurveSpec,
  distanceMatrixSpec,
  earlyBirdFigureData,
  writeEarlyBirdReport,
} from '../src/report/early-bird.js';
import type { RunSummary } from '../src/lottery/summary.js';

const mask = (bits: string) => Uint8Array.from(bits, (b) => Number(b));
const ctx = { record: () => {} } as unknown as TrainContext;

// ratio 0.5: epochs 0-2 far apart, 3 onward the stable mask with a near one (distance 0.1) at epoch 5
const sequence = [
  '1111100000',
  '0000011111',
  '1100011100',
  '1010101010',
  '1010101010',
  '1010101011',
  '1010101010',
  '1010101010',
  '1010101010',
].map(mask);
const maskOf = (_g: Float32Array[], p: number, epoch: number) =>
  p === 0.5 ? sequence[epoch] : mask('1111100000');

async function recordEpochs(resumeAt?: number) {
  let rec = earlyBirdRecorder({ epochIterations: 2, ratios: [0.3, 0.5], gammas: () => [], maskOf });
  for (let it = 0; it <= 2 * (sequence.length - 1); it++) {
    if (it === resumeAt) {
      const c = { callbacks: {} } as unknown as TrainCheckpoint;
      rec.save!(c);
      rec = earlyBirdRecorder({ epochIterations: 2, ratios: [0.3, 0.5], gammas: () => [], maskOf });
      rec.restore!(JSON.parse(JSON.stringify(c)) as TrainCheckpoint);
    }
    await rec.onIteration(it, ctx);
  }
  return rec;
}

test('masks pack to bits and back', () => {
  for (const bits of ['1', '10110', '1010101011', '111111110000000011']) {
    assert.deepEqual(unpackMask(packMask(mask(bits)), bits.length), mask(bits));
  }
});

test('the recorder keeps every epoch’s mask, and a restored checkpoint records the same', async () => {
  const rec = await recordEpochs();
  const record = rec.record();
  assert.deepEqual(record.epochs, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(record.channels, 10);
  assert.equal(record.ratios[1].masks.length, 9);
  assert.deepEqual(unpackMask(record.ratios[1].masks[5], 10), sequence[5]);
  assert.equal(record.ratios[1].firedAt, 7); // window 3..7: all within 0.1 of the newest
  assert.equal(record.ratios[0].firedAt, 4); // constant: as soon as the window is full
  assert.deepEqual((await recordEpochs(7)).record(), record);
});

test('figure data of a synthetic sequence: the distance matrix, the detector curve, its firing epoch', async () => {
  const record = (await recordEpochs()).record();
  const d = earlyBirdFigureData(record, 0.5);
  assert.equal(d.matrix.length, 9);
  assert.equal(d.matrix[0][1], 1); // complementary masks
  assert.equal(d.matrix[0][3], 0.4); // 1111100000 vs 1010101010: 4 of 10 differ
  assert.equal(d.matrix[3][5], 0.1);
  assert.equal(d.matrix[5][3], 0.1);
  assert.equal(d.matrix[4][4], 0);
  // the curve starts once the window is full (epoch 4): max distance to epochs e−4..e−1
  assert.deepEqual(
    d.curve.map((p) => p.epoch),
    [4, 5, 6, 7, 8],
  );
  // epoch 4 vs 0..3: max(0.5, 0.5, d(2,4), 0); epoch 5: vs 1..4; 6 vs 2..5; 7 vs 3..6: 0.1; 8: 0.1
  const by = (a: number, b: number) => d.matrix[a][b];
  assert.deepEqual(
    d.curve.map((p) => p.maxDistance),
    [
      Math.max(by(4, 0), by(4, 1), by(4, 2), by(4, 3)),
      Math.max(by(5, 1), by(5, 2), by(5, 3), by(5, 4)),
      Math.max(by(6, 2), by(6, 3), by(6, 4), by(6, 5)),
      0.1,
      0.1,
    ],
  );
  assert.equal(d.threshold, 0.1);
  assert.equal(d.firedAt, 7);
  assert.equal(d.recordedFiredAt, 7);
  assert.equal(earlyBirdFigureData(record, 0.3).firedAt, 4);
  assert.throws(() => earlyBirdFigureData(record, 0.7), /no early-bird masks of ratio 0.7/);

  const heat = JSON.stringify(distanceMatrixSpec([d], 't'));
  assert.ok(heat.includes('"distance":0.1'));
  const curve = detectorCurveSpec([d], 't') as unknown as { layer: { data: { values: unknown[] } }[] };
  assert.deepEqual(curve.layer[1].data.values, [{ threshold: 0.1 }]);
  assert.deepEqual(curve.layer[2].data.values, [{ ratio: 'p = 0.5', epoch: 7, maxDistance: 0.1 }]);
});

test('ticketlab report writes early-bird.md with the figures of a run with a record', async () => {
  const record = (await recordEpochs()).record();
  const summary = {
    name: 'eb-run',
    results: [{ trial: 0, level: 0, condition: 'ticket', earlyBird: record }],
  } as unknown as RunSummary;
  const out = mkdtempSync(join(tmpdir(), 'eb-report-'));
  try {
    assert.equal(await writeEarlyBirdReport([{ ...summary, results: [] } as RunSummary], out), null);
    const path = await writeEarlyBirdReport([summary], out);
    const md = readFileSync(path!, 'utf8');
    assert.match(md, /\| eb-run \| trial 0 level 0 ticket \| 10 \| 9 \| 0\.5 \| epoch 7 \|/);
    for (const f of ['early-bird-0-distances', 'early-bird-0-curve'])
      for (const ext of ['svg', 'png']) assert.ok(existsSync(join(out, `${f}.${ext}`)), `${f}.${ext}`);
    assert.match(readFileSync(join(out, 'early-bird-0-curve.svg'), 'utf8'), /<svg/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
