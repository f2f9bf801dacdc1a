/**
 * Finite-difference gradient checks (float64) of the deep networks' blocks: a post-activation basic
 * block with a projection shortcut (stride-2 3×3 conv, 1×1 stride-2 conv + BatchNorm on the
 * shortcut) and a pre-activation bottleneck block (BN→ReLU→1×1→BN→ReLU→3×3 stride 2→BN→ReLU→1×1,
 * 1×1 strided conv shortcut), each followed by global average pooling, a linear layer and the loss.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type GradCheckInput, gradCheck } from './helpers/gradcheck.js';
import { type Tensor, sizeOf } from '../src/graph/graph.js';
import {
  batchNorm,
  conv2d,
  flatten,
  globalAvgPool,
  linear,
  relu,
  residual,
  softmaxCrossEntropy,
} from '../src/graph/ops.js';
import { Rng } from '../src/util/rng.js';

const TOLERANCE = 1e-6;
const STEP = 1e-5; // see graph-models.test.ts: float64 rounding vs truncation error for whole blocks

function values(shape: number[], seed: number, lo: number, hi: number): Float64Array {
  const rng = new Rng(seed);
  return new Float64Array(sizeOf(shape)).map(() => lo + (hi - lo) * rng.float());
}
const weight = (shape: number[], seed: number) => {
  const a = 1.5 * Math.sqrt(3 / sizeOf(shape.slice(1)));
  return values(shape, seed, -a, a);
};

let seed = 400;
function param(name: string, shape: number[], kind: 'w' | 'gamma' | 'beta'): GradCheckInput {
  seed++;
  const v =
    kind === 'w'
      ? weight(shape, seed)
      : kind === 'gamma'
        ? values(shape, seed, 0.5, 1.5)
        : values(shape, seed, -0.2, 0.2);
  return { name, shape, values: v };
}

/** Running statistics for every BN (fixed inputs: training mode reads batch statistics). */
function bnStats(channels: number[]) {
  return channels.flatMap((c, i) => [
    { name: `rm${i}`, shape: [c], dtype: 'float64' as const, values: new Float64Array(c) },
    { name: `rv${i}`, shape: [c], dtype: 'float64' as const, values: new Float64Array(c).fill(1) },
  ]);
}

async function check(
  inputs: GradCheckInput[],
  build: (xs: Tensor[], fixed: Tensor[]) => Tensor,
  fixed: NonNullable<Parameters<typeof gradCheck>[2]>['fixed'],
) {
  const results = await gradCheck(inputs, build, { samplesPerInput: 64, fixed, epsilon: STEP, seed: 5 });
  assert.equal(results.length, inputs.length);
  const failures = results
    .filter((r) => !(r.maxRelativeError < TOLERANCE))
    .map((r) => `${r.name}: relative ${r.maxRelativeError}`);
  assert.deepEqual(failures, []);
}

describe('gradient checks of the deep networks blocks (float64)', () => {
  test('basic block with a projection shortcut: 3×3 stride 2, 1×1 stride 2 + BN, relu after the add', async () => {
    const [n, ci, co, hw, classes] = [2, 3, 4, 6, 5];
    const labels = Int32Array.from([1, 4]);
    await check(
      [
        { name: 'x', shape: [n, ci, hw, hw], values: values([n, ci, hw, hw], 399, -1, 1) },
        param('conv1', [co, ci, 3, 3], 'w'),
        param('g1', [co], 'gamma'),
        param('b1', [co], 'beta'),
        param('conv2', [co, co, 3, 3], 'w'),
        param('g2', [co], 'gamma'),
        param('b2', [co], 'beta'),
        param('proj', [co, ci, 1, 1], 'w'),
        param('gs', [co], 'gamma'),
        param('bs', [co], 'beta'),
        param('fc', [classes, co], 'w'),
      ],
      ([x, w1, g1, b1, w2, g2, b2, wp, gs, bs, fw], [y, rm0, rv0, rm1, rv1, rm2, rv2]) => {
        let h = conv2d(x, w1, undefined, { stride: 2, padding: 1 }); // [2, 4, 3, 3]
        h = relu(batchNorm(h, g1, b1, rm0, rv0, { training: true }).y);
        h = conv2d(h, w2, undefined, { padding: 1 });
        h = batchNorm(h, g2, b2, rm1, rv1, { training: true }).y;
        let s = conv2d(x, wp, undefined, { stride: 2 });
        s = batchNorm(s, gs, bs, rm2, rv2, { training: true }).y;
        assert.deepEqual(s.shape, [n, co, 3, 3]);
        h = relu(residual(s, h));
        return softmaxCrossEntropy(linear(flatten(globalAvgPool(h)), fw), y).loss;
      },
      [{ name: 'labels', shape: [n], dtype: 'int32', values: labels }, ...bnStats([co, co, co])],
    );
  });

  test('pre-activation bottleneck: BN-ReLU-1×1, BN-ReLU-3×3 stride 2, BN-ReLU-1×1, 1×1 stride-2 shortcut', async () => {
    const [n, ci, mid, out, hw, classes] = [2, 4, 3, 8, 6, 3];
    const labels = Int32Array.from([2, 0]);
    await check(
      [
        { name: 'x', shape: [n, ci, hw, hw], values: values([n, ci, hw, hw], 499, -1, 1) },
        param('g1', [ci], 'gamma'),
        param('b1', [ci], 'beta'),
        param('conv1', [mid, ci, 1, 1], 'w'),
        param('g2', [mid], 'gamma'),
        param('b2', [mid], 'beta'),
        param('conv2', [mid, mid, 3, 3], 'w'),
        param('g3', [mid], 'gamma'),
        param('b3', [mid], 'beta'),
        param('conv3', [out, mid, 1, 1], 'w'),
        param('down', [out, ci, 1, 1], 'w'),
        param('fc', [classes, out], 'w'),
      ],
      ([x, g1, b1, w1, g2, b2, w2, g3, b3, w3, wd, fw], [y, rm0, rv0, rm1, rv1, rm2, rv2]) => {
        const bnRelu = (t: Tensor, g: Tensor, b: Tensor, rm: Tensor, rv: Tensor) =>
          relu(batchNorm(t, g, b, rm, rv, { training: true }).y);
        let h = conv2d(bnRelu(x, g1, b1, rm0, rv0), w1, undefined);
        h = conv2d(bnRelu(h, g2, b2, rm1, rv1), w2, undefined, { stride: 2, padding: 1 });
        h = conv2d(bnRelu(h, g3, b3, rm2, rv2), w3, undefined);
        const s = conv2d(x, wd, undefined, { stride: 2 });
        assert.deepEqual(h.shape, [n, out, 3, 3]);
        return softmaxCrossEntropy(linear(flatten(globalAvgPool(residual(s, h))), fw), y).loss;
      },
      [{ name: 'labels', shape: [n], dtype: 'int32', values: labels }, ...bnStats([ci, mid, mid])],
    );
  });
});
