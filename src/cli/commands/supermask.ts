/**
 * `ticketlab supermask`: train a learned supermask (Zhou et al. 2019, Section 5) — the network's
 * weights frozen, one score per prunable weight trained — and `ticketlab reproduce supermask`, the
 * paper's experiment with its report. The training settings are the settings table's (`train`'s
 * flags); the supermask's own are the flags below.
 */
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import type { SupermaskResult } from '../../experiments/learned-supermask.js';
import { SUPERMASK_DEFAULTS, type SupermaskSettings } from '../../experiments/supermask-settings.js';
import { SUPERMASK_PRESET } from '../../experiments/supermask-preset.js';
import type { Scale } from '../../experiments/preset-types.js';
import { resolveConfig } from '../../lottery/resolve.js';
import type { SupermaskReportRow } from '../../report/learned-supermask.js';
import { defaultRunsRoot } from '../../store/index.js';
import { flagSettings, settingOption } from '../settings-options.js';
import { dataDirOption } from './datasets.js';
import { parseNumber, requestFromCommandLine } from './lottery.js';

interface SupermaskOptions {
  scoreInit: number;
  rescale: boolean;
  signedConstant: boolean;
  samples: number;
  dataDir?: string;
  runsDir?: string;
  json: boolean;
}

/** A progress line on stderr every 100 iterations and at the end (rewritten in place on a terminal). */
export function progress(label: string, iterations: number) {
  const tty = process.stderr.isTTY;
  return (iteration: number, loss: number) => {
    if (iteration % 100 !== 0 && iteration !== iterations) return;
    const line = `${label}: iteration ${iteration}/${iterations}, loss ${loss.toFixed(3)}`;
    process.stderr.write(tty ? `\r${line}` : `${line}\n`);
    if (tty && iteration === iterations) process.stderr.write('\n');
  };
}

const notify = (message: string) => process.stderr.write(`supermask: ${message}\n`);

export function summaryLines(r: SupermaskResult): string[] {
  const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
  return [
    `test accuracy, mean of ${r.testAccuracySampled.length} sampled masks: ${pct(r.testAccuracySampledMean)}`,
    `test accuracy, mask σ(s) > 0.5: ${pct(r.testAccuracyThresholded)}, keeping ${pct(r.fractionKept)} of the weights (mean σ(s) ${pct(r.expectedFractionKept)})`,
    `same weights, random mask of the same per-layer sizes: ${pct(r.testAccuracyRandomMask)}; no mask: ${pct(r.testAccuracyUnmasked)}`,
    `wall time ${r.wallSeconds.toFixed(1)} s at ${r.threads} threads`,
  ];
}

