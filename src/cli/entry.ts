/** The process entry point of the `ticketlab` command (bin/ticketlab.js loads the compiled copy). */
import { interruptMessage, main } from './main.js';

// Ctrl-C or a `kill`: say what is kept and how to go on, then exit with the signal's conventional
// code. Every file is written atomically and finished units and checkpoints stay, so nothing is lost
// that the message does not name.
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.once(signal, () => {
    console.error(interruptMessage(process.argv, signal));
    process.exit(code);
  });
}

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
