/**
 * Finite-difference gradient checks (central differences, float64) for every element-wise, linear
 * algebra, shape, reduction, normalization and loss op of the graph DSL. Conv and pooling live in
 * graph-conv.test.ts, whole models in graph-models.test.ts.
 *
 * Inputs avoid kinks: Relu inputs are bounded away from 0, Log/Sqrt/Div denominators are positive.
 * Set TICKETLAB_GRADCHECK_REPORT=1 to print the worst relative error observed per op.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type GradCheckInput, type GradCheckOptions, gradCheck } from './helpers/gradcheck.js';
import { CompiledGraph, signatureOf } from '../src/engine/session.js';
import { Graph, type Tensor, sizeOf } from '../src/graph/graph.js';
import { emitModel } from '../src/graph/onnx.js';
import {
  add,
  batchMatmul,
  batchNorm,
  cast,
  concat,
  div,
  dropout,
  exp,
  expand,
  flatten,
  flip,
  gemm,
  greater,
  linear,
  log,
  logSoftmax,
  matmul,
  meanSquaredError,
  mul,
  neg,
  pad,
  reduceMean,
  reduceSum,
  relu,
  reshape,
  residual,
  scale,
  sigmoid,
  slice,
  softmaxCrossEntropy,
  sqrt,
  square,
  sub,
  sum,
  tanh,
  transpose,
  where,
} from '../src/graph/ops.js';
import { Rng } from '../src/util/rng.js';
import { runGraph64 as runGraph } from './helpers/run-graph.js';

// ---------------------------------------------------------------------------------------------------
// helpers (each graph-*.test.ts file carries its own copy: test files must not import each other)

const TOLERANCE = 1e-6;
const worst = new Map<string, number>();

after(() => {
  if (!process.env.TICKETLAB_GRADCHECK_REPORT) return;
  const rows = [...worst].map(([op, e]) => `  ${op.padEnd(56)} ${e.toExponential(2)}`);
  console.log(`worst relative error per check (graph-ops):\n${rows.join('\n')}`);
});

async function expectGradients(
  label: string,
  inputs: GradCheckInput[],
  build: (xs: Tensor[], fixed: Tensor[]) => Tensor,
  options: GradCheckOptions & { tolerance?: number } = {},
): Promise<void> {
  const { tolerance = TOLERANCE, ...rest } = options;
  const results = await gradCheck(inputs, build, { samplesPerInput: 24, ...rest });
  assert.equal(results.length, inputs.filter((i) => i.check !== false).length);
  let max = 0;
  for (const r of results) {
    assert.ok(r.checked > 0, `${label}: nothing checked for ${r.name}`);
    assert.ok(
      r.maxRelativeError < tolerance,
      `${label}: gradient wrt ${r.name} has relative error ${r.maxRelativeError} ` +
        `(absolute ${r.maxAbsoluteError}), tolerance ${tolerance}`,
    );
    max = Math.max(max, r.maxRelativeError);
  }
  worst.set(label, Math.max(worst.get(label) ?? 0, max));
}

/** Uniform values in [lo, hi). */
function uniform(shape: number[], seed: number, lo = -1, hi = 1): Float64Array {
  const rng = new Rng(seed);
  return new Float64Array(sizeOf(shape)).map(() => lo + (hi - lo) * rng.float());
}

/** Values with |v| in [0.2, 1] and a random sign: no element is near a Relu kink. */
function awayFromZero(shape: number[], seed: number): Float64Array {
  const rng = new Rng(seed);
  return new Float64Array(sizeOf(shape)).map(() => (0.2 + 0.8 * rng.float()) * (rng.float() < 0.5 ? -1 : 1));
}

function inp(name: string, shape: number[], values?: Float64Array, check = true): GradCheckInput {
  return { name, shape, values, check };
}

// ---------------------------------------------------------------------------------------------------

