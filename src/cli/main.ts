import { Command, CommanderError, Option } from 'commander';
import { UserError, formatUserError } from '../util/errors.js';
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
    if (error instanceof UserError) {
      console.error(formatUserError(error));
      return error.exitCode;
    }
    throw error;
  }
}
