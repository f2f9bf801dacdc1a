/**
 * `ticketlab slim`: a trained unit of a run made physically thinner (network slimming): its channels
 * with the smallest BatchNorm |γ| (or conv filter norms) removed, the thinner dense network rebuilt
 * with the surviving channels' weights, checked against the channel-masked wide network's forward
 * pass, and written as a smaller inference ONNX model (the same input "input" and output "logits" as
 * `ticketlab export`).
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { controls } from '../../lottery/controls.js';
import { SLIM_SOURCES } from '../../prune/structured/sources.js';
import type { UnitWeightsChoice } from '../../lottery/unit-weights.js';
import { isDurationString } from '../../spec/durations.js';
import { parseNumber } from './lottery.js';
import { type SlimOptions, WEIGHT_NAMES, addRetrainOptions } from './slim-retrain.js';

/** `--weights`: one of the names, or a duration (a point of training the unit kept). */
function parseWeightsChoice(raw: string): UnitWeightsChoice['weights'] {
  const value = raw.trim();
  if (WEIGHT_NAMES.includes(value) || /^\d+$/.test(value) || isDurationString(value)) return value;
  throw new InvalidArgumentError(
    `"${raw}" is not one of ${WEIGHT_NAMES.join(', ')} nor a point of training (30ep, 1200it, 1200)`,
  );
}

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
    // onnxruntime and the ONNX writer load only when a network is slimmed
    .action(async (runDir: string, o: SlimOptions & Record<string, unknown>) =>
      (await import('./slim-action.js')).slimAction(runDir, o),
    );
}