export function registerSupermaskCommand(program: Command): void {
  const cmd = program
    .command('supermask')
    .description(
      'Learn a supermask (Zhou et al. 2019, Section 5): the weights stay frozen at θ₀ (or signed constants), ' +
        'one score s per prunable weight is trained, masks are sampled from σ(s) with a straight-through ' +
        'gradient. Reports the test accuracy of the mask σ(s) > 0.5 and the mean over sampled masks, the ' +
        'fraction kept, and a random mask of the same sizes. Training settings are those of `train` ' +
        '(Zhou: --optimizer sgd --momentum 0.9 --lr 100 --batch-size 250; `reproduce supermask` uses them).',
    )
    .summary('learn a supermask over frozen weights (Zhou et al. 2019)')
    .option(
      '--config <file>',
      'training settings from a JSON or YAML file, by their paths (docs/settings.md)',
    );
  // one seed per run: --trials of `train` does not apply
  for (const s of flagSettings('train')) if (s.key !== 'trials') cmd.addOption(settingOption(s));
  cmd
    .addOption(
      new Option('--score-init <s>', 'initial score of every weight (σ(0) = 0.5)')
        .argParser(parseNumber('float'))
        .default(SUPERMASK_DEFAULTS.scoreInit),
    )
    .option('--rescale', 'dynamic weight rescaling: each layer × size / number kept', false)
    .option('--signed-constant', 'frozen weights sign(θ₀)·std(θ₀) per layer instead of θ₀', false)
    .addOption(
      new Option('--samples <n>', 'sampled masks whose test accuracies are averaged')
        .argParser(parseNumber('int', 0))
        .default(SUPERMASK_DEFAULTS.samples),
    )
    .addOption(dataDirOption())
    .option('--runs-dir <dir>', 'where run directories go (default: $TICKETLAB_RUNS or ./runs)')
    .option('--json', 'print the result as JSON', false)
    .action(async (o: SupermaskOptions & Record<string, unknown>) => {
      const { request, threads } = await requestFromCommandLine('train', o);
      const config = resolveConfig(request);
      const settings: SupermaskSettings = {
        scoreInit: o.scoreInit,
        rescale: o.rescale,
        signedConstant: o.signedConstant,
        samples: o.samples,
      };
      // training (the engine, onnxruntime) loads only when this command runs
      const { learnSupermask } = await import('../../experiments/learned-supermask.js');
      const { dir, result, reused } = await learnSupermask(config, settings, {
        runsDir: o.runsDir,
        dataDir: o.dataDir,
        threads, // default: a checkpoint's count, else the model's
        onProgress: progress('supermask', config.iterations),
        notify,
      });
      process.stderr.write(`run directory: ${dir}${reused ? ' (done before: read back)' : ''}\n`);
      if (o.json) console.log(JSON.stringify(result));
      else console.log(summaryLines(result).join('\n'));
    });
}

export interface ReproduceSupermaskOptions {
  scale: Scale;
  trials?: number;
  dataset?: string;
  dataDir?: string;
  runsDir?: string;
  threads: number;
  report: boolean;
}

/** `ticketlab reproduce supermask`: every variant and trial of the preset, then the report. */
export async function reproduceSupermask(o: ReproduceSupermaskOptions): Promise<void> {
  const started = performance.now();
  // the report's figures (vega, resvg) load only when this experiment runs
  const [{ currentLoad, writeSupermaskReport }, { learnSupermask }] = await Promise.all([
    import('../../report/learned-supermask.js'),
    import('../../experiments/learned-supermask.js'),
  ]);
  const loadBefore = currentLoad();
  const runs = SUPERMASK_PRESET.runs(o);
  if (o.scale === 'quick') process.stderr.write(`supermask: ${SUPERMASK_PRESET.quickNote}\n`);
  const rows: SupermaskReportRow[] = [];
  for (const [k, run] of runs.entries()) {
    const config = resolveConfig(run.request);
    const label = `${run.variant}, seed ${config.seed} (${k + 1}/${runs.length})`;
    const { dir, result, reused } = await learnSupermask(config, run.settings, {
      runsDir: o.runsDir,
      dataDir: o.dataDir,
      threads: o.threads,
      onProgress: progress(label, config.iterations),
      notify,
    });
    process.stderr.write(`${label}: ${dir}${reused ? ' (done before: read back)' : ''}\n`);
    for (const line of summaryLines(result)) process.stderr.write(`  ${line}\n`);
    rows.push({ variant: run.variant, dir, result });
  }
  if (!o.report) return;
  const out = join(defaultRunsRoot(o.runsDir), 'reports', `supermask-mnist-${o.scale}`);
  const path = await writeSupermaskReport(rows, out, {
    title: `supermask${o.scale === 'quick' ? ' (quick scale)' : ''}`,
    quickNote: o.scale === 'quick' ? SUPERMASK_PRESET.quickNote : undefined,
    paper: SUPERMASK_PRESET.paper,
    wallSeconds: (performance.now() - started) / 1000,
    loadBefore,
    loadAfter: currentLoad(),
    command: `ticketlab reproduce supermask --scale ${o.scale}${o.trials ? ` --trials ${o.trials}` : ''}`,
  });
  console.log(`report: ${path}`);
}
