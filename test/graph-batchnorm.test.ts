/**
 * BatchNorm as one BatchNormalization node with its closed-form gradient (ops/norm.ts), checked in
 * float64 against finite differences and against the composition of primitive ops it replaced
 * (mean, centred square, 1/√(var + ε), scale and shift, differentiated op by op): outputs, running
 * statistics and the gradients of x, γ and β (and, in inference, of the running statistics) agree to
 * float64 rounding, in training and inference, also for a mean far from zero (two-pass variance).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gradCheck } from './helpers/gradcheck.js';
import { gradients } from '../src/graph/autodiff.js';
import { Graph, type Tensor, sizeOf } from '../src/graph/graph.js';
import { emitModel } from '../src/graph/onnx.js';
import * as op from '../src/graph/ops.js';
import { CompiledGraph, signatureOf } from '../src/engine/session.js';
import { Rng } from '../src/util/rng.js';

/** The formulation before the fused op, verbatim: primitives whose rules autodiff chains. */
function composedBatchNorm(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  runningMean: Tensor,
  runningVar: Tensor,
  training: boolean,
  eps = 1e-5,
  momentum = 0.1,
) {
  const g = x.graph;
  const c = x.shape[1];
  const bcast = x.rank === 4 ? [1, c, 1, 1] : [1, c];
  const axes = x.rank === 4 ? [0, 2, 3] : [0];
  const perChannel = (t: Tensor) => op.reshape(t, bcast);
  if (!training) {
    const inv = op.div(g.scalar(1, x.dtype), op.sqrt(op.add(perChannel(runningVar), g.scalar(eps, x.dtype))));
    return {
      y: op.add(op.mul(op.mul(op.sub(x, perChannel(runningMean)), inv), perChannel(gamma)), perChannel(beta)),
    };
  }
  const count = sizeOf(axes.map((a) => x.shape[a]));
  const mean = op.reduceMean(x, axes, true);
  const centered = op.sub(x, mean);
  const variance = op.reduceMean(op.square(centered), axes, true);
  const inv = op.div(g.scalar(1, x.dtype), op.sqrt(op.add(variance, g.scalar(eps, x.dtype))));
  const y = op.add(op.mul(op.mul(centered, inv), perChannel(gamma)), perChannel(beta));
  const m = g.scalar(momentum, x.dtype);
  const keep = g.scalar(1 - momentum, x.dtype);
  const unbiased = op.scale(op.reshape(variance, [c]), count / Math.max(1, count - 1));
  return {
    y,
    runningMean: op.add(op.mul(keep, runningMean), op.mul(m, op.reshape(mean, [c]))),
    runningVar: op.add(op.mul(keep, runningVar), op.mul(m, unbiased)),
  };
}

function uniform(n: number, seed: number, lo: number, hi: number): Float64Array {
  const rng = new Rng(seed);
  return new Float64Array(n).map(() => lo + (hi - lo) * rng.float());
}

/** Runs both formulations on the same inputs; returns every output of each, flattened. */
async function bothFormulations(shape: number[], training: boolean, offset: number) {
  const c = shape[1];
  const feeds = {
    x: uniform(sizeOf(shape), 11, offset - 1.5, offset + 1.5),
    gamma: uniform(c, 12, 0.5, 1.5),
    beta: uniform(c, 13, -0.3, 0.3),
    rm: uniform(c, 14, -0.5, 0.5),
    rv: uniform(c, 15, 0.5, 2),
    dir: uniform(sizeOf(shape), 16, -1, 1),
  };
  const results: Record<string, Float64Array>[] = [];
  for (const fused of [true, false]) {
    const g = new Graph('bn');
    const x = g.input('x', shape, 'float64');
    const gamma = g.input('gamma', [c], 'float64');
    const beta = g.input('beta', [c], 'float64');
    const rm = g.input('rm', [c], 'float64');
    const rv = g.input('rv', [c], 'float64');
    const dir = g.input('dir', shape, 'float64');
    const r = fused
      ? op.batchNorm(x, gamma, beta, rm, rv, { training })
      : composedBatchNorm(x, gamma, beta, rm, rv, training);
    // a non-trivial downstream gradient: Σ dir·y²
    const loss = op.reduceSum(op.mul(dir, op.square(r.y)));
    // in inference the running statistics are inputs of y: their gradients too
    const grads = gradients(loss, training ? [x, gamma, beta] : [x, gamma, beta, rm, rv]);
    const outs = [r.y, ...grads, ...(r.runningMean ? [r.runningMean, r.runningVar!] : [])].map((t, i) =>
      g.output(t, `out${i}`),
    );
    const ins = [x, gamma, beta, rm, rv, dir];
    const session = await CompiledGraph.create(
      emitModel(g, { outputs: outs, inputs: ins }),
      ins.map(signatureOf),
      outs.map(signatureOf),
      { threads: 1 },
    );
    results.push((await session.run(feeds)) as Record<string, Float64Array>);
    await session.release();
  }
  return results;
}

