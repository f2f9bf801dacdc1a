/**
 * Measures the timings crossover.ts decides from: for each layer shape, a network [in → out] (with a
 * dense 10-class head when out > 10; softmax cross-entropy, the run's optimizer, batch size and
 * threads) stepped densely by onnxruntime and sparsely by the WebAssembly kernels at a few densities
 * (random masks on the layer), in alternating rounds so both see the same machine load; per round the
 * first quartile of the step times, then the median over rounds. Cached per machine (crossover.ts),
 * so a run measures once; `ticketlab calibrate-sparse` measures again on request.
 */
import { mlp } from '../models/lenet.js';
import { Rng } from '../util/rng.js';
import {
  CALIBRATION_DENSITIES,
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

const HEAD_CLASSES = 10;

export interface CalibrationOptions {
  batchSize: number;
  optimizer: OptimizerSpec;
  threads: number;
  /** Timed steps per engine per round (default 30) and rounds (default 5). */
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
  // a wide layer gets a 10-class head (kept dense), as in a real network: a softmax over hundreds of
  // classes would cost the sparse step (whose loss runs in JavaScript) more than the layer itself
  const head = outF > HEAD_CLASSES;
  const model = head
    ? mlp('layer', [outF], { inputShape: [inF], classes: HEAD_CLASSES })
    : mlp('layer', [], { inputShape: [inF], classes: outF });
  const engine = await TrainingEngine.create(model, {
    batchSize: o.batchSize,
    optimizer: o.optimizer,
    threads: o.threads,
    sparseKernels: density === null ? 'off' : 'always',
  });
  engine.initialize(0);
  if (density !== null && density < 1) {
    const rng = new Rng(3);
    await engine.setMasks(
      new Map(
        [...engine.getMasks()].map(([n, m]) => [
          n,
          n === 'fc1.weight' ? m.map(() => (rng.float() < density ? 1 : 0)) : m,
        ]),
      ),
    );
  }
  const rng = new Rng(1);
  for (let i = 0; i < engine.inputBuffer.length; i++) engine.inputBuffer[i] = rng.float();
  const classes = head ? HEAD_CLASSES : outF;
  for (let i = 0; i < engine.labelBuffer.length; i++) engine.labelBuffer[i] = rng.int(classes);
  for (let i = 0; i < 5; i++) await engine.step(1e-3);
  return engine;
}

/**
 * The first quartile of the steps' times: on a shared machine whole runs of steps lose the CPU to
 * other processes, which a median still catches; the quartile stays near the unloaded time.
 */
async function msPerStep(engine: TrainingEngine, steps: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    await engine.step(1e-3);
    times.push(performance.now() - t);
  }
  return [...times].sort((a, b) => a - b)[times.length >> 2];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** Dense and sparse step times of one layer shape. */
export async function measureShape(inF: number, outF: number, o: CalibrationOptions): Promise<ShapeTiming> {
  const steps = o.steps ?? 30;
  const rounds = o.rounds ?? 5;
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
