/**
 * Gradient checks for convolution and pooling, and the consistency of the float64 lowering of
 * Conv / ConvTranspose (pad / slice / MatMul) with onnxruntime's native float32 kernels.
 *
 * In float64 the conv gradient rules run through the lowered subgraphs, so the gradient checks test
 * the rules and the lowering consistency test ties the lowering to the real kernels that float32
 * training uses. Set TICKETLAB_GRADCHECK_REPORT=1 to print the worst relative error per check.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type GradCheckInput, type GradCheckOptions, gradCheck } from './helpers/gradcheck.js';
import { CompiledGraph, signatureOf } from '../src/engine/session.js';
import { gradients } from '../src/graph/autodiff.js';
import { type DType, Graph, type Tensor, type TypedArray, sizeOf } from '../src/graph/graph.js';
import { emitModel, liveNodes } from '../src/graph/onnx.js';
import {
  CONV_WEIGHT_GRAD_DEFAULTS,
  type ConvWeightGradOptions,
  type Padding,
  add,
  avgPool2d,
  conv2d,
  globalAvgPool,
  maxPool2d,
  mul,
  reduceSum,
  relu,
  resolvePads,
} from '../src/graph/ops.js';
import { Rng } from '../src/util/rng.js';
import { runGraph64 as run } from './helpers/run-graph.js';

// ---------------------------------------------------------------------------------------------------
// helpers (each graph-*.test.ts file carries its own copy: test files must not import each other)

const TOLERANCE = 1e-6;
const worst = new Map<string, number>();

after(() => {
  if (!process.env.TICKETLAB_GRADCHECK_REPORT) return;
  const rows = [...worst].map(([op, e]) => `  ${op.padEnd(72)} ${e.toExponential(2)}`);
  console.log(`worst relative error per check (graph-conv):\n${rows.join('\n')}`);
});

function record(label: string, error: number): void {
  worst.set(label, Math.max(worst.get(label) ?? 0, error));
}

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
  record(label, max);
}

function uniform(shape: readonly number[], seed: number, lo = -1, hi = 1): Float64Array {
  const rng = new Rng(seed);
  return new Float64Array(sizeOf(shape)).map(() => lo + (hi - lo) * rng.float());
}

/** Distinct values at least 0.05 apart (a shuffled grid), so max-pooling has no ties to break. */
function distinct(shape: readonly number[], seed: number): Float64Array {
  const n = sizeOf(shape);
  const perm = new Rng(seed).permutation(n);
  return Float64Array.from(perm, (p) => (p - n / 2) * 0.05);
}

/** max |a − b| / max |b|: the error relative to the reference's scale. */
function scaledError(a: Float64Array, b: Float64Array): number {
  assert.equal(a.length, b.length);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return err / Math.max(scale, 1e-30);
}

// ---------------------------------------------------------------------------------------------------
// convolution cases

interface ConvCase {
  name: string;
  x: [number, number, number, number];
  w: [number, number, number, number];
  bias: boolean;
  stride?: number;
  padding?: Padding;
  dilation?: number;
}

