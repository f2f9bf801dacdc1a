/**
 * Sparsity schedules of pruning during training, each at chosen points against its formula written
 * out independently here (fasterai v0.2.4 core/schedule.py), and the window around them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  sparsityAtFraction,
  sparsityScheduleNamed,
  sparsityScheduleNames,
} from '../src/prune/sparsity-schedules/registry.js';

const shape = { initial: 0.1, final: 0.9, steps: 3 };
const at = (name: string, pos: number) => sparsityScheduleNamed(name).sparsityAt(pos, shape);
const close = (a: number, b: number, what: string) =>
  assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

test('every built-in schedule is registered, in order', () => {
  assert.deepEqual(sparsityScheduleNames(), [
    'one_shot',
    'iterative',
    'agp',
    'one_cycle',
    'cos',
    'lin',
    'dsd',
  ]);
});

test('each schedule at chosen points equals its formula', () => {
  const { initial: si, final: sf } = shape;
  const points = [0.05, 0.2, 1 / 3, 0.4, 0.5, 0.6, 2 / 3, 0.8, 0.95, 1];
  for (const p of points) {
    close(at('one_shot', p), sf, `one_shot ${p}`);
    close(at('lin', p), si + p * (sf - si), `lin ${p}`);
    close(at('agp', p), sf + (si - sf) * (1 - p) ** 3, `agp ${p}`);
    close(at('cos', p), si + ((1 + Math.cos(Math.PI * (1 - p))) * (sf - si)) / 2, `cos ${p}`);
    close(
      at('one_cycle', p),
      si + ((sf - si) * (1 + Math.exp(-14 + 6))) / (1 + Math.exp(-14 * p + 6)),
      `one_cycle ${p}`,
    );
    const dsd =
      p < 0.5
        ? si + ((1 + Math.cos(Math.PI * (1 - 2 * p))) * (sf - si)) / 2
        : sf + ((1 - Math.cos(Math.PI * (1 - 2 * p))) * (si - sf)) / 2;
    close(at('dsd', p), dsd, `dsd ${p}`);
  }
  // iterative: three equal steps, s_i + (s_f − s_i)/3·⌈3·pos⌉
  close(at('iterative', 0.05), si + (sf - si) / 3, 'iterative step 1');
  close(at('iterative', 1 / 3), si + (sf - si) / 3, 'iterative end of step 1');
  close(at('iterative', 0.34), si + (2 * (sf - si)) / 3, 'iterative step 2');
  close(at('iterative', 0.7), sf, 'iterative step 3');
  // landmarks: agp starts at s_i and ends at s_f; dsd peaks at the middle and returns to s_i
  close(at('agp', 0), si, 'agp start');
  close(at('dsd', 0.5), sf, 'dsd peak');
  close(at('dsd', 1), si, 'dsd end');
  close(at('cos', 1), sf, 'cos end');
});

test('the window: s_i before its start, the schedule inside, its end value after', () => {
  const it = sparsityScheduleNamed('iterative');
  const w = { start: 0.25, end: 1 };
  const s = { initial: 0, final: 0.5, steps: 3 };
  // the tutorial: 20 epochs, 3 steps to 50% from 25% of training → 16.67/33.33/50% from epochs 5/10/15
  const byEpoch = (e: number) => sparsityAtFraction(it, e / 20, w, s);
  assert.equal(byEpoch(5), 0);
  close(byEpoch(5.01), 0.5 / 3, 'after epoch 5');
  close(byEpoch(10), 0.5 / 3, 'epoch 10');
  close(byEpoch(10.01), 1 / 3, 'after epoch 10');
  close(byEpoch(15.01), 0.5, 'after epoch 15');
  close(byEpoch(20), 0.5, 'end');
  const agp = sparsityScheduleNamed('agp');
  close(sparsityAtFraction(agp, 0.6, { start: 0.2, end: 0.6 }, s), 0.5, 'agp at its end');
  close(sparsityAtFraction(agp, 0.9, { start: 0.2, end: 0.6 }, s), 0.5, 'agp after its end');
  close(sparsityAtFraction(agp, 0.4, { start: 0.2, end: 0.6 }, s), 0.5 - 0.5 * 0.5 ** 3, 'agp midway');
});

test('an unknown schedule gets one message listing the known ones', () => {
  assert.throws(
    () => sparsityScheduleNamed('cubic'),
    /unknown sparsity schedule "cubic" \(known: one_shot, iterative/,
  );
});
