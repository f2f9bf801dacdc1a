// Fast tests of the lottery plan, resets and controls (no training), written to kill the mutants
// StrykerJS left alive in src/lottery/plan.ts, resets/ and controls/ (see docs/mutation.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countKept } from '../src/prune/index.js';
import { buildPlan, conditionsAt } from '../src/lottery/plan.js';
import { controls } from '../src/lottery/controls.js';
import { resets } from '../src/lottery/resets.js';
import { type Condition, type UnitContext, type UnitPosition, unitKey } from '../src/lottery/types.js';
import { smallConfig } from './helpers/small-lottery.js';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { saveWeights } from '../src/lottery/weights-io.js';
import type { WeightSet } from '../src/lottery/types.js';

const key = unitKey;

test('the plan: seeds per trial, positions from 1, controls only at the levels asked for', () => {
  const config = smallConfig({
    levels: 3,
    trials: 2,
    seed: 7,
    controls: ['random-reinit', 'random-prune'],
    controlLevels: { 'random-prune': [2] },
  });
  assert.deepEqual(conditionsAt(config, 0), ['ticket']);
  assert.deepEqual(conditionsAt(config, 1), ['ticket', 'random-reinit']);
  assert.deepEqual(conditionsAt(config, 2), ['ticket', 'random-reinit', 'random-prune']);
  const plan = buildPlan(config);
  assert.deepEqual(
    plan.units.map((u) => [u.index, u.key, u.seed]),
    [0, 1].flatMap((t) =>
      [
        key(t, 0, 'ticket'),
        key(t, 1, 'ticket'),
        key(t, 1, 'random-reinit'),
        key(t, 2, 'ticket'),
        key(t, 2, 'random-reinit'),
        key(t, 2, 'random-prune'),
        key(t, 3, 'ticket'),
        key(t, 3, 'random-reinit'),
      ].map((k, i) => [t * 8 + i + 1, k, 7 + t]),
    ),
  );
  assert.deepEqual(
    plan.units.map((u) => [u.trial, u.level, u.condition]),
    plan.units.map((u) => {
      const [, t, l, c] = /^trial-(\d+)\/level-(\d+)\/(.+)$/.exec(u.key)!;
      return [Number(t), Number(l), c];
    }),
  );
  assert.equal(plan.byKey.get(key(1, 2, 'random-prune')), plan.units[13]);
  // reset to θ₀: a ticket depends only on the ticket it is pruned from
  assert.deepEqual(plan.byKey.get(key(1, 3, 'ticket'))!.dependsOn, [key(1, 2, 'ticket')]);
  assert.deepEqual(plan.byKey.get(key(0, 1, 'ticket'))!.dependsOn, [key(0, 0, 'ticket')]);
});

test('the plan refuses unknown controls before any work, and a plug-in that depends on a later unit', () => {
  const config = smallConfig({ levels: 2 });
  assert.throws(() => buildPlan({ ...config, controls: ['no-such-control'] }), /unknown control/);
  assert.throws(() => buildPlan({ ...config, reset: 'no-such-reset' }), /unknown reset strategy/);
  const later: Condition = {
    name: 'test-later-dependency',
    description: 'depends on the next level (a broken plug-in)',
    sourceLevel: ({ level }) => level - 1,
    maskDependsOn: ({ trial, level }) => [key(trial, level + 1, 'ticket')],
    masks: () => new Map(),
  };
  const missing: Condition = {
    ...later,
    name: 'test-missing-dependency',
    maskDependsOn: ({ level }) => [key(99, level, 'ticket')],
  };
  controls.register(later);
  controls.register(missing);
  assert.throws(
    () => buildPlan({ ...config, controls: [later.name] }),
    /plan: trial-0\/level-01\/test-later-dependency depends on trial-0\/level-02\/ticket, which is not before it/,
  );
  assert.throws(() => buildPlan({ ...config, controls: [missing.name] }), /depends on trial-99/);
  // a dependency on itself is not "before it" either
  const self: Condition = {
    ...later,
    name: 'test-self-dependency',
    maskDependsOn: ({ trial, level }) => [key(trial, level, 'test-self-dependency')],
  };
  controls.register(self);
  assert.throws(() => buildPlan({ ...config, controls: [self.name] }), /not before it/);
});