const convCases: ConvCase[] = [
  { name: '3x3 stride 1 padding 0, bias', x: [2, 2, 5, 6], w: [3, 2, 3, 3], bias: true },
  { name: '3x3 stride 1 padding 1, no bias', x: [2, 2, 5, 4], w: [3, 2, 3, 3], bias: false, padding: 1 },
  {
    name: '3x3 stride 2 padding 1, bias',
    x: [1, 2, 7, 6],
    w: [2, 2, 3, 3],
    bias: true,
    stride: 2,
    padding: 1,
  },
  {
    name: '3x3 stride 2 padding 0, floor drops the last row/column',
    x: [2, 1, 8, 6],
    w: [2, 1, 3, 3],
    bias: false,
    stride: 2,
  },
  { name: "3x3 'same' stride 1", x: [1, 2, 5, 6], w: [2, 2, 3, 3], bias: true, padding: 'same' },
  {
    name: "2x2 'same' stride 1 (even kernel, asymmetric pads 0/1)",
    x: [2, 2, 4, 5],
    w: [2, 2, 2, 2],
    bias: false,
    padding: 'same',
  },
  {
    name: "2x2 'same' stride 2 (even kernel, asymmetric pads)",
    x: [1, 2, 7, 5],
    w: [3, 2, 2, 2],
    bias: true,
    stride: 2,
    padding: 'same',
  },
  {
    name: "4x4 'same' stride 2 (asymmetric pads 1/2)",
    x: [1, 1, 7, 8],
    w: [2, 1, 4, 4],
    bias: false,
    stride: 2,
    padding: 'same',
  },
  { name: '3x3 dilation 2 padding 2', x: [1, 2, 7, 6], w: [2, 2, 3, 3], bias: true, padding: 2, dilation: 2 },
  {
    name: '3x3 dilation 2 stride 2 padding 1',
    x: [2, 1, 8, 7],
    w: [2, 1, 3, 3],
    bias: false,
    stride: 2,
    padding: 1,
    dilation: 2,
  },
  {
    name: '3x2 kernel, explicit asymmetric pads [1,0,2,1]',
    x: [1, 2, 5, 4],
    w: [2, 2, 3, 2],
    bias: true,
    padding: [1, 0, 2, 1],
  },
  {
    name: '1x1 padding 1 (stride 1, pads beyond the kernel reach: ConvTranspose path)',
    x: [1, 2, 3, 4],
    w: [2, 2, 1, 1],
    bias: false,
    padding: 1,
  },
  { name: '1x1 stride 2 on an even input', x: [2, 3, 6, 4], w: [2, 3, 1, 1], bias: true, stride: 2 },
  // C·kh·kw <= Co: the weight gradient from the input's patches (convWeightGradIm2col)
  { name: 'few input channels, 3x3 padding 1', x: [2, 1, 5, 6], w: [9, 1, 3, 3], bias: true, padding: 1 },
  {
    name: "few input channels, 2x2 'same' stride 2",
    x: [2, 2, 7, 6],
    w: [8, 2, 2, 2],
    bias: false,
    stride: 2,
    padding: 'same',
  },
  {
    name: 'few input channels, 3x3 dilation 2',
    x: [1, 1, 7, 6],
    w: [9, 1, 3, 3],
    bias: false,
    padding: 2,
    dilation: 2,
  },
];

function convOf(
  c: ConvCase,
  x: Tensor,
  w: Tensor,
  b: Tensor | undefined,
  weightGradient?: ConvWeightGradOptions,
): Tensor {
  return conv2d(x, w, b, { stride: c.stride, padding: c.padding, dilation: c.dilation, weightGradient });
}