describe('Gemm / MatMul gradients', () => {
  const m = 3;
  const k = 4;
  const n = 5;
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      const aShape = transA ? [k, m] : [m, k];
      const bShape = transB ? [n, k] : [k, n];
      const tag = `transA=${transA ? 1 : 0} transB=${transB ? 1 : 0}`;
      test(`MatMul ${tag}`, async () => {
        await expectGradients(`MatMul ${tag}`, [inp('a', aShape), inp('b', bShape)], ([a, b]) =>
          matmul(a, b, { transA, transB }),
        );
      });
      // every C shape Gemm broadcasts: [N], [1, N], [M, 1], [M, N] and a scalar
      for (const cShape of [[n], [1, n], [m, 1], [m, n], []]) {
        const label = `Gemm ${tag} C=[${cShape.join(',')}]`;
        test(label, async () => {
          await expectGradients(label, [inp('a', aShape), inp('b', bShape), inp('c', cShape)], ([a, b, c]) =>
            gemm(a, b, c, { transA, transB }),
          );
        });
      }
    }
  }

  for (const transB of [false, true]) {
    test(`batched MatMul transB=${transB ? 1 : 0} (float64: Transpose + MatMul under the rule)`, async () => {
      const label = `batchMatmul transB=${transB ? 1 : 0}`;
      const bShape = transB ? [2, n, k] : [2, k, n];
      await expectGradients(label, [inp('a', [2, m, k]), inp('b', bShape)], ([a, b]) =>
        batchMatmul(a, b, { transB }),
      );
    });
  }

  test('batched MatMul in float32 (FusedMatMul) matches float64', async () => {
    const rng = new Rng(31);
    const a = Float64Array.from({ length: 2 * m * k }, () => Math.fround(rng.float() - 0.5));
    const b = Float64Array.from({ length: 2 * n * k }, () => Math.fround(rng.float() - 0.5));
    const results: Float64Array[] = [];
    for (const dtype of ['float32', 'float64'] as const) {
      const g = new Graph();
      const ta = g.input('a', [2, m, k], dtype);
      const tb = g.input('b', [2, n, k], dtype);
      const y = batchMatmul(ta, tb, { transB: true });
      assert.equal(
        g.nodes.some((node) => node.op === 'FusedMatMul'),
        dtype === 'float32',
      );
      const session = await CompiledGraph.create(
        emitModel(g, { outputs: [y] }),
        [ta, tb].map(signatureOf),
        [signatureOf(y)],
        { threads: 1 },
      );
      const feed = (v: Float64Array) => (dtype === 'float32' ? Float32Array.from(v) : v);
      const out = await session.run({ a: feed(a), b: feed(b) });
      results.push(Float64Array.from(out[y.name] as Float32Array));
      await session.release();
    }
    results[0].forEach((v, i) => assert.ok(Math.abs(v - results[1][i]) < 1e-6, `entry ${i}`));
  });

  test('Sum of several same-shape tensors', async () => {
    await expectGradients('Sum', [inp('a', [2, 3]), inp('b', [2, 3]), inp('c', [2, 3])], ([a, b, c]) =>
      mul(sum([a, b, c]), a),
    );
  });

  test('linear (x · wᵀ + b, weights [out, in])', async () => {
    await expectGradients('linear', [inp('x', [4, 6]), inp('w', [3, 6]), inp('b', [3])], ([x, w, b]) =>
      linear(x, w, b),
    );
  });
});

