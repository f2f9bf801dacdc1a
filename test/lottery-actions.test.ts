/** Zhou et al.'s mask-1 and mask-0 actions: exact outputs, and frozen weights through training. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { TrainingEngine } from '../src/engine/engine.js';
import type { OptimizerSpec } from '../src/engine/optimizers.js';
import { applyActions, keptActions, prunedActions } from '../src/lottery/actions/registry.js';
import { stdOf } from '../src/lottery/actions/kept.js';
import type { PrunableLayer } from '../src/prune/index.js';
import { Rng } from '../src/util/rng.js';
import { blobs, mlp } from './helpers/blobs.js';

const layer: PrunableLayer = { name: 'w', kind: 'fc', shape: [10] };
const wi = Float32Array.from([0.3, -0.1, 0.7, -0.5, 0.2, -0.9, 0.4, 0.05, -0.6, 0.8]);
const wf = Float32Array.from([0.1, -0.4, 0.9, 0.5, 0.1, -1.0, 0.0, 0.3, -0.2, 0.9]);
const mask = Uint8Array.from([1, 0, 1, 1, 0, 1, 0, 0, 1, 1]); // 6 kept
const keptIdx = [0, 2, 3, 5, 8, 9];
const prunedIdx = [1, 4, 6, 7];

function kept(name: string, seed = 1): Float32Array {
  return keptActions
    .get(name)
    .apply({
      layers: [layer],
      masks: new Map([['w', mask]]),
      start: new Map([['w', wi]]),
      rng: new Rng(seed),
    })
    .get('w')!;
}
const sorted = (a: ArrayLike<number>) => Array.from(a).sort((x, y) => x - y);
const at = (a: ArrayLike<number>, idx: number[]) => idx.map((i) => a[i]);

describe('mask-1 actions', () => {
  test('reset changes nothing', () => {
    const out = applyActions('reset', 'zero', {
      layers: [layer],
      masks: new Map([['w', mask]]),
      start: new Map([['w', wi]]),
      trained: new Map(),
      rng: new Rng(1),
    });
    assert.equal(out.weights.get('w'), wi);
    assert.equal(out.frozen.size, 0);
  });

  test('random_reinit is a permutation of the whole tensor’s w_i (and not the identity)', () => {
    const out = kept('random_reinit');
    assert.deepEqual(sorted(out), sorted(wi));
    assert.notDeepEqual(Array.from(out), Array.from(wi));
    assert.notDeepEqual(Array.from(kept('random_reinit', 2)), Array.from(out));
  });

  test('random_reshuffle permutes the kept values among the kept positions only', () => {
    const out = kept('random_reshuffle');
    assert.deepEqual(sorted(at(out, keptIdx)), sorted(at(wi, keptIdx)));
    assert.deepEqual(at(out, prunedIdx), at(wi, prunedIdx));
    assert.notDeepEqual(at(out, keptIdx), at(wi, keptIdx));
  });

  test('signed_reinit and signed_reshuffle keep the sign of w_i everywhere', () => {
    const reinit = kept('signed_reinit');
    const reshuffle = kept('signed_reshuffle');
    for (let i = 0; i < 10; i++) {
      assert.equal(Math.sign(reinit[i]), Math.sign(wi[i]), `reinit ${i}`);
      assert.equal(Math.sign(reshuffle[i]), Math.sign(wi[i]), `reshuffle ${i}`);
    }
    assert.deepEqual(sorted(reinit.map(Math.abs)), sorted(wi.map(Math.abs)));
    assert.deepEqual(sorted(at(reshuffle, keptIdx).map(Math.abs)), sorted(at(wi, keptIdx).map(Math.abs)));
    assert.deepEqual(at(reshuffle, prunedIdx), at(wi, prunedIdx));
  });

  test('signed_constant is sign(w_i)·σ; rand_signed_constant permutes those; _rescaling × n/kept', () => {
    const mean = wi.reduce((a, b) => a + b, 0) / 10;
    const sigma = Math.sqrt(wi.reduce((a, b) => a + (b - mean) ** 2, 0) / 10);
    assert.equal(stdOf(wi), sigma);
    const sc = kept('signed_constant');
    assert.deepEqual(
      Array.from(sc),
      Array.from(wi, (w) => Math.fround(Math.sign(w) * sigma)),
    );
    const rsc = kept('rand_signed_constant');
    assert.deepEqual(sorted(rsc), sorted(sc));
    const scaled = kept('signed_constant_rescaling');
    assert.deepEqual(
      Array.from(scaled),
      Array.from(sc, (v) => Math.fround(v * (10 / 6))),
    );
    assert.deepEqual(
      sorted(kept('random_reinit_rescaling')),
      sorted(wi.map((v) => Math.fround(v * (10 / 6)))),
    );
    const sr = kept('signed_reinit_rescaling');
    for (let i = 0; i < 10; i++) assert.equal(Math.sign(sr[i]), Math.sign(wi[i]));
    assert.deepEqual(sorted(kept('rand_signed_constant_rescaling')), sorted(scaled));
  });
});

describe('mask-0 actions', () => {
  const ctx = (seed = 1) => ({
    layers: [layer],
    masks: new Map([['w', mask]]),
    start: new Map([['w', wi]]),
    trained: new Map([['w', wf]]),
    rng: new Rng(seed),
  });
  const frozen = (name: string) => prunedActions.get(name).apply(ctx()).frozen.get('w');
  // |w_i| > |w_f| at 0, 4, 6, 8; among pruned positions: 4, 6
  test('zero freezes nothing (0); freeze_init freezes at w_i', () => {
    assert.equal(frozen('zero'), undefined);
    assert.deepEqual(at(frozen('freeze_init')!, prunedIdx), at(wi, prunedIdx));
  });

  test('freeze_init_zero_mask: 0 where |w_i| > |w_f|, else w_i; _rev the opposite', () => {
    assert.deepEqual(at(frozen('freeze_init_zero_mask')!, prunedIdx), [wi[1], 0, 0, wi[7]]);
    // |w_i| < |w_f| at pruned 1 (0.1 < 0.4), 7 (0.05 < 0.3)
    assert.deepEqual(at(frozen('freeze_init_zero_rev')!, prunedIdx), [0, wi[4], wi[6], 0]);
  });

  test('freeze_init_zero_all also starts kept weights with |w_i| > |w_f| at 0', () => {
    const out = applyActions('reset', 'freeze_init_zero_all', ctx());
    const start = out.weights.get('w')!;
    // kept: 0 (0.3 > 0.1) and 8 (0.6 > 0.2) zeroed; 2, 3, 5, 9 keep w_i
    assert.deepEqual(at(start, keptIdx), [0, wi[2], wi[3], wi[5], 0, wi[9]]);
    assert.deepEqual(at(out.frozen.get('w')!, prunedIdx), [wi[1], 0, 0, wi[7]]);
  });

  test('freeze_init_zero_reshuffle zeroes as many pruned weights, chosen at random among the pruned', () => {
    const seen = new Set<string>();
    for (let seed = 0; seed < 20; seed++) {
      const f = prunedActions.get('freeze_init_zero_reshuffle').apply(ctx(seed)).frozen.get('w')!;
      const zeros = prunedIdx.filter((i) => f[i] === 0);
      assert.equal(zeros.length, 2);
      for (const i of prunedIdx) if (f[i] !== 0) assert.equal(f[i], wi[i]);
      seen.add(zeros.join(','));
    }
    assert.ok(seen.size > 2, `only ${[...seen]} drawn`);
  });
});

describe('frozen weights stay bit-identical through training', () => {
  const optimizers: [string, OptimizerSpec][] = [
    ['Adam', { kind: 'adam' }],
    ['SGD with momentum and weight decay', { kind: 'sgd', momentum: 0.9, weightDecay: 0.01 }],
  ];
  for (const [label, optimizer] of optimizers) {
    for (const keep of [0.5, 0.2]) {
      test(`${label}, ${keep * 100}% kept (${keep < 0.5 ? 'sparse' : 'masked'} update)`, async () => {
        const engine = await TrainingEngine.create(mlp, { batchSize: 16, optimizer, threads: 1 });
        engine.initialize(3);
        const theta0 = engine.getWeights();
        const rng = new Rng(11);
        const masks = new Map(
          [...engine.getMasks()].map(([n, m]) => [n, m.map(() => (rng.float() < keep ? 1 : 0))]),
        );
        const layers = engine.maskedParams.map((name) => ({
          name,
          kind: 'fc' as const,
          shape: [theta0.get(name)!.length],
        }));
        const { weights, frozen } = applyActions('reset', 'freeze_init', {
          layers,
          masks,
          start: theta0,
          trained: new Map(),
          rng: new Rng(1),
        });
        await engine.setMasks(masks, { frozen });
        engine.setWeights(weights);
        assert.equal(engine.sparseUpdate, keep < 0.5);
        const { x, y } = blobs(16 * 5, 4);
        for (let s = 0; s < 5; s++) {
          engine.inputBuffer.set(x.subarray(s * 16 * 16, (s + 1) * 16 * 16));
          engine.labelBuffer.set(y.subarray(s * 16, (s + 1) * 16));
          await engine.step(0.05);
        }
        const after = engine.getWeights();
        let frozenCount = 0;
        let moved = 0;
        for (const [name, m] of masks) {
          const a = after.get(name)!;
          const b = theta0.get(name)!;
          for (let i = 0; i < m.length; i++) {
            if (m[i] === 0) {
              assert.ok(Object.is(a[i], b[i]), `${name}[${i}] moved: ${b[i]} → ${a[i]}`);
              frozenCount++;
            } else if (a[i] !== b[i]) moved++;
          }
        }
        assert.ok(frozenCount > 100 && moved > 100, `${frozenCount} frozen, ${moved} moved`);
        await engine.release();
      });
    }
  }
});
