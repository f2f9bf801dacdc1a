/**
 * The density below which the sparse MLP kernels beat onnxruntime's dense step, measured per layer
 * shape: a one-layer network [in → out] (softmax cross-entropy, Adam, batch 60) trained with the dense
 * step and with the sparse kernels at several densities (random masks), each timed in the same round.
 *
 *   npm run bench -- --case crossover
 */
import { TrainingEngine } from '../src/engine/engine.js';
import { mlp } from '../src/models/lenet.js';
import { Rng } from '../src/util/rng.js';

const SHAPES: [number, number][] = [
  [784, 300],
  [300, 100],
  [100, 10],
  [800, 500],
];
const DENSITIES = [0.6, 0.4, 0.25, 0.15, 0.08, 0.04];

async function layerEngine(inF: number, outF: number, density: number | null): Promise<TrainingEngine> {
  const engine = await TrainingEngine.create(mlp('layer', [], { inputShape: [inF], classes: outF }), {
    batchSize: 60,
    optimizer: { kind: 'adam' },
    sparseKernelsBelow: density === null ? 0 : 1,
  });
  engine.initialize(0);
  if (density !== null) {
    const rng = new Rng(3);
    await engine.setMasks(
      new Map([...engine.getMasks()].map(([n, m]) => [n, m.map(() => (rng.float() < density ? 1 : 0))])),
    );
  }
  const rng = new Rng(1);
  for (let i = 0; i < engine.inputBuffer.length; i++) engine.inputBuffer[i] = rng.float();
  for (let i = 0; i < engine.labelBuffer.length; i++) engine.labelBuffer[i] = rng.int(outF);
  for (let i = 0; i < 10; i++) await engine.step(1e-3);
  return engine;
}

async function msPerStep(engine: TrainingEngine, steps: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    await engine.step(1e-3);
    times.push(performance.now() - t);
  }
  return median(times);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

export interface CrossoverRecord {
  case: string;
  shape: [number, number];
  dense_ms: number;
  sparse_ms: Record<string, number>;
  /** Sparse / dense step time per density (median over rounds). */
  ratios: Record<string, number>;
  /** Density at which the sparse step costs as much as the dense one, interpolated (the highest tried when
   * it wins everywhere; null when it never wins). */
  crossover: number | null;
}

/** Per shape and density: rounds of (dense, sparse) chunks of steps; the ratio is the median over rounds. */
export async function crossoverBench(steps = 200, rounds = 3): Promise<CrossoverRecord[]> {
  const out: CrossoverRecord[] = [];
  for (const [inF, outF] of SHAPES) {
    const denseEngine = await layerEngine(inF, outF, null);
    const sparse: Record<string, number> = {};
    const denseTimes: number[] = [];
    const ratios: [number, number][] = [];
    for (const d of DENSITIES) {
      const sparseEngine = await layerEngine(inF, outF, d);
      const perRound: number[] = [];
      const sparseTimes: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const dense = await msPerStep(denseEngine, steps);
        const s = await msPerStep(sparseEngine, steps);
        denseTimes.push(dense);
        sparseTimes.push(s);
        perRound.push(s / dense);
      }
      await sparseEngine.release();
      sparse[String(d)] = Number(median(sparseTimes).toFixed(4));
      ratios.push([d, median(perRound)]);
    }
    await denseEngine.release();
    // the highest density at and below which the sparse step is never slower (densities descend),
    // interpolated against the next higher one
    let crossover: number | null = null;
    let k = ratios.length;
    while (k > 0 && ratios[k - 1][1] <= 1) k--;
    if (k === 0) crossover = ratios[0][0];
    else if (k < ratios.length) {
      const [[d1, r1], [d0, r0]] = [ratios[k - 1], ratios[k]];
      crossover = d0 + ((1 - r0) * (d1 - d0)) / (r1 - r0);
    }
    out.push({
      case: `crossover-${inF}x${outF}`,
      shape: [inF, outF],
      dense_ms: Number(median(denseTimes).toFixed(4)),
      sparse_ms: sparse,
      ratios: Object.fromEntries(ratios.map(([d, r]) => [String(d), Number(r.toFixed(3))])),
      crossover: crossover === null ? null : Number(crossover.toFixed(3)),
    });
  }
  return out;
}
