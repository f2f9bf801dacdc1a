/**
 * `ticketlab runs verify | repair | rm | gc`: check a store unit by unit (records, tensor files and
 * their checksums), recompute exactly what is missing or damaged, remove runs, clean up leftovers.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { DEFAULT_THREADS } from '../../spec/settings.js';
import { lotteryConfigSchema } from '../../lottery/config.js';
import { LEGACY_UNIT_FILES } from '../../lottery/integrity.js';
import { runIdentity } from '../../lottery/resolve.js';
import { SUMMARY_FILE, type RunSummary } from '../../lottery/summary.js';
import {
  CHECKPOINT_FILE,
  findGarbage,
  hashConfig,
  listRuns,
  readJson,
  removeGarbage,
  removeRun,
  type Run,
  RunStore,
  type UnitCheck,
} from '../../store/index.js';
import { UserError } from '../../util/errors.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number ≥ 1');
  return n;
}

/** The runs named on the command line (paths or names under the root), or every run under it. */
function runsNamed(store: RunStore, names: string[]): Run[] {
  if (names.length > 0) return names.map((n) => store.loadRun(n));
  return listRuns(store.root)
    .filter((r) => existsSync(join(r.dir, 'config.json')))
    .map((r) => store.loadRun(r.dir));
}

/** Every started unit of a run, checked: state, and for recorded units their files. */
export function verifyRun(run: Run): UnitCheck[] {
  const trialFiles = run.unitKeys().filter((k) => /^trial-\d+\/level-\d+\/[^/]+$/.test(k));
  return trialFiles.map((key) => run.checkUnit(key, LEGACY_UNIT_FILES));
}

function describe(run: Run, c: UnitCheck): string {
  if (c.problems.length > 0) return `DAMAGED: ${c.problems.join('; ')}`;
  if (c.state === 'failed') return `failed: ${c.failure?.message ?? 'unknown error'}`;
  if (c.state === 'interrupted') {
    const path = run.path(c.key, CHECKPOINT_FILE);
    let at = '';
    try {
      if (existsSync(path))
        at = ` (checkpoint at iteration ${(readJson(path) as { iteration: number }).iteration})`;
    } catch {
      at = ' (its checkpoint is unreadable: the unit will start again)';
    }
    return `interrupted${at}`;
  }
  if (c.state === 'done' || c.state === 'diverged') {
    const unchecked = c.unchecked.length
      ? ` (no checksums: written by an earlier version, accepted unchecked: ${c.unchecked.map((f) => basename(f)).join(', ')})`
      : '';
    return `${c.state}, ok${unchecked}`;
  }
  return c.state;
}

/** Prints the verification of each run; returns how many units are damaged. */
function printVerification(runs: Run[]): number {
  let damaged = 0;
  for (const run of runs) {
    const checks = verifyRun(run);
    console.log(`${run.dir}:`);
    if (checks.length === 0) console.log('  no unit started');
    const width = Math.max(0, ...checks.map((c) => c.key.length));
    for (const c of checks) console.log(`  ${c.key.padEnd(width)}  ${describe(run, c)}`);
    const bad = checks.filter((c) => c.problems.length > 0).length;
    damaged += bad;
    if (bad > 0)
      console.log(
        `  ${bad} damaged unit(s): \`ticketlab runs repair ${run.dir}\` (or the same lottery command) recomputes them, and only them`,
      );
  }
  return damaged;
}

async function repairRun(run: Run, o: { threads?: number; dataDir?: string }): Promise<number> {
  const parsed = lotteryConfigSchema.safeParse(run.config);
  if (!parsed.success)
    throw new UserError(
      `${run.dir}/config.json is not the configuration of this version's lottery runs`,
      'run the lottery command that made it again, with this version',
    );
  const config = parsed.data;
  if (`${run.name}-${hashConfig(runIdentity(config))}` !== basename(run.dir))
    throw new UserError(
      `${run.dir} is not named after its settings (renamed?)`,
      `give it its name back: ${run.name}-${hashConfig(runIdentity(config))}`,
    );
  // training (the engine, onnxruntime) loads only when a run is repaired
  const [{ executeLottery, recordedThreads }, { lotteryReporter }] = await Promise.all([
    import('../../experiments/execute.js'),
    import('../progress.js'),
  ]);
  const threads = o.threads ?? recordedThreads(run) ?? DEFAULT_THREADS;
  let labels: Pick<RunSummary, 'scale' | 'standIn' | 'preset'> | undefined;
  const summaryPath = run.path(SUMMARY_FILE);
  if (existsSync(summaryPath)) {
    const { scale, standIn, preset } = readJson(summaryPath) as RunSummary;
    labels = { scale, standIn, preset };
  }
  const base = lotteryReporter();
  let trained = 0;
  await executeLottery(config, {
    runsDir: dirname(run.dir),
    name: run.name,
    dataDir: o.dataDir,
    threads,
    labels,
    repair: true,
    reporter: { ...base, unitStart: (u) => (trained++, base.unitStart?.(u)) },
  });
  return trained;
}

