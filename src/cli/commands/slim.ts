/**
 * `ticketlab slim`: a trained unit of a run made physically thinner (network slimming): its channels
 * with the smallest BatchNorm |γ| (or conv filter norms) removed, the thinner dense network rebuilt
 * with the surviving channels' weights, checked against the channel-masked wide network's forward
 * pass, and written as a smaller inference ONNX model (the same input "input" and output "logits" as
 * `ticketlab export`).
 */
import { join, resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import ort from 'onnxruntime-node';
import { exportWeights } from '../../engine/export.js';
import { controls } from '../../lottery/controls.js';
import { unitKey } from '../../lottery/procedure.js';
import { readRunDir, runModel } from './run-dir.js';
import { SLIM_SOURCES, slimNetwork } from '../../prune/structured/index.js';
import { RunStore, writeFileAtomic } from '../../store/index.js';
import { type UnitWeightsChoice, unitWeights } from '../../lottery/unit-weights.js';
import { isDurationString } from '../../spec/durations.js';
import { UserError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { parseNumber } from './lottery.js';
import {
  type SlimOptions,
  addRetrainOptions,
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

const WEIGHT_NAMES = ['final', 'best', 'rewind', 'early-bird'];

/** `--weights`: one of the names, or a duration (a point of training the unit kept). */
function parseWeightsChoice(raw: string): UnitWeightsChoice['weights'] {
  const value = raw.trim();
  if (WEIGHT_NAMES.includes(value) || /^\d+$/.test(value) || isDurationString(value)) return value;
  throw new InvalidArgumentError(
    `"${raw}" is not one of ${WEIGHT_NAMES.join(', ')} nor a point of training (30ep, 1200it, 1200)`,
  );
}

const count = (n: number) => n.toLocaleString('en-US');

export function registerSlimCommand(program: Command): void {
  addRetrainOptions(program.command('slim <run-dir>'))
    .description(
      'Remove the fraction --ratio of the channels of a trained network of a run (network slimming: the ' +
        'smallest BatchNorm |γ| under one global threshold, or the smallest conv filter L1 norms per layer), ' +
        'rebuild the thinner dense network with the surviving weights and write it as an inference ONNX ' +
        'model; it is compared with the channel-masked wide network before it is written.',
    )
    .summary('write a trained network with its least important channels removed, as a smaller ONNX model')
    .requiredOption('--ratio <p>', 'fraction of the channels to remove, in [0, 1)', parseNumber('float', 0))
    .option('--trial <n>', 'trial', parseNumber('int', 0), 0)
    .option('--level <n>', 'pruning level whose trained weights are slimmed', parseNumber('int', 0), 0)
    .addOption(
      new Option('--condition <name>', 'the ticket or one of the controls trained beside it')
        .choices(['ticket', ...controls.names()])
        .default('ticket'),
    )
    .addOption(
      new Option(
        '--weights <which>',
        'final weights, best (at the early-stopping iteration), rewind: the trial’s θ_k (the weights after ' +
          '--rewind-iteration k steps of level 0), early-bird: where --early-bird-stop stopped the unit, or a ' +
          'point of its training it kept with --save-weights-at (30ep, 1200it, 1200): masks from an earlier point of training',
      )
        .argParser(parseWeightsChoice)
        .default('final'),
    )
    .addOption(
      new Option(
        '--from <scores>',
        'bn: BatchNorm |γ|, one global threshold (network slimming); filter-norm: conv filter L1 norm, per layer (Li et al.)',
      )
        .choices([...SLIM_SOURCES])
        .default('bn'),
    )
    .option(
      '--out <file>',
      'output file (default: <run-dir>/export/trial<t>-level<ll>-<condition>-<weights>-slim<p>.onnx)',
    )
    .action(async (runDir: string, o: SlimOptions & Record<string, unknown>) => {
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
      const bytes = exportWeights(
        slim.model,
        slim.weights.weights,
        slim.weights.buffers,
        slimMetadata(o, dir),
      );
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
            ? [
                `  non-zero parameters: ${count(slim.after.nonzeroParameters)} of ${count(slim.after.parameters)}`,
              ]
            : []),
          `  FLOPs (multiply-adds per example): ${count(slim.before.flops)} -> ${count(slim.after.flops)} (${pct(slim.after.flops, slim.before.flops)})`,
          `  matches the channel-masked wide network: max |Δ logits| ${maxDiff.toExponential(2)} (largest logit ${scale.toPrecision(3)})`,
          ...slim.groups.map((g) => `    ${g.name}: ${g.kept} of ${g.channels}`),
        ].join('\n'),
      );
    });
}
