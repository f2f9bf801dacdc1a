/**
 * Autodiff behaviour (accumulation, unused parameters, missing gradient rules), build-time shape
 * errors, and evidence that the gradient check catches a wrong gradient rule.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gradCheck } from './helpers/gradcheck.js';
import { gradients } from '../src/graph/autodiff.js';
import { type Backward, Graph, ShapeError, type Tensor } from '../src/graph/graph.js';
import {
  add,
  cast,
  concat,
  conv2d,
  gemm,
  linear,
  matmul,
  mul,
  reduceSum,
  scale,
  sigmoid,
  sub,
  tanh,
} from '../src/graph/ops.js';
import { Rng } from '../src/util/rng.js';
import { runGraph64 as run } from './helpers/run-graph.js';

function uniform(n: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  return new Float64Array(n).map(() => rng.float() * 2 - 1);
}

/** A Sigmoid node with a custom gradient rule (built with graph.addNode, as ops.ts does). */
function customSigmoid(x: Tensor, rule: (g: Tensor, y: Tensor) => Tensor): Tensor {
  const backward: Backward = ([g]) => [g ? rule(g, y) : undefined];
  const [y] = x.graph.addNode(
    'Sigmoid',
    [x],
    [{ name: 'custom_sigmoid', shape: x.shape, dtype: x.dtype }],
    {},
    backward,
  );
  return y;
}

describe('the gradient check catches a wrong gradient rule', () => {
  const one = (t: Tensor) => t.graph.scalar(1, t.dtype);

  test('control: the correct rule y(1 − y) passes at 1e-6', async () => {
    const [r] = await gradCheck([{ name: 'x', shape: [3, 4] }], ([x]) =>
      customSigmoid(x, (g, y) => mul(g, mul(y, sub(one(y), y)))),
    );
    assert.ok(r.maxRelativeError < 1e-6, `correct rule: ${r.maxRelativeError}`);
  });

  test('a rule missing the (1 − y) factor is detected (relative error > 1e-2)', async () => {
    const [r] = await gradCheck([{ name: 'x', shape: [3, 4] }], ([x]) =>
      customSigmoid(x, (g, y) => mul(g, y)),
    );
    assert.ok(r.maxRelativeError > 1e-2, `wrong rule went unnoticed: ${r.maxRelativeError}`);
  });

  test('a rule off by a constant factor (2·y(1 − y)) is detected', async () => {
    const [r] = await gradCheck([{ name: 'x', shape: [3, 4] }], ([x]) =>
      customSigmoid(x, (g, y) => scale(mul(g, mul(y, sub(one(y), y))), 2)),
    );
    assert.ok(r.maxRelativeError > 1e-2, `wrong rule went unnoticed: ${r.maxRelativeError}`);
  });

  test('a wrong rule deep inside a model is detected at the parameters before it', async () => {
    // linear → wrong sigmoid → linear: only w1 (upstream of the wrong rule) sees the error
    const results = await gradCheck(
      [
        { name: 'x', shape: [4, 5], check: false },
        { name: 'w1', shape: [3, 5] },
        { name: 'w2', shape: [2, 3] },
      ],
      ([x, w1, w2]) =>
        linear(
          customSigmoid(linear(x, w1), (g, y) => mul(g, y)),
          w2,
        ),
    );
    const byName = Object.fromEntries(results.map((r) => [r.name, r.maxRelativeError]));
    assert.ok(byName.w1 > 1e-2, `w1: ${byName.w1}`);
    assert.ok(byName.w2 < 1e-6, `w2: ${byName.w2}`);
  });

  test('a rule that drops the gradient (returns undefined) is detected', async () => {
    const [r] = await gradCheck([{ name: 'x', shape: [2, 3] }], ([x]) => {
      const [y] = x.graph.addNode('Sigmoid', [x], [{ name: 's', shape: x.shape, dtype: x.dtype }], {}, () => [
        undefined,
      ]);
      return y;
    });
    assert.ok(r.maxRelativeError > 1e-2, `dropped gradient went unnoticed: ${r.maxRelativeError}`);
  });
});

describe('shape errors at build time name the op and the shapes', () => {
  function expectShapeError(fn: () => unknown, ...fragments: string[]): void {
    assert.throws(fn, (e: unknown) => {
      assert.ok(e instanceof ShapeError, `expected a ShapeError, got ${String(e)}`);
      for (const f of fragments) assert.ok(e.message.includes(f), `"${e.message}" should mention "${f}"`);
      return true;
    });
  }

  test('Gemm with mismatched inner dimensions', () => {
    const g = new Graph();
    const a = g.input('a', [2, 3]);
    const b = g.input('b', [4, 5]);
    expectShapeError(() => matmul(a, b), 'Gemm', '[2, 3]', '[4, 5]');
    expectShapeError(
      () => gemm(a, g.input('bt', [5, 4]), undefined, { transB: true }),
      'Gemm',
      '[2, 3]',
      '[5, 4]',
    );
  });

  test('Gemm with a bias that does not broadcast', () => {
    const g = new Graph();
    const a = g.input('a', [2, 3]);
    const b = g.input('b', [3, 4]);
    expectShapeError(() => gemm(a, b, g.input('c', [3])), 'Gemm', '[3]', '[2, 4]');
  });

  test('Conv whose weight expects a different channel count', () => {
    const g = new Graph();
    const x = g.input('x', [1, 3, 8, 8]);
    const w = g.input('w', [4, 2, 3, 3]);
    expectShapeError(() => conv2d(x, w, undefined), 'Conv', '[4, 2, 3, 3]', '[1, 3, 8, 8]');
  });

  test('Conv with a kernel larger than the padded input, and a bad bias', () => {
    const g = new Graph();
    const x = g.input('x', [1, 1, 2, 2]);
    expectShapeError(() => conv2d(x, g.input('w', [1, 1, 3, 3]), undefined), 'Conv', 'kernel 3');
    const x2 = g.input('x2', [1, 1, 5, 5]);
    expectShapeError(
      () => conv2d(x2, g.input('w2', [2, 1, 3, 3]), g.input('b2', [3])),
      'Conv',
      'bias [3]',
      '[2]',
    );
  });

  test('Add of shapes that do not broadcast', () => {
    const g = new Graph();
    expectShapeError(() => add(g.input('a', [2, 3]), g.input('b', [4])), 'Add', '[2, 3]', '[4]');
    expectShapeError(
      () => add(g.input('c', [2, 3, 4]), g.input('d', [3, 1, 5])),
      'Add',
      '[2, 3, 4]',
      '[3, 1, 5]',
    );
  });

  test('Concat of shapes that differ off the concatenation axis', () => {
    const g = new Graph();
    expectShapeError(
      () => concat([g.input('a', [2, 3]), g.input('b', [4, 3]), g.input('c', [2, 5])], 0),
      'Concat',
      '[2, 3]',
      '[2, 5]',
    );
  });
});