test('resets: what each one reads (θ₀: nothing; θ_k: level 0; none: the source ticket) and θ₀ itself', () => {
  const position: UnitPosition = { config: smallConfig({ levels: 4 }), trial: 1, level: 3 };
  assert.deepEqual(resets.get('init').dependsOn(position, 2), []);
  assert.deepEqual(resets.get('reinit').dependsOn(position, 2), []);
  assert.deepEqual(resets.get('rewind').dependsOn(position, 2), [key(1, 0, 'ticket')]);
  assert.deepEqual(resets.get('none').dependsOn(position, 2), [key(1, 2, 'ticket')]);
  assert.deepEqual(resets.get('none').dependsOn(position, 0), [key(1, 0, 'ticket')]);
  const theta0 = { weights: new Map([['w', Float32Array.of(1)]]), buffers: new Map() };
  const ctx = { theta0: () => theta0 } as unknown as UnitContext;
  assert.equal(resets.get('init').startingWeights(ctx), theta0);
});

test('controls: source levels and dependencies, iterative and one-shot', () => {
  const iterative: UnitPosition = { config: smallConfig({ levels: 4 }), trial: 1, level: 3 };
  const oneShot: UnitPosition = {
    config: smallConfig({ levels: 4, pruningSchedule: 'one-shot' }),
    trial: 1,
    level: 3,
  };
  const [reinit, prune, shot] = ['random-reinit', 'random-prune', 'one-shot'].map((n) => controls.get(n));
  for (const c of [reinit, prune]) {
    assert.equal(c.sourceLevel(iterative), 2, c.name);
    assert.equal(c.sourceLevel(oneShot), 0, c.name);
    assert.deepEqual(c.maskDependsOn(iterative), [key(1, 2, 'ticket')], c.name);
    assert.deepEqual(c.maskDependsOn(oneShot), [key(1, 0, 'ticket')], c.name);
  }
  assert.equal(shot.sourceLevel(iterative), 0);
  assert.deepEqual(shot.maskDependsOn(iterative), [key(1, 0, 'ticket')]);
  assert.equal(shot.start, undefined, 'one-shot is reset like the ticket');
  assert.equal(prune.start, undefined, 'random pruning is reset like the ticket');
  assert.deepEqual(reinit.start!.dependsOn(iterative), [], 'a fresh draw reads nothing');
});

test('random-prune: the ticket’s per-layer counts at random positions, seeded by trial and level', () => {
  const ticket = new Map([
    ['a', Uint8Array.from({ length: 200 }, (_, i) => (i < 150 ? 1 : 0))],
    ['b', Uint8Array.from({ length: 100 }, (_, i) => (i % 4 === 0 ? 1 : 0))],
  ]);
  const prune = controls.get('random-prune');
  const masksAt = (seed: number, level: number) =>
    prune.masks({
      config: { granularity: 'weight' },
      seed,
      level,
      ticketMasks: () => ticket,
    } as unknown as UnitContext);
  const m = masksAt(3, 2);
  assert.equal(countKept(m.get('a')!), 150);
  assert.equal(countKept(m.get('b')!), 25);
  assert.notDeepEqual(m.get('a'), ticket.get('a'), 'not the ticket’s positions');
  assert.deepEqual(masksAt(3, 2), m, 'seeded');
  assert.notDeepEqual(masksAt(3, 1).get('a'), m.get('a'), 'another level draws anew');
  assert.notDeepEqual(masksAt(4, 2).get('a'), m.get('a'), 'another trial seed draws anew');
  const reinit = controls.get('random-reinit');
  assert.equal(reinit.masks({ ticketMasks: () => ticket } as unknown as UnitContext), ticket);
});