describe('Conv2D gradients (float64, lowered forward, same gradient rules)', () => {
  for (const c of convCases) {
    test(c.name, async () => {
      const inputs = [
        { name: 'x', shape: c.x },
        { name: 'w', shape: c.w },
        ...(c.bias ? [{ name: 'b', shape: [c.w[0]] }] : []),
      ];
      await expectGradients(`Conv ${c.name}`, inputs, ([x, w, b]) => convOf(c, x, w, b));
    });
  }

  test('stride-1 weight gradient over groups of images (a ragged last group), C > Co and C < Co', async () => {
    // the rule multiplies per group of images (weightGradient.tapOperandEntries sets the group size)
    const cases: [number, ConvCase][] = [
      [1, { name: 'groups of one image', x: [3, 2, 5, 6], w: [3, 2, 3, 3], bias: true, padding: 1 }],
      // C·Ho·Wp = 2·5·8 = 80 entries per image: groups of two, then one
      [160, { name: 'groups of two and one', x: [3, 2, 5, 6], w: [3, 2, 3, 3], bias: false, padding: 1 }],
      [1 << 18, { name: 'C > Co', x: [2, 4, 5, 6], w: [2, 4, 3, 3], bias: true, padding: 'same' }],
      [1, { name: 'C > Co, groups of one', x: [2, 4, 5, 6], w: [2, 4, 3, 3], bias: false, padding: 'same' }],
    ];
    for (const [entries, c] of cases) {
      const inputs: GradCheckInput[] = [
        { name: 'x', shape: c.x },
        { name: 'w', shape: c.w },
        ...(c.bias ? [{ name: 'b', shape: [c.w[0]] }] : []),
      ];
      await expectGradients(`Conv grouping: ${c.name}`, inputs, ([x, w, b]) =>
        convOf(c, x, w, b, { tapOperandEntries: entries }),
      );
    }
  });

  test('weightGradient.tapOperandEntries sets the groups of images of the stride-1 weight gradient', () => {
    // one batched product per kernel tap and group: 9 taps × (3 groups of one image | 1 group of 3)
    const products = (weightGradient: ConvWeightGradOptions | undefined) => {
      const g = new Graph('grouping');
      const x = g.input('x', [3, 2, 5, 6]);
      const w = g.input('w', [3, 2, 3, 3]);
      const [dw] = gradients(reduceSum(conv2d(x, w, undefined, { padding: 1, weightGradient })), [w]);
      return liveNodes(g, [dw.name]).filter((node) => node.op === 'FusedMatMul').length;
    };
    assert.equal(products({ tapOperandEntries: 1 }), 27);
    assert.equal(products({ tapOperandEntries: 160 }), 18);
    assert.equal(products(undefined), 9);
    assert.equal(CONV_WEIGHT_GRAD_DEFAULTS.tapOperandEntries, 1 << 19);
  });

  test('two stacked convolutions (gradient flows through the input gradient rule)', async () => {
    await expectGradients(
      'Conv stacked',
      [
        { name: 'x', shape: [2, 1, 6, 6] },
        { name: 'w1', shape: [2, 1, 3, 3] },
        { name: 'w2', shape: [3, 2, 2, 2] },
      ],
      ([x, w1, w2]) => conv2d(conv2d(x, w1, undefined, { padding: 1, stride: 2 }), w2, undefined),
    );
  });

  test('input-gradient rules (double backward: dL/dx as a function of the output gradient)', async () => {
    // For strided convolutions dL/dx is ConvTranspose(g, w): checking it as a function of g exercises
    // ConvTranspose's own gradient rule (a forward convolution). That rule only covers g (dL/dx is
    // linear in g; second derivatives wrt w are not provided), so w is a fixed input there. For
    // stride 1, dL/dx is a convolution with the flipped kernel, whose rules (Conv, Flip, Transpose)
    // give the gradient wrt w as well, which is checked too.
    const names = [
      '3x3 stride 1 padding 1',
      "2x2 'same' stride 1",
      '3x3 dilation 2 padding 2',
      '3x3 stride 2 padding 1',
      "2x2 'same' stride 2",
      '3x3 dilation 2 stride 2',
    ];
    for (const c of convCases.filter((k) => names.some((name) => k.name.startsWith(name)))) {
      const [n, , h, wd] = c.x;
      const pads = resolvePads(c.padding ?? 0, [c.w[2], c.w[3]], c.stride ?? 1, c.dilation ?? 1, [h, wd]);
      const d = c.dilation ?? 1;
      const s = c.stride ?? 1;
      const ho = Math.floor((h + pads[0] + pads[2] - d * (c.w[2] - 1) - 1) / s) + 1;
      const wo = Math.floor((wd + pads[1] + pads[3] - d * (c.w[3] - 1) - 1) / s) + 1;
      const withW = s === 1;
      const wInput = { name: 'w', shape: c.w, values: uniform(c.w, 5) };
      await expectGradients(
        `${withW ? 'flipped-kernel Conv' : 'ConvTranspose'} (double backward) ${c.name}`,
        [
          { name: 'x', shape: c.x, check: false },
          { name: 'g', shape: [n, c.w[0], ho, wo] },
          ...(withW ? [wInput] : []),
        ],
        ([x, gIn, wIn], fixed) => {
          const w = withW ? wIn : fixed[0];
          const y = convOf(c, x, w, undefined);
          assert.deepEqual(y.shape, gIn.shape);
          return gradients(reduceSum(mul(y, gIn)), [x])[0];
        },
        withW ? {} : { fixed: [{ ...wInput, dtype: 'float64' }] },
      );
    }
  });
});

