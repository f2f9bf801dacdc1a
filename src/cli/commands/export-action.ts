/** What `ticketlab export` does once its command line is parsed: loaded only when the command runs. */
import { join, resolve } from 'node:path';
import ort from 'onnxruntime-node';
import { TrainingEngine } from '../../engine/engine.js';
import { exportWeights } from '../../engine/export.js';
import { exportTicket, inferenceLatency } from '../../engine/export-ticket.js';
import { unitKey } from '../../lottery/procedure.js';
import { readRunDir, runModel } from './run-dir.js';
import { RunStore, writeFileAtomic } from '../../store/index.js';
import { UserError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';

export interface ExportOptions {
  trial: number;
  level?: number;
  condition: string;
  weights: 'final' | 'best';
  out?: string;
  format: 'smallest' | 'dense';
}

export async function exportAction(runDir: string, o: ExportOptions): Promise<void> {
  if (o.weights !== 'final' && o.weights !== 'best') {
    throw new UserError(`--weights must be final or best, got "${o.weights}"`);
  }
  const { dir, config } = readRunDir(runDir);
  let level = o.level;
  if (level === undefined) {
    // every finished level counts, not only those of the last invocation's --levels
    const done = new RunStore().loadRun(dir).doneKeys();
    for (const key of done) {
      const m = /^trial-(\d+)\/level-(\d+)\/(.+)$/.exec(key);
      if (m && +m[1] === o.trial && m[3] === o.condition) level = Math.max(level ?? 0, +m[2]);
    }
    if (level === undefined)
      throw new UserError(`no finished level for trial ${o.trial}, condition ${o.condition} in ${dir}`);
  }
  // the store's verified read: the unit is done, its files present and the ones it wrote
  const run = new RunStore().loadRun(dir);
  const key = unitKey(o.trial, level, o.condition);
  const weights = new Map<string, Float32Array>();
  const buffers = new Map<string, Float32Array>();
  for (const [k, v] of run.readUnitTensors(key, `${o.weights}.safetensors`).tensors)
    (k.startsWith('buffer:') ? buffers : weights).set(k.replace(/^buffer:/, ''), v.data as Float32Array);
  // the network the run trained: its classes come from the dataset (two for a cats/dogs folder)
  const model = runModel(config);
  let kept = 0;
  let total = 0;
  const masks = new Map(
    [...run.readUnitTensors(key, 'masks.safetensors').tensors].map(([k, t]) => [k, t.data as Uint8Array]),
  );
  for (const m of masks.values()) {
    total += m.length;
    for (const v of m) kept += v;
  }
  const metadata = {
    trial: o.trial,
    level,
    condition: o.condition,
    weights: o.weights,
    fractionRemaining: kept / total,
    run: dir,
  };
  const ticket = o.format === 'dense' ? null : exportTicket(model, weights, buffers, masks, metadata);
  const bytes = ticket?.bytes ?? exportWeights(model, weights, buffers, metadata);
  // check: the exported model reproduces the engine's forward pass on a random batch
  const engine = await TrainingEngine.create(model, {
    batchSize: 1,
    optimizer: config.optimizer,
    threads: 1,
  });
  try {
    await engine.setMasks(masks);
    engine.setWeights(weights, buffers);
    const batch = 8;
    const size = config.inputShape.reduce((a, b) => a * b, 1);
    const rng = new Rng(1);
    const x = Float32Array.from({ length: batch * size }, () => rng.normal());
    const expected = await engine.predict(x, batch);
    const session = await ort.InferenceSession.create(bytes);
    const out = await session.run({ input: new ort.Tensor('float32', x, [batch, ...config.inputShape]) });
    await session.release();
    const got = out.logits.data as Float32Array;
    let maxDiff = 0;
    got.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - expected[i]))));
    if (!(maxDiff <= 1e-5))
      throw new Error(`exported model disagrees with the engine (max |Δ| = ${maxDiff})`);
    const target = resolve(
      o.out ??
        join(
          dir,
          'export',
          `trial${o.trial}-level${String(level).padStart(2, '0')}-${o.condition}-${o.weights}.onnx`,
        ),
    );
    writeFileAtomic(target, bytes);
    console.log(
      `${target}: ${(bytes.length / 1e6).toFixed(2)} MB, ${((100 * kept) / total).toFixed(2)}% of weights remaining, matches the engine (max |Δ logits| ${maxDiff.toExponential(1)})`,
    );
    if (ticket) {
      const dense = exportWeights(model, weights, buffers, metadata);
      const latency = async (b: number) =>
        `${(await inferenceLatency(bytes, config.inputShape, b)).toFixed(3)} ms vs ${(await inferenceLatency(dense, config.inputShape, b)).toFixed(3)} ms dense`;
      console.log(
        `  stored as ${ticket.format}: ${bytes.length} bytes, ${(bytes.length / ticket.denseBytes).toFixed(3)}x the dense export (${ticket.denseBytes} bytes); ` +
          `onnxruntime-node latency batch 1: ${await latency(1)}, batch 64: ${await latency(64)}`,
      );
    }
  } finally {
    await engine.release();
  }
}
