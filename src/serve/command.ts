/**
 * `ticketlab serve [runs-dir]`: the dashboard, a local web page over the run store. The dashboard is the
 * top layer (above cli/), so the command is added to the program by ./entry.ts, the `ticketlab` binary.
 */
import type { Command } from 'commander';
import { parseNumber } from '../cli/commands/lottery.js';
import { startDashboard } from './app.js';

export function registerServeCommand(program: Command): void {
  program
    .command('serve [runs-dir]')
    .description(
      'A local web page over a run store: runs with live progress, a filter by any setting, a parallel-coordinates ' +
        'plot and accuracy vs weights remaining grouped by any setting. Reads the store directly; nothing is uploaded.',
    )
    .option('--port <n>', 'port (default 8080; 0: any free port)', parseNumber('int', 0, 65535), 8080)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .action(async (runsDir: string | undefined, o: { port: number; host: string }) => {
      const { url } = await startDashboard({ root: runsDir, port: o.port, host: o.host });
      console.log(`dashboard at ${url} (Ctrl-C stops it)`);
      await new Promise(() => {}); // until interrupted
    });
}
