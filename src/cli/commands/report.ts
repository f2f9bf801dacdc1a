/**
 * `ticketlab report <run-dir...>`: figures, tables and one page (HTML or Markdown) for finished
 * runs. Several runs (e.g. Conv-2, Conv-4 and Conv-6) share one page.
 */
import { Command, Option } from 'commander';
import { UserError } from '../../util/errors.js';
import { PAPER_REFERENCES } from '../../report/paper.js';
import type { ReportOpts } from './report-action.js';

/** `--accuracy-at 10000,20000,30000`: positive whole iterations. */
function parseIterations(value: string): number[] {
  const parts = value.split(',').map((p) => p.trim());
  const bad = parts.filter((p) => !/^[1-9]\d*$/.test(p.replace(/_/g, '')));
  if (bad.length) {
    throw new UserError(
      `--accuracy-at takes iterations, not "${bad.join(', ')}"`,
      'give positive whole numbers separated by commas, e.g. --accuracy-at 10000,20000,30000',
    );
  }
  return [...new Set(parts.map((p) => Number(p.replace(/_/g, ''))))].sort((a, b) => a - b);
}

/** A smoothing weight in [0, 1), or one clear message. */
export function parseSmoothing(v: string): number {
  const w = Number(v);
  if (!(w >= 0 && w < 1)) {
    throw new UserError(
      `--smooth ${v}: a smoothing weight is a number in [0, 1)`,
      'e.g. --smooth 0.6 (0 draws the curves as measured)',
    );
  }
  return w;
}

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description(
      'Write a report of finished runs: figures as SVG and PNG (accuracy during training, early-stopping ' +
        'iteration and accuracy versus weights remaining, first-layer mask pictures for MLPs), tables as ' +
        "Markdown and CSV (per level, per-layer sparsity, comparison with the paper's values) and one page " +
        'combining them with the hyperparameters, machine and wall time.',
    )
    .summary('write figures (SVG, PNG), tables (Markdown, CSV) and an HTML page for finished runs')
    .argument(
      '<run-dirs...>',
      'finished run directories (holding summary.json), directories of runs, or run names under the runs root ' +
        '($TICKETLAB_RUNS, default ./runs); several runs share one page',
    )
    .addOption(
      new Option(
        '-o, --out <dir>',
        'directory to write the report into (default: <run dir>/report for one run, <runs>/reports/<names> for several)',
      ),
    )
    .addOption(
      new Option('-f, --format <format>', 'page format: index.html (self-contained) or index.md')
        .choices(['html', 'md'])
        .default('html'),
    )
    .addOption(new Option('--title <text>', 'page title (default: "ticketlab report: <run names>")'))
    .addOption(
      new Option(
        '--paper <id>',
        `paper values to compare with: auto (by model), none, or ${PAPER_REFERENCES.map((r) => r.id).join(', ')}`,
      ).default('auto'),
    )
    .addOption(
      new Option(
        '--accuracy-at <iterations>',
        'also show test accuracy at these iterations versus weights remaining, e.g. 10000,20000,30000 ' +
          "(default: the deep presets' Figure 7/8 iterations; none for other runs)",
      ).argParser(parseIterations),
    )
    .addOption(new Option('--no-masks', 'skip mask pictures (default: draw them when mask files exist)'))
    .addOption(
      new Option(
        '--smooth <weight>',
        'smooth training curves by an exponential moving average of this weight in [0, 1)',
      ).argParser(parseSmoothing),
    )
    .addOption(
      new Option('--prune-ratios', 'add the desired vs actual prune ratio per level, counted from the masks'),
    )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  ticketlab report runs/lenet-3f2a9c01b7de\n' +
        '  ticketlab report runs/conv2-… runs/conv4-… runs/conv6-… --out reports/conv --format md',
    )
    // figures need vega, vega-lite and resvg: loaded only when a report is written
    .action(async (args: string[], opts: ReportOpts) =>
      (await import('./report-action.js')).reportAction(args, opts),
    );
}
