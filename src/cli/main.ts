import { resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { defaultRunsRoot } from '../store/index.js';
import { UserError, formatUserError } from '../util/errors.js';
import { fsUserError } from '../util/fs-errors.js';
import { registerCommands } from './commands/index.js';
import { loadPlugins, pluginArgs } from './plugins.js';

/** `extra`: commands of layers above cli/ (the dashboard's `serve`), added by their own entry point. */
export function buildProgram(extra: ((program: Command) => void)[] = []): Command {
  const program = new Command('ticketlab')
    .description(
      'Lottery-ticket experiments (Frankle & Carbin, ICLR 2019): train, prune, reset, compare, export.\n' +
        'Training steps are compiled to ONNX and run by onnxruntime-node.',
    )
    .version('0.1.0')
    .addOption(
      // read from argv before the program is built (see main); declared here for help and parsing
      new Option(
        '--plugin <module>',
        'import a module (.mjs/.js) that registers models, pruning criteria or scopes before the command runs (repeatable)',
      )
        .argParser((value: string, previous: string[]) => [...previous, value])
        .default([], 'none'),
    )
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerCommands(program);
  for (const register of extra) register(program);
  return program;
}

/** Runs the CLI; returns the process exit code. Users' mistakes print one message, never a stack trace. */
export async function main(argv: string[], extra: ((program: Command) => void)[] = []): Promise<number> {
  try {
    // plugins first: the commands' options (e.g. --model's choices) list what they register
    await loadPlugins(pluginArgs(argv.slice(2)));
    const program = buildProgram(extra);
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has already printed its message (unknown option, bad value, --help, --version)
      return error.exitCode;
    }
    // a full disk, a read-only mount, a file where a directory belongs: one message, no stack trace
    const userError = error instanceof UserError ? error : fsUserError(error, outputOf(argv));
    if (userError) {
      console.error(formatUserError(userError));
      return userError.exitCode;
    }
    throw error;
  }
}

/** The one line printed when a signal stops the command: what is kept, and how to go on. */
export function interruptMessage(argv: string[], signal: string): string {
  if (writesRuns(argv)) {
    return (
      `ticketlab: stopped by ${signal}. Finished units and each unit's last checkpoint are saved under ` +
      `${outputOf(argv)}; run the same command again to resume where it stopped.`
    );
  }
  return `ticketlab: stopped by ${signal}; nothing was left half-written. Run the same command again to redo it.`;
}

/** Where the command writes (for fs errors that name no path, such as a failed write to an open file). */
function outputOf(argv: string[]): string | undefined {
  for (const flag of ['--out', '-o', '--runs-dir']) {
    const i = argv.indexOf(flag);
    if (i >= 0 && argv[i + 1]) return resolve(argv[i + 1]);
    const joined = argv.find((a) => a.startsWith(`${flag}=`));
    if (joined) return resolve(joined.slice(flag.length + 1));
  }
  return writesRuns(argv) ? defaultRunsRoot() : undefined;
}

const writesRuns = (argv: string[]) =>
  argv.slice(2).some((a) => ['lottery', 'train', 'reproduce'].includes(a));
