/**
 * Whole-model gradient checks in float64 (central differences): LeNet-300-100, a small conv net with
 * batch norm and max-pooling, and a residual block. The models are written from ops here; each
 * parameter tensor is checked on a sample of 64 entries (all of them when smaller).
 *
 * Set TICKETLAB_GRADCHECK_REPORT=1 to print the worst relative error per parameter tensor.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type GradCheckInput, gradCheck } from './helpers/gradcheck.js';
import { type Tensor, sizeOf } from '../src/graph/graph.js';
import {
  batchNorm,
  conv2d,
  flatten,
  globalAvgPool,
  linear,
  maxPool2d,
  relu,
  residual,
  softmaxCrossEntropy,
} from '../src/graph/ops.js';
import { Rng } from '../src/util/rng.js';

const TOLERANCE = 1e-6;
const SAMPLES = 64;
/**
 * Central-difference step for whole models. The loss is O(1) while single-parameter gradients can be
 * O(1e-3) (weights feeding a batch norm, first-layer weights), so float64 rounding of the loss,
 * ~1e-16·|L|/ε, dominates below ε ≈ 1e-5 (at ε = 1e-6 the worst entry reaches ~1e-6 relative), while
 * the O(ε²) truncation error grows above it; at ε = 1e-5 the worst tensor is ~1e-7.
 */
const STEP = 1e-5;
const worst = new Map<string, number>();

after(() => {
  if (!process.env.TICKETLAB_GRADCHECK_REPORT) return;
  const rows = [...worst].map(([op, e]) => `  ${op.padEnd(40)} ${e.toExponential(2)}`);
  console.log(`worst relative error per parameter (graph-models):\n${rows.join('\n')}`);
});

/** Uniform values scaled like a fan-in initialization: U(-a, a) with a = √(3 / fanIn)·gain. */
function init(shape: number[], fanIn: number, seed: number, gain = 1.5): Float64Array {
  const rng = new Rng(seed);
  const a = Math.sqrt(3 / fanIn) * gain;
  return new Float64Array(sizeOf(shape)).map(() => (rng.float() * 2 - 1) * a);
}

function uniform(shape: number[], seed: number, lo: number, hi: number): Float64Array {
  const rng = new Rng(seed);
  return new Float64Array(sizeOf(shape)).map(() => lo + (hi - lo) * rng.float());
}

function labels(n: number, classes: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  return Int32Array.from({ length: n }, () => rng.int(classes));
}

async function checkModel(
  model: string,
  inputs: GradCheckInput[],
  build: (xs: Tensor[], fixed: Tensor[]) => Tensor,
  fixed: NonNullable<Parameters<typeof gradCheck>[2]>['fixed'],
  epsilon: number,
): Promise<void> {
  const results = await gradCheck(inputs, build, { samplesPerInput: SAMPLES, fixed, epsilon, seed: 3 });
  const checkedNames = inputs.filter((i) => i.check !== false).map((i) => i.name);
  assert.deepEqual(
    results.map((r) => r.name),
    checkedNames,
  );
  const failures: string[] = [];
  for (const r of results) {
    const size = sizeOf(inputs.find((i) => i.name === r.name)!.shape);
    assert.equal(r.checked, Math.min(size, SAMPLES), `${model}: ${r.name} sample size`);
    worst.set(`${model} ${r.name}`, r.maxRelativeError);
    if (!(r.maxRelativeError < TOLERANCE)) {
      failures.push(`${r.name}: relative ${r.maxRelativeError}, absolute ${r.maxAbsoluteError}`);
    }
  }
  assert.deepEqual(failures, [], `${model}: gradients disagree with central differences`);
}

