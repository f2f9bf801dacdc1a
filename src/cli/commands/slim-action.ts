/** What `ticketlab slim` does once its command line is parsed: loaded only when the command runs. */
import { join, resolve } from 'node:path';
import ort from 'onnxruntime-node';
import { exportWeights } from '../../engine/export.js';
import { unitKey } from '../../lottery/procedure.js';
import { readRunDir, runModel } from './run-dir.js';
import { slimNetwork } from '../../prune/structured/index.js';
import { RunStore, writeFileAtomic } from '../../store/index.js';
import { unitWeights } from '../../lottery/unit-weights.js';
import { UserError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import {
  type SlimOptions,
  WEIGHT_NAMES,
  retrainAction,
  retrainRequested,
  slimMetadata,
} from './slim-retrain.js';

/** Logits of an inference ONNX model on a batch. */
async function runOnnx(bytes: Uint8Array, x: Float32Array, shape: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = await session.run({ input: new ort.Tensor('float32', x, shape) });
    return out.logits.data as Float32Array;
  } finally {
    await session.release();
  }
}

const count = (n: number) => n.toLocaleString('en-US');

export async function slimAction(runDir: string, o: SlimOptions & Record<string, unknown>): Promise<void> {
  if (retrainRequested(o)) return retrainAction(runDir, o);
  if (!(o.ratio < 1))
    throw new UserError(
      `--ratio ${o.ratio} would remove every channel`,
      'give a fraction below 1, e.g. --ratio 0.5',
    );
  const { dir, config } = readRunDir(runDir);
  const run = new RunStore().loadRun(dir);
  const key = unitKey(o.trial, o.level, o.condition);
  if (!run.doneKeys().includes(key))
    throw new UserError(
      `${key} of ${dir} is not finished`,
      'give --trial, --level and --condition of a finished unit (ticketlab runs show)',
    );
  const { weights, buffers } = unitWeights(run, o, key, config);
  const model = runModel(config);
  const slim = slimNetwork(model, { weights, buffers }, { ratio: o.ratio, from: o.from });
  for (const notice of slim.selection.notices) console.log(`note: ${notice}`);
  const bytes = exportWeights(slim.model, slim.weights.weights, slim.weights.buffers, slimMetadata(o, dir));
  const masked = exportWeights(model, slim.maskedWide.weights, slim.maskedWide.buffers);
  // the check: the thin network computes what the wide one computes with the channels switched off
  const batch = 8;
  const size = config.inputShape.reduce((a, b) => a * b, 1);
  const rng = new Rng(1);
  const x = Float32Array.from({ length: batch * size }, () => rng.normal());
  const shape = [batch, ...config.inputShape];
  const expected = await runOnnx(masked, x, shape);
  const got = await runOnnx(bytes, x, shape);
  let maxDiff = 0;
  let scale = 0;
  got.forEach((v, i) => {
    maxDiff = Math.max(maxDiff, Math.abs(v - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  });
  // float32 sums over fewer terms in another order: agreement to rounding, relative to the logits
  if (!(maxDiff <= 1e-4 * Math.max(1, scale)))
    throw new Error(
      `the slimmed network disagrees with the channel-masked one (max |Δ logits| = ${maxDiff})`,
    );
  const target = resolve(
    o.out ??
      join(
        dir,
        'export',
        `trial${o.trial}-level${String(o.level).padStart(2, '0')}-${o.condition}-${o.weights}-slim${o.ratio}.onnx`,
      ),
  );
  writeFileAtomic(target, bytes);
  const kept = slim.groups.reduce((a, g) => a + g.kept, 0);
  const total = slim.groups.reduce((a, g) => a + g.channels, 0);
  const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)}%`;
  console.log(
    [
      `${target}: ${(bytes.length / 1e6).toFixed(2)} MB`,
      `  from: ${o.weights === 'rewind' ? `trial ${o.trial}'s θ_k, the weights after ${config.rewindIteration} iterations` : WEIGHT_NAMES.includes(o.weights) ? `${o.weights} weights of ${key}` : `the weights of ${key} at ${o.weights}`}`,
      `  channels: ${count(kept)} of ${count(total)} kept (${pct(kept, total)}) in ${slim.groups.length} layers; ` +
        `threshold ${typeof slim.selection.threshold === 'number' ? slim.selection.threshold.toPrecision(4) : 'per layer'}`,
      `  parameters: ${count(slim.before.parameters)} -> ${count(slim.after.parameters)} (${pct(slim.after.parameters, slim.before.parameters)})`,
      // a pruned unit's zeros stay zeros in the thin network (its unstructured mask, sliced)
      ...(slim.after.nonzeroParameters < slim.after.parameters
        ? [`  non-zero parameters: ${count(slim.after.nonzeroParameters)} of ${count(slim.after.parameters)}`]
        : []),
      `  FLOPs (multiply-adds per example): ${count(slim.before.flops)} -> ${count(slim.after.flops)} (${pct(slim.after.flops, slim.before.flops)})`,
      `  matches the channel-masked wide network: max |Δ logits| ${maxDiff.toExponential(2)} (largest logit ${scale.toPrecision(3)})`,
      ...slim.groups.map((g) => `    ${g.name}: ${g.kept} of ${g.channels}`),
    ].join('\n'),
  );
}
