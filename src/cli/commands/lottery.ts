/** `ticketlab train` and `ticketlab lottery`: one training run, or the full train-prune-reset procedure. */
import { type Command, InvalidArgumentError } from 'commander';
import type { LotteryConfig, LotteryRequest } from '../../lottery/config.js';
import { resolveConfig } from '../../lottery/resolve.js';
import { readConfigFile } from '../config-file.js';
import { flagSettings, flagValues, settingOption } from '../settings-options.js';
import { dataDirOption } from './datasets.js';
import { summaryTable } from './runs.js';

export function parseNumber(kind: 'int' | 'float', min?: number, max?: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || (kind === 'int' && !Number.isInteger(n))) {
      throw new InvalidArgumentError(
        `expected ${kind === 'int' ? 'an integer' : 'a number'}, got "${value}"`,
      );
    }
    if (min !== undefined && n < min) throw new InvalidArgumentError(`must be at least ${min}`);
    if (max !== undefined && n > max) throw new InvalidArgumentError(`must be at most ${max}`);
    return n;
  };
}

type Kind = 'train' | 'lottery';

/** The settings' flags (from the settings table), then the options of the command itself. */
function addOptions(cmd: Command, kind: Kind): Command {
  cmd.option(
    '--config <file>',
    'settings from a JSON or YAML file, by their paths (docs/settings.md); flags override them',
  );
  for (const s of flagSettings(kind)) cmd.addOption(settingOption(s));
  return cmd
    .addOption(dataDirOption())
    .option('--runs-dir <dir>', 'where run directories go (default: $TICKETLAB_RUNS or ./runs)')
    .option('--name <name>', 'readable part of the run directory name (default: <model>-<dataset>-<command>)')
    .option('--json', 'print the run summary as JSON when done', false);
}

interface CommandOptions {
  config?: string;
  dataDir?: string;
  runsDir?: string;
  name?: string;
  json: boolean;
}

/** The request and thread count a command line asks for: a config file, overridden by flags. */
export async function requestFromCommandLine(
  kind: Kind,
  opts: Record<string, unknown>,
): Promise<{ request: LotteryRequest; threads?: number }> {
  const file = typeof opts.config === 'string' ? readConfigFile(opts.config) : {};
  const { threads, ...request } = { ...file, ...flagValues(kind, opts) } as LotteryRequest & {
    threads?: number;
  };
  // train is a lottery run with level 0 only
  if (kind === 'train') request.levels = 0;
  // no count given: executeLottery takes the run's own, else the model's default
  return { request, threads };
}

async function action(kind: Kind, o: CommandOptions & Record<string, unknown>): Promise<void> {
  const { request, threads } = await requestFromCommandLine(kind, o);
  const config: LotteryConfig = resolveConfig(request);
  const name = o.name ?? `${config.model}-${config.dataset}-${kind}`;
  // loaded when a run starts, not for every command line (the engine, onnxruntime, progress bars)
  const [{ executeLottery }, { lotteryReporter }] = await Promise.all([
    import('../../experiments/execute.js'),
    import('../progress.js'),
  ]);
  const summary = await executeLottery(config, {
    runsDir: o.runsDir,
    name,
    dataDir: o.dataDir,
    threads,
    reporter: lotteryReporter(),
  });
  if (o.json) console.log(JSON.stringify(summary));
  else console.log(summaryTable(summary));
}

export function registerTrainCommand(program: Command): void {
  addOptions(
    program
      .command('train')
      .description(
        'Train one network (a lottery run with level 0 only) and record its evaluation curve, early-stopping ' +
          'iteration and test accuracy in a run directory. Running the same command again resumes it.',
      )
      .summary('train one network and record its curve, early stop and test accuracy'),
    'train',
  ).action((o: CommandOptions & Record<string, unknown>) => action('train', o));
}

export function registerLotteryCommand(program: Command): void {
  addOptions(
    program
      .command('lottery')
      .description(
        'Find lottery tickets: train, prune the smallest-magnitude weights, reset the survivors, repeat ' +
          '(Frankle & Carbin 2019). Each level and control is stored in the run directory; running the ' +
          'same command again skips finished work and resumes an interrupted level from its checkpoint.',
      )
      .summary('find lottery tickets: train, prune, reset, repeat (with controls)'),
    'lottery',
  ).action((o: CommandOptions & Record<string, unknown>) => action('lottery', o));
}