describe('whole-model gradient checks (float64)', () => {
  test('LeNet-300-100 (784-300-100-10, relu, softmax cross-entropy, batch 4)', async () => {
    const batch = 4;
    const sizes = [784, 300, 100, 10];
    const inputs: GradCheckInput[] = [
      // pixel-like inputs in [0, 1); the input gradient is checked too
      { name: 'x', shape: [batch, 784], values: uniform([batch, 784], 100, 0, 1) },
    ];
    for (let l = 0; l < 3; l++) {
      const [fanIn, fanOut] = [sizes[l], sizes[l + 1]];
      inputs.push({
        name: `w${l + 1}`,
        shape: [fanOut, fanIn],
        values: init([fanOut, fanIn], fanIn, 101 + l),
      });
      inputs.push({ name: `b${l + 1}`, shape: [fanOut], values: uniform([fanOut], 111 + l, -0.1, 0.1) });
    }
    // ε = 1e-4 (see STEP above): This model is piecewise linear up to the softmax, so the O(ε²)
    // truncation error stays tiny even at this step (worst ~1e-8 at 1e-4, ~2e-7 at 1e-5, 1e-6 at 1e-6).
    await checkModel(
      'LeNet-300-100',
      inputs,
      ([x, w1, b1, w2, b2, w3, b3], [y]) => {
        const h1 = relu(linear(x, w1, b1));
        const h2 = relu(linear(h1, w2, b2));
        const logits = linear(h2, w3, b3);
        assert.deepEqual(logits.shape, [batch, 10]);
        return softmaxCrossEntropy(logits, y).loss;
      },
      [{ name: 'labels', shape: [batch], dtype: 'int32', values: labels(batch, 10, 120) }],
      1e-4,
    );
  });

  test('small conv net: conv + batchnorm(train) + relu + maxpool + conv + relu + flatten + linear', async () => {
    const batch = 3;
    await checkModel(
      'ConvNet',
      [
        { name: 'x', shape: [batch, 1, 8, 8], values: uniform([batch, 1, 8, 8], 200, -1, 1) },
        // no bias on the conv before batch norm: BN subtracts the per-channel mean, so such a bias has
        // an exactly zero gradient, and relative error is meaningless there (0 vs rounding noise)
        { name: 'conv1_w', shape: [4, 1, 3, 3], values: init([4, 1, 3, 3], 9, 201) },
        { name: 'bn_gamma', shape: [4], values: uniform([4], 203, 0.5, 1.5) },
        { name: 'bn_beta', shape: [4], values: uniform([4], 204, -0.2, 0.2) },
        { name: 'conv2_w', shape: [6, 4, 3, 3], values: init([6, 4, 3, 3], 36, 205) },
        { name: 'conv2_b', shape: [6], values: uniform([6], 206, -0.1, 0.1) },
        { name: 'fc_w', shape: [10, 24], values: init([10, 24], 24, 207) },
        { name: 'fc_b', shape: [10], values: uniform([10], 208, -0.1, 0.1) },
      ],
      ([x, w1, gamma, beta, w2, b2, fw, fb], [y, rm, rv]) => {
        let h = conv2d(x, w1, undefined, { padding: 1 }); // [3, 4, 8, 8]
        h = relu(batchNorm(h, gamma, beta, rm, rv, { training: true }).y);
        h = maxPool2d(h, { kernel: 2, stride: 2 }); // [3, 4, 4, 4]
        h = relu(conv2d(h, w2, b2)); // [3, 6, 2, 2]
        const logits = linear(flatten(h), fw, fb);
        assert.deepEqual(logits.shape, [batch, 10]);
        return softmaxCrossEntropy(logits, y).loss;
      },
      [
        { name: 'labels', shape: [batch], dtype: 'int32', values: labels(batch, 10, 209) },
        { name: 'running_mean', shape: [4], dtype: 'float64', values: new Float64Array(4) },
        { name: 'running_var', shape: [4], dtype: 'float64', values: new Float64Array(4).fill(1) },
      ],
      STEP,
    );
  });

  test('residual block: conv-bn-relu-conv-bn + shortcut, relu, global average pool, linear', async () => {
    const [batch, c, hw, classes] = [2, 3, 6, 5];
    await checkModel(
      'ResidualBlock',
      [
        { name: 'x', shape: [batch, c, hw, hw], values: uniform([batch, c, hw, hw], 300, -1, 1) },
        { name: 'conv1_w', shape: [c, c, 3, 3], values: init([c, c, 3, 3], 9 * c, 301) },
        { name: 'bn1_gamma', shape: [c], values: uniform([c], 302, 0.5, 1.5) },
        { name: 'bn1_beta', shape: [c], values: uniform([c], 303, -0.2, 0.2) },
        { name: 'conv2_w', shape: [c, c, 3, 3], values: init([c, c, 3, 3], 9 * c, 304) },
        { name: 'bn2_gamma', shape: [c], values: uniform([c], 305, 0.5, 1.5) },
        { name: 'bn2_beta', shape: [c], values: uniform([c], 306, -0.2, 0.2) },
        { name: 'fc_w', shape: [classes, c], values: init([classes, c], c, 307) },
        { name: 'fc_b', shape: [classes], values: uniform([classes], 308, -0.1, 0.1) },
      ],
      ([x, w1, g1, b1, w2, g2, b2, fw, fb], [y, rm, rv]) => {
        let h = conv2d(x, w1, undefined, { padding: 1 });
        h = relu(batchNorm(h, g1, b1, rm, rv, { training: true }).y);
        h = conv2d(h, w2, undefined, { padding: 'same' });
        h = batchNorm(h, g2, b2, rm, rv, { training: true }).y;
        h = relu(residual(x, h));
        const logits = linear(flatten(globalAvgPool(h)), fw, fb);
        assert.deepEqual(logits.shape, [batch, classes]);
        return softmaxCrossEntropy(logits, y).loss;
      },
      [
        { name: 'labels', shape: [batch], dtype: 'int32', values: labels(batch, classes, 309) },
        { name: 'running_mean', shape: [c], dtype: 'float64', values: new Float64Array(c) },
        { name: 'running_var', shape: [c], dtype: 'float64', values: new Float64Array(c).fill(1) },
      ],
      STEP,
    );
  });
});
