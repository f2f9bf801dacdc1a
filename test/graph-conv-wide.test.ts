/**
 * The weight gradient of wide convolutions on small maps (VGG's 512-channel 4×4 and 2×2 layers):
 * one GEMM per kernel tap over all images instead of per-image [Co, C] products summed afterwards,
 * checked against finite differences in float64 and by the shape of the products it emits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gradCheck } from './helpers/gradcheck.js';
import { gradients } from '../src/graph/autodiff.js';
import { Graph } from '../src/graph/graph.js';
import { liveNodes } from '../src/graph/onnx.js';
import { conv2d, reduceSum } from '../src/graph/ops.js';

/** The rank of each weight-gradient product's first operand: 3 for per-image products, 2 for one GEMM over all images. */
function productRanks(x: number[], w: number[]): number[] {
  const g = new Graph('wide');
  const xt = g.input('x', x);
  const wt = g.input('w', w);
  const [dw] = gradients(reduceSum(conv2d(xt, wt, undefined, { padding: 1 })), [wt]);
  return liveNodes(g, [dw.name])
    .filter((n) => ['FusedMatMul', 'Gemm', 'MatMul'].includes(n.op))
    .filter((n) => n.inputTensors[0]!.shape[0] !== 1) // not the sum over images (a row of ones)
    .map((n) => n.inputTensors[0]!.rank);
}

test('wide layers on small maps take one GEMM per tap over all images; narrow or large-map layers per image', () => {
  // 512 channels on 2×2 (VGG-19's last block, batch 64): 262,144 product entries per image and tap
  assert.deepEqual(productRanks([64, 512, 2, 2], [512, 512, 3, 3]), new Array(9).fill(2));
  assert.deepEqual(productRanks([64, 512, 4, 4], [512, 512, 3, 3]), new Array(9).fill(2));
  // Conv-2's 64 channels on 32×32 and ResNet-20's 64 channels on 8×8 keep the per-image kernel
  assert.ok(productRanks([60, 64, 32, 32], [64, 64, 3, 3]).every((r) => r === 3));
  assert.ok(productRanks([128, 64, 8, 8], [64, 64, 3, 3]).every((r) => r === 3));
  // Conv-6's (and VGG's) 256 channels on 8×8 too
  assert.ok(productRanks([60, 256, 8, 8], [256, 256, 3, 3]).every((r) => r === 3));
});

test('the wide-layer weight gradient matches finite differences (float64)', async () => {
  // 16 channels on 1×1 with padding 1: 256 products per image > 2·32·1·3 operand entries
  for (const [x, w] of [
    [
      [3, 16, 1, 1],
      [16, 16, 3, 3],
    ],
    [
      [2, 40, 2, 2],
      [36, 40, 3, 3],
    ],
  ]) {
    assert.ok(
      productRanks(x, w).every((r) => r === 2),
      `${x} takes the all-images path`,
    );
    const results = await gradCheck(
      [
        { name: 'x', shape: x },
        { name: 'w', shape: w },
      ],
      ([xt, wt]) => conv2d(xt, wt, undefined, { padding: 1 }),
      { samplesPerInput: 48, seed: 9 },
    );
    for (const r of results) assert.ok(r.maxRelativeError < 1e-6, `${x}: ${r.name} ${r.maxRelativeError}`);
  }
});
