/**
 * Finite-difference gradient checking: builds a float64 graph, differentiates a random projection of
 * its output with the autodiff, and compares every (or a sample of) partial derivative with a central
 * difference computed by running the forward graph itself.
 */
import { Graph, type Tensor, type TypedArray, sizeOf } from '../../src/graph/graph.js';
import { gradients } from '../../src/graph/autodiff.js';
import { mul, reduceSum } from '../../src/graph/ops.js';
import { emitModel } from '../../src/graph/onnx.js';
import { Rng } from '../../src/util/rng.js';
import { CompiledGraph, signatureOf } from '../../src/engine/session.js';

export interface GradCheckInput {
  name: string;
  shape: number[];
  /** Values (default: uniform in [-1, 1) from the check's seed). */
  values?: Float64Array;
  /** Check this input's gradient (default true). Non-differentiable inputs (e.g. labels) use `fixed`. */
  check?: boolean;
}

export interface GradCheckResult {
  name: string;
  /** max |analytic − numeric| / max(1e-3·scale, |analytic|, |numeric|) over the checked entries */
  maxRelativeError: number;
  maxAbsoluteError: number;
  checked: number;
}

export interface GradCheckOptions {
  seed?: number;
  /** Central-difference step (default 1e-6). */
  epsilon?: number;
  /** Check at most this many entries per input (default: all up to 64, then a random sample). */
  samplesPerInput?: number;
  /** Extra non-float inputs (labels, masks) with fixed values. */
  fixed?: { name: string; shape: number[]; dtype: 'int32' | 'int64' | 'float64'; values: TypedArray }[];
}

/**
 * `build` receives the float64 input tensors (and fixed ones, after them) and returns the tensor to
 * check; a non-scalar output is projected onto a fixed random direction first.
 */
export async function gradCheck(
  inputs: GradCheckInput[],
  build: (xs: Tensor[], fixed: Tensor[]) => Tensor,
  options: GradCheckOptions = {},
): Promise<GradCheckResult[]> {
  const rng = new Rng(options.seed ?? 1);
  const eps = options.epsilon ?? 1e-6;
  const g = new Graph('gradcheck');
  const xs = inputs.map((i) => g.input(i.name, i.shape, 'float64'));
  const fixed = (options.fixed ?? []).map((f) => g.input(f.name, f.shape, f.dtype));
  const y = build(xs, fixed);
  let scalar = y;
  if (y.size !== 1) {
    const direction = new Float64Array(y.size);
    for (let i = 0; i < direction.length; i++) direction[i] = rng.float() * 2 - 1;
    scalar = reduceSum(mul(y, g.constant(direction, y.shape, 'float64', 'direction')));
  }
  const checked = inputs.map((i) => i.check !== false);
  const wrt = xs.filter((_, k) => checked[k]);
  const grads = gradients(scalar, wrt);
  const signatures = [...xs, ...fixed].map(signatureOf);
  const lossOnly = await CompiledGraph.create(
    emitModel(g, { outputs: [scalar], inputs: [...xs, ...fixed] }),
    signatures,
    [signatureOf(scalar)],
    { threads: 1 },
  );
  const full = await CompiledGraph.create(
    emitModel(g, { outputs: grads, inputs: [...xs, ...fixed] }),
    signatures,
    grads.map(signatureOf),
    { threads: 1 },
  );

  const feeds: Record<string, TypedArray> = {};
  inputs.forEach((inp, k) => {
    const v = inp.values ?? new Float64Array(sizeOf(inp.shape)).map(() => rng.float() * 2 - 1);
    feeds[xs[k].name] = Float64Array.from(v);
  });
  (options.fixed ?? []).forEach((f, k) => (feeds[fixed[k].name] = f.values));
  const analytic = await full.run(feeds);

  const results: GradCheckResult[] = [];
  let w = 0;
  for (let k = 0; k < inputs.length; k++) {
    if (!checked[k]) continue;
    const gradient = analytic[grads[w++].name] as Float64Array;
    const values = feeds[xs[k].name] as Float64Array;
    const n = values.length;
    const limit = options.samplesPerInput ?? 64;
    const indices = n <= limit ? [...Array(n).keys()] : Array.from(rng.permutation(n).slice(0, limit));
    let scaleMax = 0;
    for (const v of gradient) scaleMax = Math.max(scaleMax, Math.abs(v));
    let maxRel = 0;
    let maxAbs = 0;
    for (const idx of indices) {
      const original = values[idx];
      values[idx] = original + eps;
      const plus = ((await lossOnly.run(feeds))[scalar.name] as Float64Array)[0];
      values[idx] = original - eps;
      const minus = ((await lossOnly.run(feeds))[scalar.name] as Float64Array)[0];
      values[idx] = original;
      const numeric = (plus - minus) / (2 * eps);
      const abs = Math.abs(numeric - gradient[idx]);
      const denom = Math.max(1e-3 * Math.max(scaleMax, 1e-8), Math.abs(numeric), Math.abs(gradient[idx]));
      maxAbs = Math.max(maxAbs, abs);
      maxRel = Math.max(maxRel, abs / denom);
    }
    results.push({
      name: inputs[k].name,
      maxRelativeError: maxRel,
      maxAbsoluteError: maxAbs,
      checked: indices.length,
    });
  }
  await lossOnly.release();
  await full.release();
  return results;
}
