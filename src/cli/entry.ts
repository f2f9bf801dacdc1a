/** The process entry point of the CLI without the dashboard (bin/ticketlab.js loads dist/serve/entry.js, which adds `serve`). */
import { main } from './main.js';
import { exitOnSignals } from './signals.js';

exitOnSignals();

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // main() reports users' mistakes itself; anything reaching here is a bug in ticketlab
    console.error(error);
    process.exitCode = 70;
  },
);