describe('lowered float64 Conv / ConvTranspose match the native float32 kernels', () => {
  const cases = convCases.filter((c) => c.stride === 2 || c.dilation === 2 || c.padding !== undefined);

  async function convAndGradients(c: ConvCase, dtype: DType, values: Record<string, Float64Array>) {
    const g = new Graph(`conv_${dtype}`);
    const x = g.input('x', c.x, dtype);
    const w = g.input('w', c.w, dtype);
    const b = c.bias ? g.input('b', [c.w[0]], dtype) : undefined;
    const y = convOf(c, x, w, b);
    const dir = g.input('dir', y.shape, dtype);
    const wrt = b ? [x, w, b] : [x, w];
    const grads = gradients(reduceSum(mul(y, dir)), wrt);
    const inputs = b ? [x, w, b, dir] : [x, w, dir];
    const feeds: Record<string, TypedArray> = {};
    for (const t of inputs) {
      feeds[t.name] =
        dtype === 'float32' ? Float32Array.from(values[t.name]) : Float64Array.from(values[t.name]);
    }
    // the float64 graph must not contain a native Conv/ConvTranspose (no kernel); the float32 one runs
    // the native kernels (dx is a ConvTranspose for strided convolutions, a flipped-kernel Conv otherwise)
    const ops = new Set(g.nodes.map((node) => node.op));
    assert.equal(ops.has('Conv'), dtype === 'float32');
    if (dtype === 'float64') assert.ok(!ops.has('ConvTranspose'));
    else if ((c.stride ?? 1) > 1) assert.ok(ops.has('ConvTranspose'));
    return run(g, inputs, [y, ...grads], feeds);
  }

  for (const c of cases) {
    test(c.name, async () => {
      // float32-representable values, so both graphs see exactly the same inputs
      const round = (a: Float64Array) => a.map(Math.fround);
      const values: Record<string, Float64Array> = {
        x: round(uniform(c.x, 1)),
        w: round(uniform(c.w, 2)),
        b: round(uniform([c.w[0]], 3)),
      };
      const probe = new Graph();
      values.dir = round(
        uniform(convOf(c, probe.input('x', c.x), probe.input('w', c.w), undefined).shape, 4),
      );
      const single = await convAndGradients(c, 'float32', values);
      const double = await convAndGradients(c, 'float64', values);
      const names = ['y', 'dx', 'dw', 'db'];
      let max = 0;
      single.forEach((s, i) => {
        const err = scaledError(double[i], s);
        assert.ok(err < 1e-5, `${c.name}: ${names[i]} differs by ${err} (relative to its scale)`);
        max = Math.max(max, err);
      });
      record(`lowering vs float32 kernels: ${c.name}`, max);
    });
  }
});

// ---------------------------------------------------------------------------------------------------
// pooling