describe('autodiff behaviour', () => {
  test('a tensor used twice accumulates both contributions: d(x·x)/dx = 2x', async () => {
    const g = new Graph();
    const x = g.input('x', [2, 3], 'float64');
    const [dx] = gradients(reduceSum(mul(x, x)), [x]);
    const xs = uniform(6, 1);
    const [out] = await run(g, [x], [dx], { x: xs });
    out.forEach((v, i) =>
      assert.ok(Math.abs(v - 2 * xs[i]) < 1e-15, `dx[${i}] = ${v}, expected ${2 * xs[i]}`),
    );
    // and through a gradient check, with three uses along different paths
    const [r] = await gradCheck([{ name: 'x', shape: [2, 3] }], ([t]) => add(mul(t, t), tanh(t)));
    assert.ok(r.maxRelativeError < 1e-6, `accumulated gradient: ${r.maxRelativeError}`);
  });

  test('an unused parameter gets a zero gradient of its own shape', async () => {
    const g = new Graph();
    const x = g.input('x', [2, 3], 'float64');
    const used = g.input('used', [3], 'float64');
    const unused = g.input('unused', [4, 2], 'float64');
    const loss = reduceSum(mul(x, used));
    const [dUsed, dUnused] = gradients(loss, [used, unused]);
    assert.deepEqual(dUnused.shape, [4, 2]);
    assert.equal(dUnused.dtype, 'float64');
    const xs = uniform(6, 2);
    const [a, b] = await run(g, [x, used], [dUsed, dUnused], { x: xs, used: uniform(3, 3) });
    assert.deepEqual(Array.from(b), new Array(8).fill(0));
    for (let j = 0; j < 3; j++) assert.ok(Math.abs(a[j] - (xs[j] + xs[3 + j])) < 1e-15);
  });

  test('differentiating through a node without a gradient rule is an error naming the op', () => {
    const g = new Graph();
    const x = g.input('x', [3], 'float64');
    const [floored] = g.addNode('Floor', [x], [{ name: 'floor', shape: x.shape, dtype: x.dtype }]);
    assert.throws(
      () => gradients(reduceSum(mul(floored, x)), [x]),
      (e: unknown) => e instanceof ShapeError && /Floor has no gradient rule/.test(e.message),
    );
    // a cast through an integer type is not differentiable either
    const viaInt = cast(cast(x, 'int32'), 'float64');
    assert.throws(() => gradients(reduceSum(viaInt), [x]), /Cast has no gradient rule/);
  });

  test('a node without a rule is fine when no gradient has to pass through it', async () => {
    const g = new Graph();
    const x = g.input('x', [3], 'float64');
    const w = g.input('w', [3], 'float64');
    const [floored] = g.addNode('Floor', [x], [{ name: 'floor', shape: x.shape, dtype: x.dtype }]);
    const [dw] = gradients(reduceSum(mul(floored, w)), [w]);
    const [out] = await run(g, [x, w], [dw], {
      x: Float64Array.from([1.5, -0.5, 2.25]),
      w: new Float64Array(3),
    });
    assert.deepEqual(Array.from(out), [1, -1, 2]);
  });

  test('a non-scalar without a seed, and a scalar independent of the parameters, are errors', () => {
    const g = new Graph();
    const x = g.input('x', [3], 'float64');
    const y = g.input('y', [3], 'float64');
    assert.throws(() => gradients(mul(x, x), [x]), ShapeError);
    assert.throws(() => gradients(reduceSum(y), [x]), /does not depend/);
  });

  test('a seed gradient for a non-scalar output (vector-Jacobian product)', async () => {
    const g = new Graph();
    const x = g.input('x', [3], 'float64');
    const seed = g.input('seed', [3], 'float64');
    const [dx] = gradients(mul(x, x), [x], seed);
    const xs = Float64Array.from([1, -2, 0.5]);
    const [out] = await run(g, [x, seed], [dx], { x: xs, seed: Float64Array.from([1, 10, 100]) });
    assert.deepEqual(Array.from(out), [2, -40, 100]);
  });

  test('sigmoid from ops and the custom correct rule give identical gradients', async () => {
    const g = new Graph();
    const x = g.input('x', [4], 'float64');
    const one = g.scalar(1, 'float64');
    const [a] = gradients(reduceSum(sigmoid(x)), [x]);
    const [b] = gradients(reduceSum(customSigmoid(x, (gr, y) => mul(gr, mul(y, sub(one, y))))), [x]);
    const [ra, rb] = await run(g, [x], [a, b], { x: uniform(4, 9) });
    assert.deepEqual(Array.from(ra), Array.from(rb));
  });
});
