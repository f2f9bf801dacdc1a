/**
 * Measures the timings crossover.ts decides from: for each layer shape, a one-layer network [in → out]
 * (softmax cross-entropy, the run's optimizer, batch size and threads) stepped densely by onnxruntime
 * and sparsely by the WebAssembly kernels at a few densities (random masks), in alternating rounds so
 * both see the same machine load; the median of each. Cached per machine (crossover.ts), so a run
 * measures once; `ticketlab calibrate-sparse` measures again on request.
 */
import { mlp } from '../models/lenet.js';
import { Rng } from '../util/rng.js';
import {
  type CalibrationKey,
  type ShapeTiming,
  defaultCalibrationFile,
  loadTimings,
  machineName,
  saveTimings,
  shapeKey,
} from './crossover.js';
import { TrainingEngine } from './engine.js';
import type { OptimizerSpec } from './optimizers.js';

/** Densities tried: from dense down past the sparsity of a 15-level LeNet lottery (3.6%). */
export const CALIBRATION_DENSITIES = [1, 0.5, 0.3, 0.2, 0.1, 0.05, 0.02];

export interface CalibrationOptions {
  batchSize: number;
  optimizer: OptimizerSpec;
  threads: number;
  /** Timed steps per engine per round (default 40) and rounds (default 3). */
  steps?: number;
  rounds?: number;
  densities?: readonly number[];
}

async function layerEngine(
  inF: number,
  outF: number,
  density: number | null,
  o: CalibrationOptions,
): Promise<TrainingEngine> {
  const engine = await TrainingEngine.create(mlp('layer', [], { inputShape: [inF], classes: outF }), {
    batchSize: o.batchSize,
    optimizer: o.optimizer,
    threads: o.threads,
    sparseKernels: density === null ? 'off' : 'always',
  });
  engine.initialize(0);
  if (density !== null && density < 1) {
    const rng = new Rng(3);
    await engine.setMasks(
      new Map([...engine.getMasks()].map(([n, m]) => [n, m.map(() => (rng.float() < density ? 1 : 0))])),
    );
  }
  const rng = new Rng(1);
  for (let i = 0; i < engine.inputBuffer.length; i++) engine.inputBuffer[i] = rng.float();
  for (let i = 0; i < engine.labelBuffer.length; i++) engine.labelBuffer[i] = rng.int(outF);
  for (let i = 0; i < 5; i++) await engine.step(1e-3);
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

/** Dense and sparse step times of one layer shape. */
export async function measureShape(inF: number, outF: number, o: CalibrationOptions): Promise<ShapeTiming> {
  const steps = o.steps ?? 40;
  const rounds = o.rounds ?? 3;
  const dense = await layerEngine(inF, outF, null, o);
  const denseTimes: number[] = [];
  const sparseMs: [number, number][] = [];
  try {
    for (const d of o.densities ?? CALIBRATION_DENSITIES) {
      const sparse = await layerEngine(inF, outF, d, o);
      const times: number[] = [];
      for (let r = 0; r < rounds; r++) {
        denseTimes.push(await msPerStep(dense, steps));
        times.push(await msPerStep(sparse, steps));
      }
      await sparse.release();
      sparseMs.push([d, round(median(times))]);
    }
  } finally {
    await dense.release();
  }
  return { inFeatures: inF, outFeatures: outF, denseMs: round(median(denseTimes)), sparseMs };
}

const round = (ms: number) => Number(ms.toFixed(4));

export function calibrationKey(o: CalibrationOptions): CalibrationKey {
  return { machine: machineName(), threads: o.threads, batchSize: o.batchSize, optimizer: o.optimizer.kind };
}

/**
 * The timings of every shape in `shapes` ([in, out]) under `o`: cached ones from `file`, the others
 * measured now and added to it (all of them with `force`). `onMeasure` hears of each shape measured.
 */
export async function calibratedTimings(
  shapes: readonly (readonly [number, number])[],
  o: CalibrationOptions & {
    file?: string;
    force?: boolean;
    onMeasure?: (inF: number, outF: number) => void;
  },
): Promise<Map<string, ShapeTiming>> {
  const file = o.file ?? defaultCalibrationFile();
  const key = calibrationKey(o);
  const timings = o.force ? new Map<string, ShapeTiming>() : loadTimings(file, key);
  const measured: ShapeTiming[] = [];
  for (const [inF, outF] of shapes) {
    if (timings.has(shapeKey(inF, outF))) continue;
    o.onMeasure?.(inF, outF);
    const t = await measureShape(inF, outF, o);
    timings.set(shapeKey(inF, outF), t);
    measured.push(t);
  }
  if (measured.length) saveTimings(file, key, measured);
  return timings;
}
