/**
 * `ticketlab slim <run-dir> --ratio p --retrain [--retrain-from slimmed|scratch]`: the slimmed network
 * trained further from its surviving weights (network slimming's --refine) or from a fresh init of the
 * thin architecture, as a run of its own under <runs>/slim (experiments/slim-retrain.ts). Its training
 * settings are the settings table's flags (those in RETRAIN_SETTING_KEYS); unset, the source run's.
 */
import { join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import type { ExportMetadata } from '../../engine/export.js';
import type { SlimRetrainResult } from '../../experiments/slim-retrain.js';
import {
  RETRAIN_FROM,
  RETRAIN_SETTING_KEYS,
  type RetrainFrom,
} from '../../experiments/slim-retrain-settings.js';
import type { LotteryRequest } from '../../lottery/config.js';
import type { UnitWeightsChoice } from '../../lottery/unit-weights.js';
import type { SlimSource } from '../../prune/structured/index.js';
import { writeFileAtomic } from '../../store/index.js';
import { UserError } from '../../util/errors.js';
import { attributeOf, flagSettings, flagValues, settingOption } from '../settings-options.js';
import { dataDirOption } from './datasets.js';
import { progress } from './supermask.js';

const retrainSettings = () =>
  flagSettings('train').filter((s) => (RETRAIN_SETTING_KEYS as readonly string[]).includes(s.key));

/** The options of --retrain: the switch, the start, the training settings' flags, where runs go. */
export function addRetrainOptions(cmd: Command): Command {
  cmd
    .option(
      '--retrain',
      'train the slimmed network as a run of its own under <runs>/slim (resumable; done before: read back); ' +
        'training settings: the flags below, else the source run’s',
      false,
    )
    .addOption(
      new Option(
        '--retrain-from <start>',
        'slimmed: continue from the surviving weights (network slimming’s refine); scratch: a fresh init of the thin network',
      ).choices([...RETRAIN_FROM]),
    );
  for (const s of retrainSettings()) cmd.addOption(settingOption(s));
  cmd.addHelpText(
    'after',
    '\nWith --retrain, a training setting not given is the source run’s, not the model default shown above ' +
      '(except --bn-l1: 0, and --seed: the trial’s). The model, data, split and normalization are the ' +
      'source run’s; the retrained network is written to --out, default <slim run>/retrained.onnx.\n\nExamples:\n' +
      '  ticketlab slim runs/vgg11-… --ratio 0.5 --out vgg11-slim50.onnx\n' +
      '  ticketlab slim runs/preresnet20-… --ratio 0.5 --retrain --iterations 160ep --milestones 80ep,120ep\n' +
      '  ticketlab slim runs/preresnet20-… --ratio 0.5 --retrain --retrain-from scratch',
  );
  return cmd
    .addOption(dataDirOption())
    .option('--runs-dir <dir>', 'where run directories go (default: $TICKETLAB_RUNS or ./runs)')
    .option('--json', 'with --retrain: print the result as JSON', false);
}

/** `--weights` by name (or else a point of training the unit kept). */
export const WEIGHT_NAMES = ['final', 'best', 'rewind', 'early-bird'];

/** What `ticketlab slim` slims: the unit, its weights, the ratio and the scores; where the ONNX goes. */
export interface SlimOptions {
  ratio: number;
  trial: number;
  level: number;
  condition: string;
  weights: UnitWeightsChoice['weights'];
  from: SlimSource;
  out?: string;
}

/** The ONNX metadata of a slimmed model: which unit, weights, ratio and scores it came from, in run `run`. */
export function slimMetadata(o: SlimOptions, run: string): ExportMetadata {
  return {
    run,
    trial: o.trial,
    level: o.level,
    condition: o.condition,
    weights: o.weights,
    slimRatio: o.ratio,
    slimFrom: o.from,
  };
}

interface RetrainOptions extends SlimOptions {
  retrainFrom?: RetrainFrom;
  dataDir?: string;
  runsDir?: string;
  json?: boolean;
}

/** Whether the command line asks for a retraining; refuses retraining flags without --retrain. */
export function retrainRequested(o: Record<string, unknown>): boolean {
  const given = [
    ...(o.retrainFrom !== undefined ? ['--retrain-from'] : []),
    ...retrainSettings()
      .filter((s) => o[attributeOf(s)] !== undefined)
      .map((s) => s.flag!.split(' ')[0]),
    ...(o.json ? ['--json'] : []),
  ];
  if (o.retrain !== true && given.length > 0)
    throw new UserError(
      `${given.join(', ')} ${given.length === 1 ? 'applies' : 'apply'} to retraining the slimmed network, and --retrain was not given`,
      'add --retrain to train the slimmed network, or leave them out to only write it',
    );
  return o.retrain === true;
}

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
const count = (n: number) => n.toLocaleString('en-US');

export function retrainSummaryLines(r: SlimRetrainResult): string[] {
  return [
    `channels: ${count(r.channels.kept)} of ${count(r.channels.total)} kept; parameters ${count(r.before.parameters)} -> ${count(r.after.parameters)}, ` +
      `FLOPs ${count(r.before.flops)} -> ${count(r.after.flops)}`,
    ...(r.unitMask
      ? [
          `the unit's unstructured mask, sliced and kept while retraining: ${count(r.unitMask.kept)} of ` +
            `${count(r.unitMask.total)} masked weights (${pct(r.unitMask.kept / r.unitMask.total)}); ` +
            `non-zero parameters ${count(r.unitMask.nonzeroParameters)} of ${count(r.after.parameters)}`,
        ]
      : []),
    `slimmed network before retraining: test accuracy ${pct(r.beforeRetraining.testAccuracy)}`,
    `retrained from ${r.retrainFrom} for ${r.iterations} iterations: final test accuracy ${pct(r.finalTestAccuracy)}, ` +
      `best ${pct(r.bestTestAccuracy)}, at the early-stopping iteration ${r.earlyStopIteration} ${pct(r.testAccuracyAtEarlyStop)}`,
    `wall time ${r.wallSeconds.toFixed(1)} s at ${r.threads} threads`,
  ];
}

/** `ticketlab slim … --retrain`: trains (or reads back) the run, prints it, writes the ONNX model. */
export async function retrainAction(
  runDir: string,
  o: RetrainOptions & Record<string, unknown>,
): Promise<void> {
  const given = flagValues('train', o) as Partial<LotteryRequest> & { threads?: number };
  const notify = (message: string) => process.stderr.write(`slim: ${message}\n`);
  let report: ReturnType<typeof progress> | undefined;
  // training and the ONNX writer load only when a retraining runs
  const [{ retrainSlim }, { exportWeights }] = await Promise.all([
    import('../../experiments/slim-retrain.js'),
    import('../../engine/export.js'),
  ]);
  const run = await retrainSlim({
    runDir,
    trial: o.trial,
    level: o.level,
    condition: o.condition,
    weights: o.weights,
    ratio: o.ratio,
    from: o.from,
    retrainFrom: o.retrainFrom ?? 'slimmed',
    training: given,
    runsDir: o.runsDir,
    dataDir: o.dataDir,
    onProgress: (iteration, loss, iterations) =>
      (report ??= progress('slim retrain', iterations))(iteration, loss),
    notify,
  });
  const { dir, result, reused, slim, final } = run;
  process.stderr.write(`run directory: ${dir}${reused ? ' (done before: read back)' : ''}\n`);
  const target = resolve(o.out ?? join(dir, 'retrained.onnx'));
  const metadata = { ...slimMetadata(o, resolve(runDir)), retrainFrom: result.retrainFrom, retrainRun: dir };
  const bytes = exportWeights(slim.model, final.weights, final.buffers, metadata);
  writeFileAtomic(target, bytes);
  if (o.json) console.log(JSON.stringify({ dir, onnx: target, ...result }));
  else
    console.log(
      [`${target}: ${(bytes.length / 1e6).toFixed(2)} MB`, ...retrainSummaryLines(result)].join('\n'),
    );
}
