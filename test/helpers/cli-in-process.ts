/**
 * `ticketlab <args>` run by the CLI's own main() inside the test process, with what it writes to
 * stdout and stderr captured: the same commands, messages and exit codes as a child process (entry.ts
 * only hands main()'s code to process.exitCode), without paying ~4 s of CPU to start Node, tsx and
 * every module again for each command. For commands that end quickly (refusals, reading results);
 * a file keeps at least one child-process run where the process boundary matters.
 */
import { format } from 'node:util';
import { main } from '../../src/cli/main.js';

export interface CliOutcome {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs main() with `env` set over process.env (undefined deletes a variable) and CI=1, restoring
 * both the environment and the streams afterwards. A bug that throws out of main() rejects.
 */
export async function cliInProcess(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<CliOutcome> {
  const saved = { ...process.env };
  for (const [k, v] of Object.entries({ CI: '1', ...env })) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  const out: string[] = [];
  const err: string[] = [];
  const { log, error, warn } = console;
  const { write: writeErr } = process.stderr;
  // stdout is left alone: the test runner reports through it. Commands print results with
  // console.log; messages go to console.error or straight to process.stderr (commander, progress).
  console.log = (...a: unknown[]) => void out.push(`${format(...a)}\n`);
  console.error = console.warn = (...a: unknown[]) => void err.push(`${format(...a)}\n`);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    err.push(chunk.toString());
    return true;
  }) as typeof process.stderr.write;
  try {
    const status = await main(['node', 'ticketlab', ...args]);
    return { status, stdout: out.join(''), stderr: err.join('') };
  } finally {
    Object.assign(console, { log, error, warn });
    process.stderr.write = writeErr;
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}
