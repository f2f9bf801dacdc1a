/**
 * `ticketlab serve [runs-dir]`: the dashboard, a local web page over the run store, or with
 * `--export <dir>` the same views as a static folder. The dashboard is the top layer (above cli/),
 * so the command is added to the program by ./entry.ts, the `ticketlab` binary.
 */
import type { Command } from 'commander';
import { parseNumber } from '../cli/commands/lottery.js';
import { startDashboard } from './app.js';
import { exportDashboard } from './export.js';

export function registerServeCommand(program: Command): void {
  program
    .command('serve [runs-dir]')
    .description(
      'A local web page over a run store: runs and sweeps with live progress, a filter by any setting, a parallel-coordinates ' +
        'plot whose axes brush the other views, accuracy vs weights remaining grouped by any setting, and one ' +
        "run's curves, levels, units and settings. Reads the store directly; nothing is uploaded. " +
        '--export writes the same views as a folder that opens from file:// without a server.',
    )
    .option('--port <n>', 'port (default 8080; 0: any free port)', parseNumber('int', 0, 65535), 8080)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option(
      '--export <dir>',
      'write a static copy (HTML, data, vega libraries) into this new or empty directory',
    )
    .action(async (runsDir: string | undefined, o: { port: number; host: string; export?: string }) => {
      if (o.export !== undefined) {
        const out = exportDashboard(runsDir, o.export);
        console.log(
          `wrote ${out.index} (${out.runs} runs, ${out.sweeps} sweeps, ${out.units} units); open it in a browser, no server needed`,
        );
        return;
      }
      const { url } = await startDashboard({ root: runsDir, port: o.port, host: o.host });
      console.log(`dashboard at ${url} (Ctrl-C stops it)`);
      await new Promise(() => {}); // until interrupted
    });
}