describe('pooling gradients', () => {
  test('MaxPool2D kernel 2 stride 2 (distinct values, no ties)', async () => {
    const shape = [2, 2, 4, 6];
    await expectGradients('MaxPool k2 s2', [{ name: 'x', shape, values: distinct(shape, 51) }], ([x]) =>
      maxPool2d(x, { kernel: 2, stride: 2 }),
    );
  });

  test('ReLU then MaxPool (the ReLU masks the pooled gradient), disjoint and overlapping windows', async () => {
    for (const [k, stride, p, shape] of [
      [2, 2, 0, [2, 2, 4, 6]],
      [3, 2, 1, [1, 2, 7, 6]],
    ] as const) {
      await expectGradients(
        `ReLU + MaxPool k${k} s${stride} p${p}`,
        [{ name: 'x', shape: [...shape], values: distinct(shape, 53) }],
        ([x]) => maxPool2d(relu(x), { kernel: k, stride, padding: p }),
      );
    }
  });

  test('ReLU output used by MaxPool and by another op, gradients wrt the ReLU input and output', async () => {
    const shape = [1, 2, 4, 6];
    await expectGradients(
      'ReLU + MaxPool + second use',
      [{ name: 'x', shape, values: distinct(shape, 54) }],
      ([x]) => {
        const y = relu(x);
        return add(reduceSum(maxPool2d(y, { kernel: 2 })), reduceSum(mul(y, y)));
      },
    );
    // differentiating wrt the ReLU's output itself keeps max-pooling's own routing
    const g = new Graph('relu_pool_wrt_y');
    const x = g.input('x', shape, 'float64');
    const y = relu(x);
    const dir = g.input('dir', [1, 2, 2, 3], 'float64');
    const [dy, dx] = gradients(reduceSum(mul(maxPool2d(y, { kernel: 2 }), dir)), [y, x]);
    const xValues = distinct(shape, 55);
    const dirValues = uniform([1, 2, 2, 3], 56);
    const [gotY, gotX] = await run(g, [x, dir], [dy, dx], { x: xValues, dir: dirValues });
    const expectY = new Float64Array(x.size);
    for (let b = 0; b < 2; b++) {
      for (let i = 0; i < 2; i++) {
        for (let j = 0; j < 3; j++) {
          let best = -1;
          for (const [di, dj] of [
            [0, 0],
            [0, 1],
            [1, 0],
            [1, 1],
          ]) {
            const at = (b * 4 + 2 * i + di) * 6 + 2 * j + dj;
            if (best < 0 || Math.max(0, xValues[at]) > Math.max(0, xValues[best])) best = at;
          }
          expectY[best] += dirValues[(b * 2 + i) * 3 + j];
        }
      }
    }
    assert.deepEqual(Array.from(gotY), Array.from(expectY));
    assert.deepEqual(
      Array.from(gotX),
      Array.from(expectY, (v, i) => (xValues[i] > 0 ? v : 0)),
    );
  });

  test('MaxPool2D kernel 3 stride 2 padding 1 (overlapping windows)', async () => {
    const shape = [1, 2, 7, 6];
    await expectGradients(
      'MaxPool k3 s2 p1 (overlapping)',
      [{ name: 'x', shape, values: distinct(shape, 52) }],
      ([x]) => maxPool2d(x, { kernel: 3, stride: 2, padding: 1 }),
    );
  });

  test('AvgPool2D non-overlapping (kernel 2 and kernel 3), float64', async () => {
    await expectGradients('AvgPool k2 s2', [{ name: 'x', shape: [2, 3, 4, 6] }], ([x]) =>
      avgPool2d(x, { kernel: 2 }),
    );
    await expectGradients('AvgPool k3 s3', [{ name: 'x', shape: [1, 2, 6, 3] }], ([x]) =>
      avgPool2d(x, { kernel: 3 }),
    );
  });

  test('AvgPool2D overlapping/padded windows have no float64 kernel: building one fails clearly', () => {
    const g = new Graph();
    const x = g.input('x', [1, 1, 8, 8], 'float64');
    assert.throws(() => avgPool2d(x, { kernel: 3, stride: 2, padding: 1 }), /AveragePool.*float64/);
  });

  test('AvgPool2D overlapping (k3 s2 p1): float32 analytic vs float32 central difference, looser tolerance 1e-3', async () => {
    // onnxruntime has no float64 AveragePool, so this check runs in float32: the analytic gradient
    // (a grouped ConvTranspose) against a float32 central difference. Average pooling is linear, so a
    // large step (ε = 0.05) is exact up to float32 rounding: the tolerance is 1e-3 instead of 1e-6.
    // The analytic gradient is also compared with an exact float64 hand computation at 1e-6.
    const [n, c, h, w] = [2, 2, 8, 7];
    const [k, stride, p] = [3, 2, 1];
    const g = new Graph('avgpool32');
    const x = g.input('x', [n, c, h, w], 'float32');
    const y = avgPool2d(x, { kernel: k, stride, padding: p });
    const [, , ho, wo] = y.shape;
    const dir = g.input('dir', y.shape, 'float32');
    const loss = reduceSum(mul(y, dir));
    const [dx] = gradients(loss, [x]);
    const xValues = Float32Array.from(uniform(x.shape, 61));
    const dirValues = Float32Array.from(uniform(y.shape, 62));
    const sigs = [x, dir].map(signatureOf);
    const lossSession = await CompiledGraph.create(
      emitModel(g, { outputs: [loss], inputs: [x, dir] }),
      sigs,
      [signatureOf(loss)],
    );
    const gradSession = await CompiledGraph.create(emitModel(g, { outputs: [dx], inputs: [x, dir] }), sigs, [
      signatureOf(dx),
    ]);
    try {
      const analytic = (await gradSession.run({ x: xValues, dir: dirValues }))[dx.name] as Float32Array;
      // exact gradient: each output spreads dir/k² over its window (padding counts in the divisor)
      const exact = new Float64Array(x.size);
      for (let b = 0; b < n * c; b++) {
        for (let i = 0; i < ho; i++) {
          for (let j = 0; j < wo; j++) {
            const share = dirValues[(b * ho + i) * wo + j] / (k * k);
            for (let di = 0; di < k; di++) {
              for (let dj = 0; dj < k; dj++) {
                const r = i * stride - p + di;
                const col = j * stride - p + dj;
                if (r >= 0 && r < h && col >= 0 && col < w) exact[(b * h + r) * w + col] += share;
              }
            }
          }
        }
      }
      const exactErr = scaledError(Float64Array.from(analytic), exact);
      assert.ok(exactErr < 1e-6, `analytic vs exact gradient: ${exactErr}`);
      const eps = 0.05;
      let maxRel = 0;
      const rng = new Rng(63);
      for (const idx of rng.permutation(x.size).slice(0, 24)) {
        const original = xValues[idx];
        xValues[idx] = original + eps;
        const up = xValues[idx]; // the float32 value actually fed
        const plus = ((await lossSession.run({ x: xValues, dir: dirValues }))[loss.name] as Float32Array)[0];
        xValues[idx] = original - eps;
        const down = xValues[idx];
        const minus = ((await lossSession.run({ x: xValues, dir: dirValues }))[loss.name] as Float32Array)[0];
        xValues[idx] = original;
        const numeric = (plus - minus) / (up - down);
        const rel =
          Math.abs(numeric - analytic[idx]) / Math.max(1e-3, Math.abs(numeric), Math.abs(analytic[idx]));
        maxRel = Math.max(maxRel, rel);
      }
      assert.ok(maxRel < 1e-3, `float32 central difference disagrees: relative error ${maxRel}`);
      record('AvgPool k3 s2 p1 (overlapping, float32, tol 1e-3)', maxRel);
    } finally {
      await lossSession.release();
      await gradSession.release();
    }
  });

  test('MaxPool2D float32 gradient (MaxUnpool for disjoint windows, ScatterElements otherwise) routes to the first maximum, ties included', async () => {
    // float32 graphs route disjoint windows' gradients with MaxUnpool, which has no float64 kernel,
    // so this checks them against an exact hand computation instead of finite differences
    const cases = [
      { k: 2, stride: 2, p: 0, shape: [2, 3, 4, 6] },
      { k: 3, stride: 3, p: 0, shape: [1, 2, 7, 8] },
      { k: 2, stride: 3, p: 0, shape: [1, 2, 8, 7] },
      { k: 2, stride: 2, p: 1, shape: [1, 2, 5, 6] },
      { k: 3, stride: 2, p: 1, shape: [1, 2, 7, 6] },
    ];
    for (const [{ k, stride, p, shape }, withRelu] of cases.flatMap((c) => [
      [c, false] as const,
      [c, true] as const,
    ])) {
      const [n, c, h, w] = shape;
      const g = new Graph('maxpool32');
      const x = g.input('x', shape, 'float32');
      const y = maxPool2d(withRelu ? relu(x) : x, { kernel: k, stride, padding: p });
      const [, , ho, wo] = y.shape;
      const dir = g.input('dir', y.shape, 'float32');
      const [dx] = gradients(reduceSum(mul(y, dir)), [x]);
      const ops = new Set(g.nodes.map((node) => node.op));
      assert.equal(ops.has('MaxUnpool'), stride >= k, `k ${k} stride ${stride}`);
      // with a ReLU in front, the mask is taken of the pooled tensor, not of the ReLU's output
      const masks = liveNodes(g, [dx.name]).filter((node) => node.op === 'Greater');
      assert.deepEqual(
        masks.map((node) => node.inputs[0]),
        withRelu ? [y.name] : [],
      );
      // few distinct values: many ties, which go to the first maximum in window order
      const rng = new Rng(71);
      // with a ReLU in front, negative values (and ties at 0 after the ReLU) too
      const xValues = Float32Array.from({ length: x.size }, () => rng.int(4) - (withRelu ? 2 : 0));
      const act = (v: number) => (withRelu ? Math.max(0, v) : v);
      const dirValues = Float32Array.from({ length: y.size }, () => 1 + rng.int(1000));
      const session = await CompiledGraph.create(
        emitModel(g, { outputs: [dx], inputs: [x, dir] }),
        [x, dir].map(signatureOf),
        [signatureOf(dx)],
        { threads: 1 },
      );
      const got = (await session.run({ x: xValues, dir: dirValues }))[dx.name] as Float32Array;
      await session.release();
      const expected = new Float32Array(x.size);
      for (let b = 0; b < n * c; b++) {
        for (let i = 0; i < ho; i++) {
          for (let j = 0; j < wo; j++) {
            let best = -1;
            for (let di = 0; di < k; di++) {
              for (let dj = 0; dj < k; dj++) {
                const r = i * stride - p + di;
                const col = j * stride - p + dj;
                if (r < 0 || r >= h || col < 0 || col >= w) continue;
                const at = (b * h + r) * w + col;
                if (best < 0 || act(xValues[at]) > act(xValues[best])) best = at;
              }
            }
            if (act(xValues[best]) > 0 || !withRelu) expected[best] += dirValues[(b * ho + i) * wo + j];
          }
        }
      }
      assert.deepEqual(got, expected, `k ${k} stride ${stride} padding ${p}${withRelu ? ' after ReLU' : ''}`);
    }
  });

  test('GlobalAveragePool', async () => {
    await expectGradients('GlobalAveragePool', [{ name: 'x', shape: [2, 3, 3, 4] }], ([x]) =>
      globalAvgPool(x),
    );
  });
});
