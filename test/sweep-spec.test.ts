/**
 * Sweep specs: grid (product), zip (paired lists), random samples from a seed and derived settings
 * expand into the requests expected; every key and value is checked through the settings table, with
 * one message naming the spec and the setting; runs are named by run identity.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseExpression, evaluate } from '../src/sweep/expression.js';
import { chooseParallelism } from '../src/sweep/parallelism.js';
import { planSweep, unitId } from '../src/sweep/plan.js';
import { expandSweep, readSweepSpec } from '../src/sweep/spec.js';
import { UserError } from '../src/util/errors.js';

const base = { model: 'lenet300', iterations: 100 };

test('grid: the product of its axes, first axis slowest', () => {
  const s = expandSweep(
    { base, grid: { 'pruning.strategy': ['magnitude', 'random'], seed: [0, 1, 2] } },
    'g',
  );
  assert.equal(s.points.length, 6);
  assert.deepEqual(
    s.points.map((p) => [p.request.strategy, p.request.seed]),
    [
      ['magnitude', 0],
      ['magnitude', 1],
      ['magnitude', 2],
      ['random', 0],
      ['random', 1],
      ['random', 2],
    ],
  );
  assert.deepEqual(s.points[0].request, {
    model: 'lenet300',
    iterations: 100,
    strategy: 'magnitude',
    seed: 0,
  });
});

test('zip: paired lists (one value of each per step), times the grid; groups multiply', () => {
  const s = expandSweep(
    { base, grid: { seed: [0, 1] }, zip: { levels: [1, 5], 'pruning.schedule': ['one-shot', 'iterative'] } },
    'z',
  );
  assert.deepEqual(
    s.points.map((p) => [p.request.seed, p.request.levels, p.request.pruningSchedule]),
    [
      [0, 1, 'one-shot'],
      [0, 5, 'iterative'],
      [1, 1, 'one-shot'],
      [1, 5, 'iterative'],
    ],
  );
  const two = expandSweep({ base, zip: [{ seed: [0, 1] }, { learningRate: [0.1, 0.2, 0.3] }] }, 'z2');
  assert.deepEqual(
    two.points.map((p) => [p.request.seed, p.request.learningRate]),
    [
      [0, 0.1],
      [0, 0.2],
      [0, 0.3],
      [1, 0.1],
      [1, 0.2],
      [1, 0.3],
    ],
  );
});

test('random samples: drawn from the seed, the same for the same seed, in range, validated', () => {
  const spec = {
    base,
    random: {
      samples: 5,
      seed: 7,
      axes: {
        learningRate: { logUniform: [1e-4, 1e-2] },
        'pruning.rates.fc': { uniform: [0.1, 0.5] },
        batchSize: { choice: [32, 60] },
        seed: { int: [0, 3] },
      },
    },
  };
  const a = expandSweep(spec, 'r').points.map((p) => p.request);
  const b = expandSweep(spec, 'r').points.map((p) => p.request);
  assert.equal(a.length, 5);
  assert.deepEqual(a, b);
  const other = expandSweep({ ...spec, random: { ...spec.random, seed: 8 } }, 'r').points.map(
    (p) => p.request,
  );
  assert.notDeepEqual(a, other);
  for (const r of a) {
    assert.ok(r.learningRate! >= 1e-4 && r.learningRate! <= 1e-2);
    assert.ok(r.rateFc! >= 0.1 && r.rateFc! <= 0.5);
    assert.ok([32, 60].includes(r.batchSize!));
    assert.ok(Number.isInteger(r.seed) && r.seed! >= 0 && r.seed! <= 3);
  }
  // random samples times the grid
  assert.equal(expandSweep({ ...spec, grid: { reset: ['init', 'reinit'] } }, 'r').points.length, 10);
});

test('derived settings: per-round rate 1 − (1 − r)^(1/rounds), output at half, from a parameter axis', () => {
  const s = expandSweep(
    {
      base,
      grid: { prune: [0.5, 0.97] },
      zip: { levels: [1, 5], 'pruning.schedule': ['one-shot', 'iterative'] },
      derived: {
        'pruning.rates.fc': '1 - (1 - prune)^(1/levels)',
        'pruning.rates.output': '(1 - (1 - prune)^(1/levels)) / 2',
      },
    },
    'd',
  );
  assert.equal(s.points.length, 4);
  const at = (i: number) => s.points[i].request;
  assert.equal(at(0).rateFc, 0.5);
  assert.equal(at(0).rateOutput, 0.25);
  const perRound = 1 - (1 - 0.97) ** (1 / 5);
  assert.equal(at(3).rateFc, perRound);
  assert.equal(at(3).rateOutput, perRound / 2);
  // after 5 rounds the fc layers keep 3%
  assert.ok(Math.abs((1 - at(3).rateFc!) ** 5 - 0.03) < 1e-12);
  assert.equal(s.points[3].values.prune, 0.97);
  // a setting not on any axis is read with its default (levels = 10)
  const d = expandSweep(
    { base, grid: { prune: [0.9] }, derived: { 'pruning.rates.fc': '1 - (1 - prune)^(1/levels)' } },
    'd',
  );
  assert.equal(d.points[0].request.rateFc, 1 - 0.1 ** (1 / 10));
  assert.equal(
    evaluate(parseExpression('2^3^2 - -1 + max(1, 4) * 2', 'x'), () => 0),
    512 + 1 + 8,
  );
});

test('mistakes: one message naming the spec, the place and the setting', () => {
  const message = (content: unknown) => {
    try {
      expandSweep(content, 'spec.yaml');
    } catch (error) {
      assert.ok(error instanceof UserError, String(error));
      return error.message;
    }
    assert.fail('expected a UserError');
  };
  assert.match(
    message({ base, grid: { 'pruning.rate.fc': [0.1] } }),
    /spec\.yaml: grid: unknown setting "pruning\.rate\.fc"/,
  );
  assert.match(
    message({ base, grid: { 'pruning.rates.fc': [0.1, 2] } }),
    /spec\.yaml: grid: pruning\.rates\.fc/,
  );
  assert.match(message({ base: { lr: 0.1 } }), /spec\.yaml: base: unknown setting "lr"/);
  assert.match(message({ base, grid: { optimizer: ['rmsprop'] } }), /optimizer\.kind|optimizer/);
  assert.match(message({ base, zip: { seed: [0, 1], levels: [1] } }), /different lengths/);
  assert.match(
    message({ base, derived: { 'pruning.rates.fc': '1 - (1 - prune' } }),
    /derived pruning\.rates\.fc: cannot read/,
  );
  assert.match(
    message({ base, grid: { prune: [2] }, derived: { 'pruning.rates.fc': '1 - (1 - prune)^(1/levels)' } }),
    /run 1: derived pruning\.rates\.fc/,
  );
  assert.match(message({ base, grid: { threads: [1, 2] } }), /threads is how units run/);
  assert.match(message({ base, axes: {} }), /spec\.yaml/);
});

test('plan: runs named by run identity; one identity is one run; unit ids are content hashes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ticketlab-sweep-'));
  try {
    const file = join(dir, 'spec.yaml');
    writeFileSync(
      file,
      'base: { iterations: 100, levels: 2 }\ngrid:\n  seed: [0, 1]\n  learningRate: [0.0012, 0.01]\n',
    );
    const plan = planSweep(readSweepSpec(file), join(dir, 'runs'));
    assert.equal(plan.runs.length, 4);
    assert.equal(plan.units.length, 4 * 3);
    // the default learning rate is left out of the identity, as for `ticketlab lottery`
    assert.deepEqual(plan.runs[0].identity, { model: 'lenet300', iterations: 100 });
    assert.equal(plan.runs[0].name, 'lenet300-mnist-lottery');
    assert.equal(plan.units[0].id, unitId(plan.runs[0].dirName, 'trial-0/level-00/ticket'));
    assert.match(plan.units[0].id, /^unit-[0-9a-f]{12}$/);
    assert.deepEqual(plan.units[1].dependsOn, [plan.units[0].id]);
    assert.equal(new Set(plan.units.map((u) => u.id)).size, plan.units.length);
    // a grid value equal to the default is the same run as leaving it out
    const same = planSweep(
      expandSweep({ base: { iterations: 100, levels: 2 }, grid: { learningRate: [0.0012] } }, 's'),
      join(dir, 'runs'),
    );
    assert.equal(same.runs[0].dirName, plan.runs[0].dirName);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the walkthrough grid (examples/sweeps): its runs and units at full and quick size', () => {
  const full = planSweep(readSweepSpec('examples/sweeps/pruning-grid.yaml'), join(tmpdir(), 'no-runs-here'));
  // 2 strategies × 7 ratios × (one-shot, iterative 5 rounds); 5 trials of 3 or 11 units (ticket + control)
  assert.equal(full.runs.length, 28);
  assert.equal(full.units.length, 14 * 5 * 3 + 14 * 5 * 11);
  const iterative97 = full.runs.find((r) => r.point.values.prune === 0.97 && r.config.levels === 5)!;
  assert.ok(Math.abs((1 - iterative97.config.pruning.rates.fc!) ** 5 - 0.03) < 1e-12);
  assert.equal(iterative97.config.pruning.rates.output, iterative97.config.pruning.rates.fc! / 2);
  const quick = planSweep(
    readSweepSpec('examples/sweeps/pruning-grid-quick.yaml'),
    join(tmpdir(), 'no-runs-here'),
  );
  assert.equal(quick.runs.length, 16);
  assert.equal(quick.units.length, 224);
});

test('parallelism: 1 thread unless given (results depend on it), workers fill the cores', () => {
  assert.deepEqual(chooseParallelism({}, 2), { workers: 2, threads: 1, cores: 2 });
  assert.deepEqual(chooseParallelism({ threads: 2 }, 2), { workers: 1, threads: 2, cores: 2 });
  assert.deepEqual(chooseParallelism({ workers: 1 }, 8), { workers: 1, threads: 1, cores: 8 });
  assert.match(chooseParallelism({ workers: 2, threads: 2 }, 2).warning ?? '', /4 threads on 2 cores/);
});