describe('element-wise binary ops with broadcasting', () => {
  const patterns: { name: string; a: number[]; b: number[] }[] = [
    { name: '[3,4] ∘ [3,4]', a: [3, 4], b: [3, 4] },
    { name: '[3,4] ∘ [4]', a: [3, 4], b: [4] },
    { name: '[4] ∘ [3,4]', a: [4], b: [3, 4] },
    { name: '[3,1] ∘ [1,4]', a: [3, 1], b: [1, 4] },
    { name: '[3,4] ∘ scalar', a: [3, 4], b: [] },
    { name: 'scalar ∘ [3,4]', a: [], b: [3, 4] },
    { name: '[2,3,2,2] ∘ [1,3,1,1]', a: [2, 3, 2, 2], b: [1, 3, 1, 1] },
    { name: '[1,3,1,1] ∘ [2,3,2,2]', a: [1, 3, 1, 1], b: [2, 3, 2, 2] },
    { name: '[2,3,2,2] ∘ [3,1,1]', a: [2, 3, 2, 2], b: [3, 1, 1] },
  ];
  const ops = { Add: add, Sub: sub, Mul: mul, Div: div };
  for (const [opName, fn] of Object.entries(ops)) {
    for (const p of patterns) {
      const label = `${opName} ${p.name}`;
      test(label, async () => {
        // Div: the denominator stays in [0.5, 1.5], far from the pole at 0
        const bValues = opName === 'Div' ? uniform(p.b, 7, 0.5, 1.5) : undefined;
        await expectGradients(label, [inp('a', p.a), inp('b', p.b, bValues)], ([a, b]) => fn(a, b));
      });
    }
  }

  test('a tensor combined with itself through broadcasting ([3,4] · [4] slice of the same input)', async () => {
    await expectGradients('Mul self-broadcast', [inp('x', [3, 4])], ([x]) =>
      mul(x, reshape(slice(x, [1], [2], [0]), [4])),
    );
  });

  test('residual addition of two branches', async () => {
    await expectGradients('residual', [inp('x', [2, 3, 2, 2]), inp('w', [1, 3, 1, 1])], ([x, w]) =>
      residual(x, tanh(mul(x, w))),
    );
  });

  test('scale by a constant and square', async () => {
    await expectGradients('scale/square', [inp('x', [3, 4])], ([x]) => square(scale(x, -2.5)));
  });
});

describe('element-wise unary ops', () => {
  const shape = [3, 5];
  test('Relu (inputs bounded away from 0)', async () => {
    await expectGradients('Relu', [inp('x', shape, awayFromZero(shape, 11))], ([x]) => relu(x));
  });
  test('Sigmoid', async () => {
    await expectGradients('Sigmoid', [inp('x', shape, uniform(shape, 12, -3, 3))], ([x]) => sigmoid(x));
  });
  test('Tanh', async () => {
    await expectGradients('Tanh', [inp('x', shape, uniform(shape, 13, -2, 2))], ([x]) => tanh(x));
  });
  test('Exp', async () => {
    await expectGradients('Exp', [inp('x', shape, uniform(shape, 14, -2, 2))], ([x]) => exp(x));
  });
  test('Log (positive inputs)', async () => {
    await expectGradients('Log', [inp('x', shape, uniform(shape, 15, 0.2, 3))], ([x]) => log(x));
  });
  test('Sqrt (positive inputs)', async () => {
    await expectGradients('Sqrt', [inp('x', shape, uniform(shape, 16, 0.2, 3))], ([x]) => sqrt(x));
  });
  test('Neg', async () => {
    await expectGradients('Neg', [inp('x', shape)], ([x]) => neg(x));
  });
  test('a chain of unary ops', async () => {
    await expectGradients(
      'unary chain',
      [inp('x', shape, uniform(shape, 17, 0.2, 2))],
      ([x]) => sqrt(exp(tanh(sigmoid(log(x))))),
      // the composite's derivative is small (≈0.05) next to its value, so ε = 1e-5 keeps float64
      // rounding of the projection (~1e-16/ε) well below the tolerance
      { epsilon: 1e-5 },
    );
  });
  test('Cast float64 → float32 → float64 (looser: the round trip rounds to float32)', async () => {
    // The function is linear, so a central difference with a large step is exact up to the float32
    // rounding of x ± ε (relative 6e-8 of |x| ≤ 1, divided by 2ε = 2e-2): about 1e-5.
    await expectGradients(
      'Cast round trip (float32 inside, ε=1e-2, tol 1e-4)',
      [inp('x', shape)],
      ([x]) => cast(cast(x, 'float32'), 'float64'),
      { epsilon: 1e-2, tolerance: 1e-4 },
    );
  });
});

