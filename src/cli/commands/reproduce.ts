/** `ticketlab reproduce <experiment>`: the paper's experiments from one command, with a report. */
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { PRESETS, type Scale, presetNamed, presetRuns } from '../../experiments/presets.js';
import { defaultContext } from '../../lottery/resolve.js';
import { defaultOf } from '../../spec/table.js';
import type { RunSummary as ReportSummary } from '../../report/index.js';
import { defaultRunsRoot } from '../../store/index.js';
import { dataDirOption } from './datasets.js';
import { INPUT_SETTINGS } from '../../spec/settings.js';
import { settingOption } from '../settings-options.js';
import { SHARE_SETTINGS } from '../../spec/share-settings.js';
import { parseNumber } from './lottery.js';
import { SUPERMASK_PRESET } from '../../experiments/supermask-preset.js';
import { progress, reproduceSupermask } from './supermask.js';
import { parseSmoothing } from './report.js';

interface ReproduceOptions {
  trials?: number;
  models?: string[];
  scale: Scale;
  dataset?: string;
  dataDir?: string;
  runsDir?: string;
  threads?: number;
  format: 'html' | 'md';
  report: boolean;
  workers?: number;
  smooth?: number;
  /** null: not given (sharing on); false: --no-share-level0 */
  shareLevel0?: boolean | null;
  dryRun?: boolean;
}

