import { interruptMessage } from './main.js';

/**
 * Ctrl-C or a `kill`: say what is kept and how to go on, then exit with the signal's conventional
 * code. Every file is written atomically and finished units and checkpoints stay, so nothing is lost
 * that the message does not name. Installed by both process entry points (src/cli/entry.ts and
 * src/serve/entry.ts).
 */
export function exitOnSignals(): void {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.once(signal, () => {
      console.error(interruptMessage(process.argv, signal));
      process.exit(code);
    });
  }
}