test('starting weights: reinit and the random-reinit control draw fresh values per level; none continues the trained ticket', () => {
  const decl = (name: string, shape: number[]) => ({
    name,
    shape,
    init: { kind: 'kaiming_uniform' as const },
    fanIn: shape[1] ?? shape[0],
    fanOut: shape[0],
  });
  const engine = {
    params: [decl('fc1.weight', [4, 3]), decl('fc1.bias', [4])],
    buffers: [{ name: 'bn.running_var', shape: [2], init: 1 }],
  };
  const dir = mkdtempSync(join(tmpdir(), 'ticketlab-starts-'));
  try {
    const trained: WeightSet = {
      weights: new Map([['fc1.weight', Float32Array.from({ length: 12 }, (_, i) => i / 10)]]),
      buffers: new Map(),
    };
    const ticketFile = join(dir, unitKey(0, 1, 'ticket'), 'final.safetensors');
    mkdirSync(dirname(ticketFile), { recursive: true });
    saveWeights(ticketFile, trained);
    const run = { path: (...parts: string[]) => join(dir, ...parts) };
    const ctx = (level: number, seed = 3) =>
      ({ engine, run, trial: 0, level, seed, sourceLevel: 1 }) as unknown as UnitContext;
    for (const start of [
      (c: UnitContext) => resets.get('reinit').startingWeights(c),
      (c: UnitContext) => controls.get('random-reinit').start!.startingWeights(c),
    ]) {
      const a = start(ctx(1));
      assert.deepEqual([...a.weights.keys()], ['fc1.weight', 'fc1.bias']);
      assert.equal(a.weights.get('fc1.weight')!.length, 12);
      assert.ok(
        a.weights.get('fc1.weight')!.some((v) => v !== 0),
        'drawn, not zero',
      );
      assert.deepEqual([...a.buffers.get('bn.running_var')!], [1, 1]);
      assert.deepEqual(start(ctx(1)).weights, a.weights, 'same seed and level: same draw');
      assert.notDeepEqual(start(ctx(2)).weights, a.weights, 'another level: another draw');
    }
    const none = resets.get('none').startingWeights(ctx(2));
    assert.deepEqual([...none.weights.get('fc1.weight')!], [...trained.weights.get('fc1.weight')!]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the one-shot control scores criteria that read initial weights against θ₀, or θ_k when rewinding', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ticketlab-oneshot-'));
  try {
    const n = 20;
    const layers = [{ name: 'fc1.weight', kind: 'fc' as const, shape: [4, 5] }];
    const set = (values: (i: number) => number): WeightSet => ({
      weights: new Map([['fc1.weight', Float32Array.from({ length: n }, (_, i) => values(i))]]),
      buffers: new Map(),
    });
    const file = (...parts: string[]) => {
      const path = join(dir, ...parts);
      mkdirSync(dirname(path), { recursive: true });
      return path;
    };
    // |w_f| = 1 everywhere: magnitude_increase prunes the 4 largest |w_i| (fc rate 20% of 20)
    saveWeights(
      file(unitKey(0, 0, 'ticket'), 'final.safetensors'),
      set(() => 1),
    );
    saveWeights(
      file('trial-0', 'init.safetensors'),
      set((i) => (i < 4 ? 0.9 : 0.1)),
    ); // θ₀: first four
    saveWeights(
      file('trial-0', 'rewind.safetensors'),
      set((i) => (i >= 16 ? 0.9 : 0.1)),
    ); // θ_k: last four
    const run = { path: (...parts: string[]) => join(dir, ...parts) };
    const prunedBy = (request: Record<string, unknown>) => {
      const config = smallConfig({ strategy: 'magnitude_increase', ...request });
      const masks = controls
        .get('one-shot')
        .masks({ config, run, layers, trial: 0, level: 1, seed: 1 } as unknown as UnitContext);
      const m = masks.get('fc1.weight')!;
      return [...m.keys()].filter((i) => m[i] === 0);
    };
    assert.deepEqual(prunedBy({ reset: 'init' }), [0, 1, 2, 3]);
    assert.deepEqual(prunedBy({ reset: 'rewind', rewindIteration: 10 }), [16, 17, 18, 19]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
