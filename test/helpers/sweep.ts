/**
 * What the sweep tests share (sweep-local, sweep-queue, sweep-summary): the CLI run as a child
 * process, sweep events parsed from --json output, spec and crasher-plugin files, and every unit's
 * result under a runs directory (for comparing two run stores).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

export const ENTRY = ['--import', 'tsx', 'src/cli/entry.ts'];
export const CLI_ENV = { ...process.env, CI: '1' };

/** Why the sweep tests on real MNIST files are skipped, or false when they can run. */
export const NEEDS_DATA = process.env.TICKETLAB_DATA
  ? false
  : 'TICKETLAB_DATA is not set: the sweep tests need the real MNIST files';

export interface SweepEvent {
  event: string;
  key: string;
  run: string;
  resumedAt?: number;
  error?: string;
}

/** The JSON lines of a command's output. */
export function jsonLines<T>(text: string): T[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as T);
}

/** `ticketlab [...before] sweep <args> --json`, synchronously; events and the units trained and skipped. */
export function sweepSync(args: string[], before: string[] = []) {
  const r = spawnSync(process.execPath, [...ENTRY, ...before, 'sweep', ...args, '--json'], {
    encoding: 'utf8',
    env: CLI_ENV,
  });
  const events = jsonLines<SweepEvent>(r.stderr);
  const of = (kind: string) => events.filter((e) => e.event === kind).map((e) => `${e.run}/${e.key}`);
  return { ...r, events, trained: of('done'), skipped: of('skipped') };
}

/** `ticketlab <args>`, synchronously. */
export function cliSync(args: string[]) {
  return spawnSync(process.execPath, [...ENTRY, ...args], { encoding: 'utf8', env: CLI_ENV });
}

/** `ticketlab <args>`, awaited without blocking this process (other children's output keeps flowing). */
export function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [...ENTRY, ...args], { env: CLI_ENV });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (status) => done({ status, stdout, stderr }));
  });
}

/** Writes a spec file and returns its path. */
export function writeSpec(dir: string, name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/**
 * A plugin registering the model `crasher`, whose unit process dies (SIGKILL) as soon as it is built;
 * the sweep's own process builds the model too (to check which settings apply), so only units die.
 */
export function writeCrasherPlugin(dir: string): string {
  const plugin = join(dir, 'crasher.mts');
  writeFileSync(
    plugin,
    `import { lenet300, registerModel } from ${JSON.stringify(resolve('src/models/index.ts'))};\n` +
      `registerModel({ name: 'crasher', description: 'dies when built in a unit process', input: 'flat', defaults: lenet300.defaults,\n` +
      `  create: (o) => { if (/unit-process/.test(process.argv[1] ?? '')) { process.kill(process.pid, 'SIGKILL'); }\n` +
      `    return lenet300.create(o); } });\n`,
  );
  return plugin;
}

/** Every unit's result under a runs directory, by path, without wall times. */
export function unitResults(runs: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'result.json') {
        const { wallSeconds: _w, ...rest } = JSON.parse(readFileSync(p, 'utf8')).result;
        out[relative(runs, p)] = rest;
      }
    }
  };
  walk(runs);
  return out;
}
