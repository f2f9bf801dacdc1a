/** What `ticketlab report` does once its command line is parsed: loaded only when the command runs. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, relative, resolve } from 'node:path';
import { defaultRunsRoot } from '../../store/index.js';
import { UserError } from '../../util/errors.js';
import { fsUserError } from '../../util/fs-errors.js';
import {
  PAPER_REFERENCES,
  paperReferenceById,
  readRunSummary,
  SUMMARY_FILE,
  writeReport,
  type PaperReference,
  type RunSummary,
} from '../../report/index.js';
import { writeGradualReport } from '../../report/gradual.js';
import { writeEarlyBirdReport } from '../../report/early-bird.js';
import { STUDY_PRESET } from '../../experiments/study-preset.js';
import { readSlimRetrainRun, slimRetrainDirs, writeSlimRetrainReport } from '../../report/slim-retrain.js';

export interface ReportOpts {
  out?: string;
  format: 'html' | 'md';
  title?: string;
  paper: string;
  masks: boolean;
  accuracyAt?: number[];
  smooth?: number;
  pruneRatios?: boolean;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The run directories an argument names: a run directory (holding summary.json); a directory of
 * runs (every subdirectory with a summary.json, e.g. an experiment's or the runs root); or a run's
 * name or directory name under the runs root ($TICKETLAB_RUNS, else ./runs).
 */
export function resolveRunDirs(arg: string): string[] {
  const path = resolve(arg);
  if (existsSync(path)) {
    if (!isDir(path)) {
      throw new UserError(`${path} is not a directory`, 'pass a run directory, not a file inside it');
    }
    if (existsSync(join(path, SUMMARY_FILE)) || existsSync(join(path, 'config.json'))) return [path];
    const runs = readdirSync(path, { withFileTypes: true })
      .filter((e) => e.isDirectory() && existsSync(join(path, e.name, SUMMARY_FILE)))
      .map((e) => join(path, e.name))
      .sort();
    if (runs.length > 0) return runs;
    throw new UserError(
      `${path} has no ${SUMMARY_FILE}, and no run directories with one inside it`,
      'pass the directory of a finished run (it holds config.json and summary.json), or a directory of such runs',
    );
  }
  if (!arg.includes('/') && !arg.includes('\\')) {
    const root = defaultRunsRoot();
    const byName = isDir(root)
      ? readdirSync(root)
          .filter(
            (d) =>
              d === arg || new RegExp(`^${arg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-[0-9a-f]{12}$`).test(d),
          )
          .map((d) => join(root, d))
          .filter(isDir)
      : [];
    if (byName.length === 1) return byName;
    if (byName.length > 1) {
      throw new UserError(
        `"${arg}" matches ${byName.length} runs under ${root}: ${byName.map((d) => relative(root, d)).join(', ')}`,
        'pass the full directory name (name-hash) of the run you mean',
      );
    }
    throw new UserError(
      `run directory ${path} does not exist (nor a run named "${arg}" under ${root})`,
      'pass the directory of a finished run, or set TICKETLAB_RUNS to the runs root that holds it',
    );
  }
  throw new UserError(
    `run directory ${path} does not exist`,
    'check the path; finished runs hold summary.json',
  );
}

/**
 * Where a report goes without --out: one run's into its own `report/` folder; several runs' into a
 * folder of their own beside them, `<runs>/reports/<names>` (never into one of the runs).
 */
export function defaultOutDir(summaries: readonly RunSummary[]): string {
  const dirs = summaries.map((s) => s.dir);
  if (dirs.length === 1) return join(dirs[0], 'report');
  const names = summaries.map((s) => `${s.name}-${s.hash.slice(0, 6)}`).join('+');
  const short = names.length <= 120 ? names : `${names.slice(0, 100)}…${summaries.length}-runs`;
  const digest = createHash('sha256').update(dirs.join('\n')).digest('hex').slice(0, 8);
  return join(dirname(dirs[0]), 'reports', `${short.replace(/[^A-Za-z0-9._+-]+/g, '-')}-${digest}`);
}

function parsePaper(value: string): PaperReference | null | undefined {
  const v = value.trim().toLowerCase();
  if (v === 'auto') return undefined;
  if (v === 'none') return null;
  const ref = paperReferenceById(v);
  if (!ref) {
    throw new UserError(
      `unknown paper reference "${value}"`,
      `choose auto, none, or one of: ${PAPER_REFERENCES.map((r) => r.id).join(', ')}`,
    );
  }
  return ref;
}

