/**
 * A run store made by real `ticketlab sweep run` commands (on the MNIST files), for the dashboard's
 * sweep tests: `seeds` (2 runs × 2 units), `strategies` (2 runs × 3 units, one run shared with
 * `seeds`: its levels 0 and 1 are both sweeps' units, its level 2 only strategies'), and `crashing`
 * (1 run whose unit process always dies: 2 units failed, recorded only by the sweep's manifest).
 * Each sweep's run directories come from `sweep plan --json`, not from the manifests under test.
 */
import { basename } from 'node:path';
import { cli, cliSync, jsonLines, writeCrasherPlugin, writeSpec } from './sweep.js';

const SMALL = 'base: { iterations: 40, evalEvery: 20, validationSize: 500, checkpointEvery: 0 }\n';

export interface MadeSweep {
  name: string;
  spec: string;
  /** Its run directories' names, from `sweep plan --json`. */
  dirs: string[];
}

export interface SweepStore {
  seeds: MadeSweep;
  strategies: MadeSweep;
  crashing: MadeSweep;
  plugin: string;
}

function planned(spec: string, runs: string, plugin: string): string[] {
  const r = cliSync(['--plugin', plugin, 'sweep', 'plan', spec, '--runs-dir', runs, '--json']);
  if (r.status !== 0) throw new Error(r.stderr);
  return jsonLines<{ dir: string }>(r.stdout).map((p) => basename(p.dir));
}

/** Runs the three sweeps into `runs` (spec files and the crasher plugin go into `dir`). */
export async function makeSweepStore(dir: string, runs: string): Promise<SweepStore> {
  const plugin = writeCrasherPlugin(dir);
  const seeds = writeSpec(dir, 'seeds.yaml', `name: seeds\n${SMALL}grid: { seed: [0, 1], levels: [1] }\n`);
  const strategies = writeSpec(
    dir,
    'strategies.yaml',
    `name: strategies\n${SMALL}grid: { pruning.strategy: [magnitude, random], seed: [1], levels: [2] }\n`,
  );
  const crashing = writeSpec(
    dir,
    'crashing.yaml',
    `name: crashing\n${SMALL}grid: { model: [crasher], levels: [1] }\n`,
  );
  const run = (spec: string, extra: string[] = []) =>
    cli(['--plugin', plugin, 'sweep', 'run', spec, '--runs-dir', runs, '--workers', '1', ...extra]);
  // seeds and crashing share no run: side by side; strategies after seeds (it reuses two of its units)
  const [a, c] = await Promise.all([run(seeds), run(crashing, ['--max-attempts', '1'])]);
  if (a.status !== 0) throw new Error(`sweep seeds: ${a.stderr}`);
  if (c.status !== 3) throw new Error(`sweep crashing should fail (exit 3): ${c.status} ${c.stderr}`);
  const b = await run(strategies);
  if (b.status !== 0) throw new Error(`sweep strategies: ${b.stderr}`);
  const made = (name: string, spec: string) => ({ name, spec, dirs: planned(spec, runs, plugin) });
  return {
    seeds: made('seeds', seeds),
    strategies: made('strategies', strategies),
    crashing: made('crashing', crashing),
    plugin,
  };
}
