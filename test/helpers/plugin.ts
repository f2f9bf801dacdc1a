/** Running the CLI from the sources with a plugin file written into a temporary directory. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ENTRY = ['--import', 'tsx', 'src/cli/entry.ts'];

/** `ticketlab <args>` under tsx, non-interactive (CI=1: plain progress lines). */
export function cli(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, [...ENTRY, ...args], { encoding: 'utf8', env: { ...env, CI: '1' } });
}

/** Writes `source` as `fileName` in a fresh temporary directory, runs `body`, removes the directory. */
export function withPlugin(
  fileName: string,
  source: string,
  body: (plugin: string, dir: string) => void,
): void {
  const dir = mkdtempSync(join(tmpdir(), 'ticketlab-plugin-'));
  try {
    const plugin = join(dir, fileName);
    writeFileSync(plugin, source);
    body(plugin, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