describe('shape ops', () => {
  test('Flatten (axis 1 and axis 2)', async () => {
    await expectGradients('Flatten', [inp('x', [2, 3, 2, 2])], ([x]) =>
      add(reshape(flatten(x, 1), [2, 3, 4]), reshape(flatten(x, 2), [2, 3, 4])),
    );
  });
  test('Reshape (with an inferred -1 dimension)', async () => {
    await expectGradients('Reshape', [inp('x', [2, 3, 4])], ([x]) =>
      mul(reshape(x, [-1, 6]), reshape(x, [4, 6])),
    );
  });
  test('Transpose (rank 3 and rank 4 permutations)', async () => {
    await expectGradients('Transpose', [inp('x', [2, 3, 4]), inp('y', [2, 3, 4, 5])], ([x, y]) =>
      add(
        reduceSum(transpose(x, [2, 0, 1])),
        reduceSum(mul(transpose(y, [3, 1, 0, 2]), transpose(y, [3, 1, 0, 2]))),
      ),
    );
  });
  test('Transpose output compared element-wise', async () => {
    await expectGradients('Transpose (projected)', [inp('x', [2, 3, 4])], ([x]) => transpose(x, [1, 2, 0]));
  });
  test('Concat (axis 1, three inputs, and axis -1)', async () => {
    await expectGradients(
      'Concat',
      [inp('a', [2, 1, 3]), inp('b', [2, 4, 3]), inp('c', [2, 2, 3])],
      ([a, b, c]) => mul(concat([a, b, c], 1), concat([c, b, a], -2)),
    );
  });
  test('Concat along the last axis', async () => {
    await expectGradients('Concat last axis', [inp('a', [3, 2]), inp('b', [3, 5])], ([a, b]) =>
      concat([a, b], -1),
    );
  });
  test('Slice (several axes, clamped end)', async () => {
    await expectGradients('Slice', [inp('x', [3, 5, 4])], ([x]) =>
      slice(x, [1, 0, 2], [3, 99, 4], [0, 2, 1]),
    );
  });
  test('Slice (negative axis)', async () => {
    await expectGradients('Slice negative axis', [inp('x', [3, 5])], ([x]) => slice(x, [1], [4], [-1]));
  });
  test('Slice (negative starts and ends count from the end, as in ONNX)', async () => {
    await expectGradients('Slice negative starts/ends', [inp('x', [4, 5])], ([x]) => {
      const y = slice(x, [-3, 1], [-1, -1], [0, 1]);
      assert.deepEqual(y.shape, [2, 3]);
      return y;
    });
  });
  test('Flip (one and two axes)', async () => {
    await expectGradients('Flip', [inp('x', [2, 3, 4])], ([x]) => add(flip(x, [2]), flip(x, [0, -1])));
  });
  test('Pad (asymmetric zero padding)', async () => {
    await expectGradients('Pad', [inp('x', [2, 3, 2])], ([x]) => pad(x, [1, 0, 2, 0, 3, 1]));
  });
  test('Expand ([3,1] → [2,3,4] and scalar → [2,2])', async () => {
    await expectGradients('Expand', [inp('x', [3, 1]), inp('s', [])], ([x, s]) =>
      add(reduceSum(mul(expand(x, [2, 3, 4]), expand(x, [2, 3, 4]))), reduceSum(expand(s, [2, 2]))),
    );
  });
  test('Expand (projected output)', async () => {
    await expectGradients('Expand (projected)', [inp('x', [1, 3, 1])], ([x]) => expand(x, [2, 3, 4]));
  });
  test('Where (condition from a fixed input; a full, b broadcast)', async () => {
    const condValues = uniform([3, 4], 21);
    await expectGradients(
      'Where',
      [inp('a', [3, 4]), inp('b', [4])],
      ([a, b], [c]) => where(greater(c, c.graph.scalar(0, 'float64')), a, b),
      { fixed: [{ name: 'c', shape: [3, 4], dtype: 'float64', values: condValues }] },
    );
  });
  test('Where (scalar branch)', async () => {
    const condValues = uniform([2, 3], 22);
    await expectGradients(
      'Where scalar branch',
      [inp('a', []), inp('b', [2, 3])],
      ([a, b], [c]) => where(greater(c, c.graph.scalar(0, 'float64')), a, b),
      { fixed: [{ name: 'c', shape: [2, 3], dtype: 'float64', values: condValues }] },
    );
  });
});