export function registerReproduceCommand(program: Command): void {
  program
    .command('reproduce <experiment>')
    .description(
      "Reproduce one of the paper's experiments and write its report:\n" +
        Object.values(PRESETS)
          .map((p) => `  ${p.name.padEnd(16)} ${p.description}`)
          .join('\n') +
        `\n  ${SUPERMASK_PRESET.name.padEnd(16)} ${SUPERMASK_PRESET.description}` +
        '\nRuns live in the run store, so presets that share runs compute them once, and running the ' +
        'same command again resumes.',
    )
    .summary(
      `reproduce a published experiment and report it (${[...Object.keys(PRESETS), SUPERMASK_PRESET.name].join(', ')})`,
    )
    .option(
      '--trials <n>',
      'trials per experiment (default: 5 at paper scale; 2 for LeNet and 1 for conv nets at quick scale)',
      parseNumber('int', 1),
    )
    .addOption(
      new Option(
        '--scale <scale>',
        "paper: the paper's exact settings; quick: shortened to finish on a 2-core machine",
      )
        .choices(['quick', 'paper'])
        .default('quick'),
    )
    .option(
      '--dataset <name>',
      'lenet-iterative: mnist or fashion-mnist; conv-iterative: cifar10 or fashion-mnist (stand-in); figure-1: fashion-mnist for stand-ins; ' +
        'resnet20-pruning-study: cifar10 or fashion-mnist (the quick default, a stand-in)',
    )
    .option(
      '--models <list>',
      'only these networks, comma-separated (conv-iterative and figure-1: conv2, conv4, conv6; figure-1 also ' +
        'lenet300), e.g. --models conv2 for a first look (about 6 minutes at quick scale)',
      (v: string) =>
        v
          .split(',')
          .map((m) => m.trim())
          .filter(Boolean),
    )
    .addOption(dataDirOption())
    .option('--runs-dir <dir>', 'runs directory (default: $TICKETLAB_RUNS or ./runs)')
    .addOption(settingOption(INPUT_SETTINGS.threads))
    .addOption(settingOption(SHARE_SETTINGS.shareLevel0))
    .addOption(new Option('--format <format>', 'report format').choices(['html', 'md']).default('html'))
    .option('--no-report', 'only run the experiments')
    .option(
      '--workers <n>',
      'sweep presets (pruning-grid): local worker processes (default: cores ÷ threads; threads default 1)',
      parseNumber('int', 1),
    )
    .option(
      '--smooth <weight>',
      'sweep presets: smooth accuracy curves by an exponential moving average of this weight in [0, 1)',
      parseSmoothing,
    )
    .option(
      '--dry-run',
      'train and write nothing: list each run of the preset (directory, units) and whether each unit is ' +
        'done, to train (where an interrupted one resumes, and which live process trains it now) or copied ' +
        '(a shared level 0), the total, and the time the preset is estimated to take ' +
        'where it states one; sweep presets (pruning-grid) list their runs and units done',
    )
    .action(async (experiment: string, o: ReproduceOptions) => {
      if (o.dryRun)
        return (await import('./reproduce-dry-run.js')).reproduceDryRun(
          experiment === SUPERMASK_PRESET.name ? SUPERMASK_PRESET : presetNamed(experiment),
          o,
        );
      // learned supermasks train scores over frozen weights: not lottery runs, their own runs and report
      if (experiment === SUPERMASK_PRESET.name)
        return reproduceSupermask({
          ...o,
          threads: o.threads ?? (defaultOf(INPUT_SETTINGS.threads, defaultContext('lenet300')) as number),
        });
      const preset = presetNamed(experiment);
      if (preset.sweep) {
        if (o.scale === 'quick') process.stderr.write(`${preset.name}: ${preset.quickNote}\n`);
        return (await import('./reproduce-sweep.js')).reproduceSweep(preset, o);
      }
      const runs = presetRuns(preset, {
        dataset: o.dataset,
        scale: o.scale,
        trials: o.trials,
        models: o.models,
      });
      // slim-retrain runs slim units of the lottery runs kept (all of them unless --models drops their source)
      const slimRuns = (
        preset.slimRetrainRuns?.({ dataset: o.dataset, scale: o.scale, trials: o.trials }) ?? []
      ).filter((s) => runs.some((r) => r.name === s.source));
      if (o.scale === 'quick') process.stderr.write(`${preset.name}: ${preset.quickNote}\n`);
      const slimProgress = new Map<string, ReturnType<typeof progress>>();
      // training and the report's figures load only when an experiment runs, not for every command line
      const [
        { runPreset },
        { lotteryReporter },
        { writeReport },
        { writeGradualReport },
        { writeStudyReport },
      ] = await Promise.all([
        import('../../experiments/run-preset.js'),
        import('../progress.js'),
        import('../../report/index.js'),
        import('../../report/gradual.js'),
        import('../../report/study-page.js'),
      ]);
      const { summaries, slim } = await runPreset(runs, slimRuns, {
        runsDir: o.runsDir,
        dataDir: o.dataDir,
        threads: o.threads,
        shareLevel0: o.shareLevel0,
        reporter: lotteryReporter(),
        onSlimProgress: (r, iteration, loss, iterations) => {
          if (!slimProgress.has(r.name)) slimProgress.set(r.name, progress(r.name, iterations));
          slimProgress.get(r.name)!(iteration, loss);
        },
      });
      if (!o.report) return;
      const datasetPart = o.dataset ? `-${o.dataset}` : '';
      // a report of some of the networks must not overwrite the whole preset's report
      const modelsPart = o.models?.length ? `-${[...o.models].sort().join('-')}` : '';
      const out = join(
        defaultRunsRoot(o.runsDir),
        'reports',
        `${preset.name}${datasetPart}-${o.scale}${modelsPart}`,
      );
      const title = `${preset.name}${o.scale === 'quick' ? ' (quick scale)' : ''}`;
      const result = await writeReport(summaries as unknown as ReportSummary[], out, {
        format: o.format,
        title,
      });
      console.log(`report: ${join(out, o.format === 'html' ? 'index.html' : 'index.md')}`);
      const gradual = await writeGradualReport(summaries, out);
      if (gradual) console.log(`pruning during training: ${gradual}`);
      const study = await writeStudyReport(summaries, out, slim);
      if (study) console.log(`pruning study: ${study}`);
      void result;
    });
}