export function registerRunsMaintenance(runs: Command): void {
  runs
    .command('verify [runs...]')
    .description(
      'Check runs unit by unit: each result.json parses, and every tensor file a unit recorded (masks, final ' +
        'and best weights, θ_k) is present with the checksum it was written with. Exits 1 if a unit is damaged.',
    )
    .option('--runs-dir <dir>', 'runs directory (default: $TICKETLAB_RUNS or ./runs)')
    .action((names: string[], o: { runsDir?: string }) => {
      const store = new RunStore({ root: o.runsDir });
      const list = runsNamed(store, names);
      if (list.length === 0) console.log(`no runs under ${store.root}`);
      const damaged = printVerification(list);
      if (damaged > 0)
        throw new UserError(
          `${damaged} damaged unit(s)`,
          '`ticketlab runs repair` recomputes them (or run the same lottery command again)',
          1,
        );
    });
  runs
    .command('repair [runs...]')
    .description(
      'Recompute exactly what is missing or damaged in runs (default: every run with a damaged unit), down to ' +
        'the unit: damaged units of any invocation, and the unfinished units of the latest one (resumed from ' +
        'their checkpoints), with the thread count the run was computed with.',
    )
    .option('--runs-dir <dir>', 'runs directory (default: $TICKETLAB_RUNS or ./runs)')
    .option('--data-dir <dir>', 'where the datasets are (default: $TICKETLAB_DATA, the cache, a download)')
    .option('--threads <n>', 'intra-op threads (default: the count the run was computed with)', positiveInt)
    .action(async (names: string[], o: { runsDir?: string; dataDir?: string; threads?: number }) => {
      const store = new RunStore({ root: o.runsDir });
      let list = runsNamed(store, names);
      if (names.length === 0) list = list.filter((r) => verifyRun(r).some((c) => c.problems.length > 0));
      if (list.length === 0) console.log('nothing to repair');
      for (const run of list) {
        const trained = await repairRun(run, o);
        console.log(`${run.dir}: ${trained} unit(s) computed; it verifies`);
      }
    });
  runs
    .command('rm <runs...>')
    .description(
      'Remove run directories, named one by one (no patterns). A run a live process works on is refused unless --force.',
    )
    .option('--runs-dir <dir>', 'runs directory (default: $TICKETLAB_RUNS or ./runs)')
    .option('--force', 'remove even while a live process holds one of its units', false)
    .action((names: string[], o: { runsDir?: string; force: boolean }) => {
      // check every run before removing any: one refused run removes nothing
      const options = { root: o.runsDir, force: o.force };
      for (const n of names) removeRun(n, { ...options, dryRun: true });
      for (const n of names) console.log(`removed ${removeRun(n, options)}`);
    });
  runs
    .command('gc')
    .description(
      'Remove leftovers: directories that never became runs, runs that failed to start (no unit done, running ' +
        'or resumable: e.g. a missing dataset, a divergence at level 0), temporary files of writers that died, ' +
        'expired leases.',
    )
    .option('--runs-dir <dir>', 'runs directory (default: $TICKETLAB_RUNS or ./runs)')
    .option('--dry-run', 'list what would be removed, remove nothing', false)
    .action((o: { runsDir?: string; dryRun: boolean }) => {
      const found = findGarbage(o.runsDir);
      const done = o.dryRun ? found : removeGarbage(found);
      for (const g of done)
        console.log(`${o.dryRun ? 'would remove' : 'removed'} ${g.kind}: ${g.path} (${g.why})`);
      if (done.length === 0) console.log('nothing to clean up');
    });
}