export async function reportAction(args: string[], opts: ReportOpts): Promise<void> {
  const paperReference = parsePaper(opts.paper);
  // retrained slimmed networks (<runs>/slim) get a table of their own; an argument may name only them
  const slimDirs = [...new Set(args.flatMap((a) => slimRetrainDirs(resolve(a))))];
  const dirs = [...new Set(args.flatMap((a) => lotteryRunDirs(a, slimDirs.length > 0)))].filter(
    (d) => !slimDirs.includes(d),
  );
  if (dirs.length === 0 && slimDirs.length > 0) return slimOnlyReport(slimDirs, opts.out);
  const summaries: RunSummary[] = dirs.map(readRunSummary);
  const outDir = resolve(opts.out ?? defaultOutDir(summaries));
  if (existsSync(outDir) && !isDir(outDir)) {
    throw new UserError(`--out ${outDir} is a file`, 'pass a directory for the report');
  }
  const owner = dirs.find((d) => resolve(d, 'report') === outDir);
  if (owner && dirs.length > 1) {
    throw new UserError(
      `--out ${outDir} is the own report folder of run ${owner}; a report of ${dirs.length} runs would overwrite it`,
      'leave out --out (several runs get a folder of their own under <runs>/reports/), or pass another directory',
    );
  }
  let result;
  try {
    result = await writeReport(summaries, outDir, {
      format: opts.format,
      title: opts.title,
      smoothing: opts.smooth,
      pruneRatios: opts.pruneRatios,
      paperReference,
      masks: opts.masks,
      accuracyAt: opts.accuracyAt,
    });
  } catch (error) {
    throw fsUserError(error, outDir) ?? error; // a full disk names the report folder; nothing is half-written
  }
  const figures = result.files.filter((f) => f.endsWith('.svg') || f.endsWith('.png')).length;
  const tables = result.files.filter((f) => f.endsWith('.csv') || f.endsWith('.md')).length;
  console.log(
    `report of ${summaries.length} run${summaries.length === 1 ? '' : 's'}: ${result.index}\n` +
      `  ${figures} figure files (SVG and PNG) in ${join(outDir, 'figures')}\n` +
      `  ${tables} table files (CSV and Markdown) in ${join(outDir, 'tables')}`,
  );
  for (const e of result.model.experiments) {
    for (const w of e.labels.warnings) console.log(`  note: ${e.labels.label}: ${w}`);
  }
  const gradual = await writeGradualReport(summaries, outDir);
  if (gradual) console.log(`  pruning during training: ${gradual}`);
  const earlyBird = await writeEarlyBirdReport(summaries, outDir);
  if (earlyBird) console.log(`  early-bird tickets: ${earlyBird}`);
  const slim = await writeSlimRetrainReport(slimDirs.map(readSlimRetrainRun), outDir);
  if (slim) console.log(`  retrained slimmed networks: ${slim}`);
  // study.md needs the preset's own list of runs (which slim-retrain run is which point): reproduce has it
  const study = summaries.find((s) => s.preset === STUDY_PRESET);
  if (study)
    console.log(
      `  note: study.md (the study's and Renda's numbers beside these runs) is written by ` +
        `\`ticketlab reproduce ${STUDY_PRESET}${study.scale === 'paper' ? ' --scale paper' : ''}\`: run it again ` +
        `(with the same --runs-dir) to rewrite it; units that are done are read back, not trained (--dry-run lists them)`,
    );
}

/** The lottery runs an argument names; none, rather than an error, when it names retrained-slim runs. */
function lotteryRunDirs(arg: string, slimRunsFound: boolean): string[] {
  try {
    return resolveRunDirs(arg);
  } catch (error) {
    if (slimRunsFound && slimRetrainDirs(resolve(arg)).length > 0) return [];
    throw error;
  }
}

/** A report of retrained slimmed networks only: into the run's report/, or <runs>/reports/slim-retrain. */
async function slimOnlyReport(slimDirs: string[], out?: string): Promise<void> {
  const outDir = resolve(
    out ??
      (slimDirs.length === 1
        ? join(slimDirs[0], 'report')
        : join(dirname(dirname(slimDirs[0])), 'reports', 'slim-retrain')),
  );
  const path = await writeSlimRetrainReport(slimDirs.map(readSlimRetrainRun), outDir);
  console.log(
    `report of ${slimDirs.length} retrained slimmed network${slimDirs.length === 1 ? '' : 's'}: ${path}`,
  );
}
