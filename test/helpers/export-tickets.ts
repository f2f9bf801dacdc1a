/**
 * Exported tickets for runtime tests: a model of the zoo with its seeded initialization and a random
 * half of every mask, exported as ticketlab exports (src/engine/export.ts), with a fixed input batch
 * and the engine's own logits for it.
 */
import { TrainingEngine } from '../../src/engine/engine.js';
import { exportInferenceModel } from '../../src/engine/export.js';
import { resolveConfig } from '../../src/lottery/resolve.js';
import { MODELS } from '../../src/models/zoo.js';
import { Rng } from '../../src/util/rng.js';
import { halfMasks } from './blobs.js';

export interface ExportedTicket {
  model: string;
  onnx: Uint8Array;
  inputShape: number[];
  batch: number;
  input: Float32Array;
  /** The engine's logits for `input`. */
  logits: Float32Array;
}

export async function exportedTicket(model: string, batch = 4): Promise<ExportedTicket> {
  const config = resolveConfig({ model });
  const engine = await TrainingEngine.create(MODELS[model].create({ inputShape: config.inputShape }), {
    batchSize: 1,
    optimizer: config.optimizer,
    threads: 1,
  });
  try {
    engine.initialize(7);
    await engine.setMasks(halfMasks(engine, 3));
    const onnx = exportInferenceModel(engine, { model });
    const size = config.inputShape.reduce((a, b) => a * b, 1);
    const rng = new Rng(11);
    const input = Float32Array.from({ length: batch * size }, () => rng.normal());
    const logits = await engine.predict(input, batch);
    return { model, onnx, inputShape: config.inputShape, batch, input, logits };
  } finally {
    await engine.release();
  }
}

/** Largest absolute difference between two arrays of logits. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
