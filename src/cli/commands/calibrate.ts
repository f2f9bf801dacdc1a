/**
 * `ticketlab calibrate-sparse`: measures (or shows, when cached) the sparse-kernel crossover of each
 * layer shape of an MLP at a run's batch size, optimizer and threads — what --sparse-kernels auto
 * decides from (engine/crossover.ts, engine/calibrate.ts).
 */
import type { Command } from 'commander';
import {
  CALIBRATION_DENSITIES,
  calibrationKeyString,
  crossoverDensity,
  defaultCalibrationFile,
  shapeKey,
} from '../../engine/crossover.js';
import { datasetNamed } from '../../data/registry.js';
import { modelEntry, resolveConfig } from '../../lottery/resolve.js';
import { UserError } from '../../util/errors.js';
import { parseNumber } from './lottery.js';

interface CalibrateOptions {
  model: string;
  dataset?: string;
  batchSize?: number;
  threads: number;
  force?: boolean;
  file?: string;
  json?: boolean;
}

export function registerCalibrateCommand(program: Command): void {
  program
    .command('calibrate-sparse')
    .description(
      'Times one training step of each layer shape of an MLP densely (onnxruntime) and with the sparse kernels at densities ' +
        `${CALIBRATION_DENSITIES.join(', ')}, and prints the density below which the sparse step is faster. ` +
        '--sparse-kernels auto decides from these timings; they are cached per machine, threads, batch size and ' +
        'optimizer, so this measures only shapes not yet measured (all with --force).',
    )
    .summary('measure where the sparse MLP step beats the dense one, per layer shape')
    .option('--model <name>', 'an MLP model', 'lenet300')
    .option('--dataset <name>', "dataset (its input size and classes; default: the model's)")
    .option('--batch-size <n>', "batch size (default: the model's)", parseNumber('int', 1))
    .option('--threads <n>', 'onnxruntime intra-op threads', parseNumber('int', 1), 2)
    .option('--force', 'measure again even when cached')
    .option('--file <path>', `the cache file (default ${defaultCalibrationFile()})`)
    .option('--json', 'the timings as JSON')
    .action(async (o: CalibrateOptions) => {
      // the engine and onnxruntime load only when this command runs
      const [{ calibratedTimings, calibrationKey }, { mlpLayers }] = await Promise.all([
        import('../../engine/calibrate.js'),
        import('../../engine/compact.js'),
      ]);
      const config = resolveConfig({
        model: o.model,
        ...(o.dataset ? { dataset: o.dataset } : {}),
        ...(o.batchSize ? { batchSize: o.batchSize } : {}),
      });
      const model = modelEntry(config.model).create({
        inputShape: config.inputShape,
        classes: datasetNamed(config.dataset).classes,
        init: { kind: config.init },
      });
      const layers = mlpLayers(model);
      if (!layers)
        throw new UserError(
          `${config.model} is not an MLP (fully connected layers with ReLU, no dropout or BatchNorm); the sparse step runs MLPs only`,
          'give an MLP with --model, e.g. lenet300',
        );
      const options = {
        batchSize: config.batchSize,
        optimizer: config.optimizer,
        threads: o.threads,
        force: o.force,
        file: o.file,
        onMeasure: (i: number, out: number) => process.stderr.write(`measuring ${i}x${out} …\n`),
      };
      const timings = await calibratedTimings(
        layers.map((l) => [l.inFeatures, l.outFeatures] as const),
        options,
      );
      const rows = layers.map((l) => {
        const t = timings.get(shapeKey(l.inFeatures, l.outFeatures))!;
        return { layer: l.weight, ...t, crossover: Number(crossoverDensity(t).toFixed(3)) };
      });
      if (o.json) {
        console.log(JSON.stringify({ key: calibrationKey(options), layers: rows }, null, 2));
        return;
      }
      console.log(`${calibrationKeyString(calibrationKey(options))} (${o.file ?? defaultCalibrationFile()})`);
      for (const r of rows) {
        const sparse = [...r.sparseMs]
          .sort((a, b) => b[0] - a[0])
          .map(([d, ms]) => `${d}: ${ms.toFixed(3)}`)
          .join(', ');
        console.log(
          `${r.layer} ${shapeKey(r.inFeatures, r.outFeatures)}: dense ${r.denseMs.toFixed(3)} ms/step; ` +
            `sparse by density ${sparse}; sparse is faster below ${(100 * r.crossover).toFixed(1)}% kept`,
        );
      }
    });
}
