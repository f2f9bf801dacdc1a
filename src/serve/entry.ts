/**
 * The `ticketlab` binary (bin/ticketlab.js): the CLI (src/cli) with the dashboard's `serve` command,
 * which sits above it in the layers. src/cli/entry.ts is the same program without `serve`.
 */
import { main } from '../cli/main.js';
import { registerServeCommand } from './command.js';
import { exitOnSignals } from '../cli/signals.js';

exitOnSignals();

main(process.argv, [registerServeCommand]).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 70;
  },
);