function maxRelativeDifference(a: Float64Array, b: Float64Array): number {
  let scale = 0;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(scale, 1e-300));
  return worst;
}

describe('BatchNorm: one node and its closed-form gradient', () => {
  for (const [shape, training, offset] of [
    [[4, 3, 5, 5], true, 0],
    [[6, 4], true, 0],
    // a mean far from zero: the two-pass variance agrees with the composition's (also centred)
    [[4, 3, 5, 5], true, 1000],
    [[4, 3, 5, 5], false, 0],
    [[6, 4], false, 0],
  ] as const) {
    test(`agrees with the primitive composition: ${shape.join('×')}, ${training ? 'training' : 'inference'}, mean ≈ ${offset}`, async () => {
      const [fused, composed] = await bothFormulations([...shape], training, offset);
      const names = Object.keys(composed);
      assert.deepEqual(Object.keys(fused), names);
      assert.equal(names.length, 6);
      for (const name of names) {
        const diff = maxRelativeDifference(fused[name], composed[name]);
        assert.ok(diff < (offset > 0 ? 1e-9 : 1e-12), `${name}: relative difference ${diff}`);
      }
    });
  }

  for (const training of [true, false]) {
    test(`finite differences (float64), ${training ? 'training' : 'inference'} mode, NCHW and NC`, async () => {
      for (const shape of [
        [3, 2, 4, 4],
        [5, 3],
      ]) {
        const c = shape[1];
        const stats = [
          { name: 'rm', shape: [c], dtype: 'float64' as const, values: uniform(c, 24, -0.5, 0.5) },
          { name: 'rv', shape: [c], dtype: 'float64' as const, values: uniform(c, 25, 0.5, 2) },
        ];
        // in inference the running statistics are checked too; in training they do not reach y
        const results = await gradCheck(
          [
            { name: 'x', shape, values: uniform(sizeOf(shape), 21, -2, 3) },
            { name: 'gamma', shape: [c], values: uniform(c, 22, 0.5, 1.5) },
            { name: 'beta', shape: [c], values: uniform(c, 23, -0.3, 0.3) },
            ...(training ? [] : stats),
          ],
          (inputs, fixed) => {
            const [x, gamma, beta] = inputs;
            const [rm, rv] = training ? fixed : inputs.slice(3);
            return op.square(op.batchNorm(x, gamma, beta, rm, rv, { training }).y);
          },
          { seed: 3, epsilon: 1e-5, fixed: training ? stats : [] },
        );
        assert.equal(results.length, training ? 3 : 5);
        for (const r of results)
          assert.ok(r.maxRelativeError < 1e-6, `${shape}: ${r.name} ${r.maxRelativeError}`);
      }
    });
  }

  test("the gradient rule makes under half the composition's whole-tensor passes, one of them a BatchNormalization", () => {
    const backwardOps = (fused: boolean) => {
      const g = new Graph('count');
      const shape = [8, 4, 6, 6];
      const x = g.input('x', shape);
      const gamma = g.input('gamma', [4]);
      const beta = g.input('beta', [4]);
      const [rm, rv] = [g.input('rm', [4]), g.input('rv', [4])];
      const r = fused
        ? op.batchNorm(x, gamma, beta, rm, rv, { training: true })
        : composedBatchNorm(x, gamma, beta, rm, rv, true);
      const loss = op.reduceSum(op.mul(r.y, g.input('dir', shape)));
      const before = g.nodes.length;
      gradients(loss, [x, gamma, beta]);
      // the passes over whole [N, C, H, W] tensors (per-channel arithmetic is negligible)
      return g.nodes
        .slice(before)
        .filter((n) => n.inputTensors.some((t) => t && t.size === x.size))
        .map((n) => n.op);
    };
    const fused = backwardOps(true);
    const composed = backwardOps(false);
    // the loss's two Muls (its rule multiplies for both factors), then the rule's six: Σ dy,
    // dy·(x − μ) and its Σ, dy·a, (x − μ)·b + c, their sum
    assert.equal(fused.length, 8, fused.join(' '));
    assert.equal(fused.filter((o) => o === 'BatchNormalization').length, 1, fused.join(' '));
    assert.ok(fused.length * 2 < composed.length, `${fused.join(' ')} vs ${composed.join(' ')}`);
  });

  test('the forward pass: the mean, the deviations, their sum of squares, one BatchNormalization', () => {
    const g = new Graph('forward');
    const shape = [8, 4, 6, 6];
    const x = g.input('x', shape);
    const [gamma, beta, rm, rv] = ['gamma', 'beta', 'rm', 'rv'].map((n) => g.input(n, [4]));
    const before = g.nodes.length;
    op.batchNorm(x, gamma, beta, rm, rv, { training: true });
    const passes = g.nodes
      .slice(before)
      .filter((n) => n.inputTensors.some((t) => t && t.size === x.size))
      .map((n) => n.op);
    assert.deepEqual(passes, ['ReduceMean', 'Sub', 'ReduceSumSquare', 'BatchNormalization']);
  });
});