describe('reductions', () => {
  const cases: { axes: number[] | undefined; keepdims: boolean }[] = [
    { axes: undefined, keepdims: false },
    { axes: undefined, keepdims: true },
    { axes: [1], keepdims: false },
    { axes: [1], keepdims: true },
    { axes: [0, 2], keepdims: false },
    { axes: [0, 2], keepdims: true },
    { axes: [-1], keepdims: true },
  ];
  for (const [name, fn] of [
    ['ReduceSum', reduceSum],
    ['ReduceMean', reduceMean],
  ] as const) {
    for (const c of cases) {
      const label = `${name} axes=${c.axes ? `[${c.axes.join(',')}]` : 'all'} keepdims=${c.keepdims ? 1 : 0}`;
      test(label, async () => {
        await expectGradients(label, [inp('x', [2, 3, 4])], ([x]) => fn(x, c.axes, c.keepdims));
      });
    }
  }
});

describe('normalization, dropout and losses', () => {
  test('BatchNorm training mode, rank 2', async () => {
    await expectGradients(
      'BatchNorm train rank 2',
      [inp('x', [5, 3]), inp('gamma', [3], uniform([3], 31, 0.5, 1.5)), inp('beta', [3])],
      ([x, gamma, beta], [rm, rv]) => batchNorm(x, gamma, beta, rm, rv, { training: true }).y,
      {
        fixed: [
          { name: 'rm', shape: [3], dtype: 'float64', values: new Float64Array(3) },
          { name: 'rv', shape: [3], dtype: 'float64', values: new Float64Array(3).fill(1) },
        ],
      },
    );
  });

  test('BatchNorm training mode, rank 4', async () => {
    await expectGradients(
      'BatchNorm train rank 4',
      [inp('x', [3, 2, 3, 2]), inp('gamma', [2], uniform([2], 32, 0.5, 1.5)), inp('beta', [2])],
      ([x, gamma, beta], [rm, rv]) => batchNorm(x, gamma, beta, rm, rv, { training: true, eps: 1e-3 }).y,
      {
        fixed: [
          { name: 'rm', shape: [2], dtype: 'float64', values: new Float64Array(2) },
          { name: 'rv', shape: [2], dtype: 'float64', values: new Float64Array(2).fill(1) },
        ],
      },
    );
  });

  test('BatchNorm inference mode (gradients wrt x, gamma, beta and the running statistics)', async () => {
    await expectGradients(
      'BatchNorm inference rank 4',
      [
        inp('x', [2, 3, 2, 2]),
        inp('gamma', [3], uniform([3], 33, 0.5, 1.5)),
        inp('beta', [3]),
        inp('rm', [3]),
        inp('rv', [3], uniform([3], 34, 0.5, 2)),
      ],
      ([x, gamma, beta, rm, rv]) => batchNorm(x, gamma, beta, rm, rv, { training: false }).y,
    );
    await expectGradients(
      'BatchNorm inference rank 2',
      [
        inp('x', [4, 3]),
        inp('gamma', [3]),
        inp('beta', [3]),
        inp('rm', [3]),
        inp('rv', [3], uniform([3], 35, 0.5, 2)),
      ],
      ([x, gamma, beta, rm, rv]) => batchNorm(x, gamma, beta, rm, rv, { training: false }).y,
    );
  });

  test('BatchNorm running statistics match a hand computation', async () => {
    const [n, c, h, w] = [3, 2, 2, 2];
    const xValues = uniform([n, c, h, w], 36, -2, 3);
    const rmValues = Float64Array.from([0.5, -0.25]);
    const rvValues = Float64Array.from([2, 0.75]);
    const gammaValues = Float64Array.from([1.5, -0.5]);
    const betaValues = Float64Array.from([0.1, 0.2]);
    const momentum = 0.2;
    const eps = 1e-3;
    const g = new Graph('bn');
    const x = g.input('x', [n, c, h, w], 'float64');
    const gamma = g.input('gamma', [c], 'float64');
    const beta = g.input('beta', [c], 'float64');
    const rm = g.input('rm', [c], 'float64');
    const rv = g.input('rv', [c], 'float64');
    const bn = batchNorm(x, gamma, beta, rm, rv, { training: true, momentum, eps });
    const outputs = [bn.y, bn.runningMean!, bn.runningVar!];
    const inputs = [x, gamma, beta, rm, rv];
    const out = await runGraph(g, inputs, outputs, {
      x: xValues,
      gamma: gammaValues,
      beta: betaValues,
      rm: rmValues,
      rv: rvValues,
    });
    const count = n * h * w;
    for (let ch = 0; ch < c; ch++) {
      const vals: number[] = [];
      for (let i = 0; i < n; i++)
        for (let k = 0; k < h * w; k++) vals.push(xValues[(i * c + ch) * h * w + k]);
      const mean = vals.reduce((s, v) => s + v, 0) / count;
      const biased = vals.reduce((s, v) => s + (v - mean) ** 2, 0) / count;
      const unbiased = (biased * count) / (count - 1);
      assertClose(out[1][ch], (1 - momentum) * rmValues[ch] + momentum * mean, 1e-12, `running mean ${ch}`);
      assertClose(
        out[2][ch],
        (1 - momentum) * rvValues[ch] + momentum * unbiased,
        1e-12,
        `running var ${ch}`,
      );
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < h * w; k++) {
          const idx = (i * c + ch) * h * w + k;
          const expected =
            ((xValues[idx] - mean) / Math.sqrt(biased + eps)) * gammaValues[ch] + betaValues[ch];
          assertClose(out[0][idx], expected, 1e-12, `y[${idx}]`);
        }
      }
    }
  });

  test('Dropout with a fixed keep-mask input', async () => {
    const rng = new Rng(41);
    const mask = new Float64Array(12).map(() => (rng.float() < 0.6 ? 1 : 0));
    await expectGradients(
      'Dropout (fixed mask)',
      [inp('x', [3, 4])],
      ([x], [m]) => dropout(tanh(x), m, 0.4),
      { fixed: [{ name: 'mask', shape: [3, 4], dtype: 'float64', values: mask }] },
    );
  });

  test('LogSoftmax (axis 1 and axis 0)', async () => {
    await expectGradients('LogSoftmax', [inp('x', [3, 4])], ([x]) => add(logSoftmax(x, 1), logSoftmax(x, 0)));
  });

  test('softmax cross-entropy with int32 labels', async () => {
    await expectGradients(
      'SoftmaxCrossEntropy int32 labels',
      [inp('logits', [4, 5], uniform([4, 5], 42, -3, 3))],
      ([z], [labels]) => softmaxCrossEntropy(z, labels).loss,
      { fixed: [{ name: 'labels', shape: [4], dtype: 'int32', values: Int32Array.from([0, 4, 2, 2]) }] },
    );
  });

  test('softmax cross-entropy with int64 labels', async () => {
    await expectGradients(
      'SoftmaxCrossEntropy int64 labels',
      [inp('logits', [3, 4])],
      ([z], [labels]) => softmaxCrossEntropy(z, labels).loss,
      { fixed: [{ name: 'labels', shape: [3], dtype: 'int64', values: BigInt64Array.from([3n, 0n, 1n]) }] },
    );
  });

  test('softmax cross-entropy loss and `correct` on a hand example', async () => {
    // row argmaxes 0, 1, 2, 1
    const logitValues = Float64Array.from([2, 1, 0, 0, 3, 1, 1, 0, 5, 0.5, 4, -1]);
    const labelValues = Int32Array.from([0, 2, 2, 1]); // rows 0, 2, 3 right
    const g = new Graph('ce');
    const z = g.input('z', [4, 3], 'float64');
    const labels = g.input('labels', [4], 'int32');
    const { loss, correct } = softmaxCrossEntropy(z, labels);
    const out = await runGraph(g, [z, labels], [loss, correct], { z: logitValues, labels: labelValues });
    assert.equal(out[1][0], 3);
    let expected = 0;
    for (let i = 0; i < 4; i++) {
      const row = Array.from(logitValues.subarray(3 * i, 3 * i + 3));
      const lse = Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
      expected += lse - row[labelValues[i]];
    }
    assertClose(out[0][0], expected / 4, 1e-12, 'loss');
  });

  test('mean squared error', async () => {
    await expectGradients('MeanSquaredError', [inp('pred', [3, 2]), inp('target', [3, 2])], ([p, t]) =>
      meanSquaredError(p, t),
    );
  });
});

// ---------------------------------------------------------------------------------------------------

function assertClose(actual: number, expected: number, tol: number, what: string): void {
  const err = Math.abs(actual - expected) / Math.max(1, Math.abs(expected));
  assert.ok(err < tol, `${what}: ${actual} vs ${expected} (relative error ${err})`);
}
