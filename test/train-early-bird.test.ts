/**
 * The early-bird detector on synthetic mask sequences: the FIFO of the last 5 masks, the normalized
 * Hamming distance and ε = 0.1 (inclusive), the epoch it fires at, never before the window is full,
 * and the trainer callback that stops training there and survives a checkpoint.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MaskWindow, bnChannelMask, earlyBirdDetector, maskDistance } from '../src/train/early-bird.js';
import type { TrainCheckpoint, TrainContext } from '../src/train/types.js';

const mask = (bits: string) => Uint8Array.from(bits, (b) => Number(b));

/** The epoch a window of 5 fires at for a sequence of masks (epoch i = masks[i]), or null. */
function firstFire(masks: Uint8Array[]): number | null {
  const w = new MaskWindow(5, 0.1);
  for (let e = 0; e < masks.length; e++) {
    w.push(e, masks[e]);
    if (w.converged()) return e;
  }
  return null;
}

describe('early-bird window', () => {
  test('normalized Hamming distance', () => {
    assert.equal(maskDistance(mask('1100110011'), mask('1100110011')), 0);
    assert.equal(maskDistance(mask('1100110011'), mask('0100110011')), 0.1);
    assert.equal(maskDistance(mask('1111'), mask('0000')), 1);
  });

  test('constant masks from the start fire at epoch 4 (the window is full), never before', () => {
    const m = mask('1010101010');
    assert.equal(firstFire([m, m, m, m]), null);
    assert.equal(firstFire([m, m, m, m, m, m]), 4);
  });

  test('fires at the first epoch whose window holds only masks within ε of the newest', () => {
    const a = mask('1111100000');
    const stable = mask('1010101010');
    const near = mask('1010101011'); // distance 0.1 from stable: still counts (≤ ε)
    const far = mask('1010100000'); // distance 0.2 from stable
    const other = mask('1010101110'); // 0.1 from stable, 0.2 from near
    // epochs 0–2 differ, 3 onward stable (with a near one at 5): the window 3..7 is the first all within ε
    assert.equal(firstFire([a, a, a, stable, stable, near, stable, stable, stable]), 7);
    assert.equal(firstFire([a, far, stable, stable, near, stable]), null);
    // the newest is compared with the others, not the others with each other
    assert.equal(firstFire([stable, stable, near, other, stable]), 4);
  });

  test('the distance matrix holds every pair of the window', () => {
    const w = new MaskWindow(3, 0.1);
    [mask('1100'), mask('1110'), mask('1111'), mask('0111')].forEach((m, e) => w.push(e, m));
    assert.deepEqual(w.epochs, [1, 2, 3]);
    assert.deepEqual(w.matrix(), [
      [0, 0.25, 0.5],
      [0.25, 0, 0.25],
      [0.5, 0.25, 0],
    ]);
  });

  test("the mask of ratio p: |γ| pooled over layers, the reference's threshold sorted[⌊n·p⌋], kept when above", () => {
    const gammas = [Float32Array.from([0.5, -0.1, 0.3]), Float32Array.from([-0.9, 0.2])];
    // |γ| sorted: 0.1 0.2 0.3 0.5 0.9; p = 0.5 → sorted[2] = 0.3; kept > 0.3
    assert.deepEqual([...bnChannelMask(gammas, 0.5)], [1, 0, 0, 1, 0]);
    assert.deepEqual([...bnChannelMask(gammas, 0.3)], [1, 0, 1, 1, 0]);
  });
});

describe('early-bird trainer callback', () => {
  /** A context with only what the detector reads. */
  function fakeContext(records: [string, number][]): TrainContext {
    return {
      record: (name: string, value: number) => records.push([name, value]),
    } as unknown as TrainContext;
  }
  const stableFrom = (epoch: number) => (_g: Float32Array[], p: number, e: number) =>
    e < epoch ? mask(`${e % 2}${(e + 1) % 2}`.repeat(5)) : mask(p === 0.5 ? '1100110011' : '1111100000');

  test('draws a mask every epoch (iteration 0 included), stops training when the chosen ratio fires', async () => {
    const records: [string, number][] = [];
    const detector = earlyBirdDetector({
      epochIterations: 3,
      stopAt: 0.5,
      gammas: () => [],
      maskOf: stableFrom(2),
    });
    const ctx = fakeContext(records);
    const decisions: string[] = [];
    for (let it = 0; it <= 30; it++) {
      const d = await detector.onIteration(it, ctx);
      decisions.push(d ?? 'continue');
      if (d === 'stop') break;
    }
    // stable from epoch 2: the window 2..6 is the first within ε, at iteration 18
    assert.equal(decisions.length, 19);
    assert.equal(decisions.at(-1), 'stop');
    assert.equal(detector.found.get(0.5)!.epoch, 6);
    assert.equal(detector.found.get(0.3)!.epoch, 6);
    assert.deepEqual(detector.found.get(0.5)!.epochs, [2, 3, 4, 5, 6]);
    // distances recorded once the window is full (epochs 4, 5, 6), per ratio
    assert.deepEqual(
      records.filter(([n]) => n === 'early-bird:0.5:max-distance').map(([, v]) => v),
      [0.5, 0.5, 0], // epochs 0, 1 vs the stable mask: 5 of 10 entries differ
    );
  });

  test('without stopAt it only records; a restored checkpoint continues with the same window', async () => {
    const run = async (resumeAt?: number) => {
      let detector = earlyBirdDetector({ epochIterations: 2, gammas: () => [], maskOf: stableFrom(3) });
      const ctx = fakeContext([]);
      for (let it = 0; it <= 24; it++) {
        if (it === resumeAt) {
          const c = { callbacks: {} } as unknown as TrainCheckpoint;
          detector.save!(c);
          detector = earlyBirdDetector({ epochIterations: 2, gammas: () => [], maskOf: stableFrom(3) });
          detector.restore!(JSON.parse(JSON.stringify(c)) as TrainCheckpoint);
        }
        assert.equal(await detector.onIteration(it, ctx), 'continue');
      }
      return detector.found.get(0.7)!;
    };
    const straight = await run();
    assert.equal(straight.epoch, 7);
    assert.deepEqual(await run(12), straight);
  });
});
