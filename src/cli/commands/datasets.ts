/**
 * `ticketlab datasets list | verify | download | path`: where each dataset is found, whether its files
 * are the official ones, fetching them into the cache, and printing a dataset's directory.
 */
import { mkdirSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { UserError } from '../../util/errors.js';
import { registerImportCommands } from './datasets-import.js';
import { formatTable } from '../text-table.js';

export { formatTable };
// the data layer's modules themselves, not its barrel: that one loads the image decoder (sharp) too
import { DATASET_NAMES, type DatasetName } from '../../data/types.js';
import { cacheRoot, locateOrThrow } from '../../data/locate.js';
import { downloadDataset } from '../../data/download.js';
import { specFor } from '../../data/registry.js';
import { verifyDataset, type DatasetReport, type FileReport } from '../../data/verify.js';

/** `--data-dir <dir>`, for every command that reads datasets (a fresh Option each call). */
export function dataDirOption(): Option {
  return new Option(
    '--data-dir <dir>',
    'directory holding datasets as <dir>/mnist, <dir>/fashion-mnist, <dir>/cifar10 ' +
      '(searched before $TICKETLAB_DATA and the cache)',
  );
}

const ALIASES: Record<string, DatasetName> = {
  mnist: 'mnist',
  'fashion-mnist': 'fashion-mnist',
  fashion_mnist: 'fashion-mnist',
  fashionmnist: 'fashion-mnist',
  fashion: 'fashion-mnist',
  cifar10: 'cifar10',
  'cifar-10': 'cifar10',
  cifar_10: 'cifar10',
  cifar: 'cifar10',
};

/** Parses a dataset name as users type it (case-insensitive, common aliases); throws a UserError otherwise. */
export function parseDatasetName(name: string): DatasetName {
  const hit = ALIASES[name.trim().toLowerCase()];
  if (!hit) {
    throw new UserError(`unknown dataset "${name}"`, `choose one of: ${DATASET_NAMES.join(', ')}`);
  }
  return hit;
}

function parseNames(names: string[]): DatasetName[] {
  if (names.some((n) => n.toLowerCase() === 'all')) return [...DATASET_NAMES];
  return [...new Set(names.map(parseDatasetName))];
}

interface DataDirOpts {
  dataDir?: string;
}

function searchOrder(opts: DataDirOpts): string {
  const env = process.env.TICKETLAB_DATA?.trim();
  let n = 1;
  const step = (label: string, where: string | undefined, absent: string) =>
    where ? `  ${n++}. ${label.padEnd(15)} ${where}` : `  -  ${label.padEnd(15)} (${absent})`;
  return [
    'Search order:',
    step('--data-dir', opts.dataDir && resolve(opts.dataDir), 'not given'),
    step('TICKETLAB_DATA', env && resolve(env), 'not set'),
    step('cache', cacheRoot(), ''),
    step('download', `\`ticketlab datasets download <name>\` into ${opts.dataDir ?? cacheRoot()}`, ''),
  ].join('\n');
}

function checkedSummary(report: DatasetReport): string {
  if (report.status === 'found') return 'not checked';
  if (report.files.length === 0) return '-';
  const by = new Map<string, number>();
  for (const f of report.files) if (f.checkedBy) by.set(f.checkedBy, (by.get(f.checkedBy) ?? 0) + 1);
  return [...by].map(([k, n]) => `${k} ×${n}`).join(', ') || '-';
}

function showStatus(report: DatasetReport): string {
  return report.status === 'failed'
    ? 'FAILED'
    : report.status === 'incomplete'
      ? 'INCOMPLETE'
      : report.status;
}

function problems(reports: DatasetReport[]): string[] {
  const errors: UserError[] = [];
  for (const r of reports) {
    if (r.status === 'incomplete' && r.error) errors.push(r.error);
    if (r.status === 'failed') for (const f of r.files) if (f.error) errors.push(f.error);
  }
  return errors.map((e) => `  ${e.message}${e.fix ? `\n    fix: ${e.fix}` : ''}`);
}

async function listAction(opts: DataDirOpts & { verify: boolean }): Promise<void> {
  const reports: DatasetReport[] = [];
  for (const name of DATASET_NAMES) {
    reports.push(await verifyDataset(specFor(name), { dataDir: opts.dataDir, verify: opts.verify }));
  }
  const rows = reports.map((r) => [
    r.spec.name,
    showStatus(r),
    r.origin ?? '-',
    r.dir ?? '-',
    r.status === 'not found' ? '-' : checkedSummary(r),
  ]);
  console.log(formatTable(['DATASET', 'STATUS', 'FOUND IN', 'DIRECTORY', 'CHECKED BY'], rows));
  const bad = problems(reports);
  if (bad.length > 0) console.log(`\nProblems:\n${bad.join('\n')}`);
  console.log(`\n${searchOrder(opts)}`);
}

function fileRow(dir: string | undefined, f: FileReport): string[] {
  const name = dir ? relative(dir, f.path) || f.path : f.path;
  const result = f.ok
    ? f.checkedBy
      ? `ok: ${f.checkedBy}`
      : 'present (not checked)'
    : f.role === 'missing'
      ? 'MISSING'
      : 'FAILED';
  return [name, f.bytes !== undefined ? String(f.bytes) : '-', f.md5 ?? '-', result];
}

async function verifyAction(names: string[], opts: DataDirOpts): Promise<void> {
  const explicit = names.length > 0;
  const wanted = explicit ? parseNames(names) : [...DATASET_NAMES];
  const reports: DatasetReport[] = [];
  for (const name of wanted) reports.push(await verifyDataset(specFor(name), { dataDir: opts.dataDir }));
  const sections: string[] = [];
  for (const r of reports) {
    if (r.status === 'not found') {
      sections.push(`${r.spec.name}: not found (looked in ${r.probes.map((p) => p.dir).join(', ')})`);
      continue;
    }
    sections.push(
      `${r.spec.name}: ${r.dir} (from ${r.origin})\n` +
        formatTable(
          ['FILE', 'BYTES', 'MD5', 'RESULT'],
          r.files.map((f) => fileRow(r.dir, f)),
          [1],
        ),
    );
  }
  console.log(sections.join('\n\n'));
  const failed = reports.filter((r) => r.status === 'failed' || r.status === 'incomplete');
  const missing = reports.filter((r) => r.status === 'not found');
  const verified = reports.filter((r) => r.status === 'verified');
  if (failed.length > 0) {
    const first = failed[0].error!;
    const nFiles = failed.reduce((n, r) => n + r.files.filter((f) => !f.ok).length, 0);
    if (nFiles > 1) console.log(`\nProblems:\n${problems(failed).join('\n')}`);
    throw new UserError(
      `verification failed (${nFiles} bad file${nFiles === 1 ? '' : 's'} in ${failed.map((r) => r.spec.name).join(', ')}): ${first.message}`,
      first.fix,
      1,
    );
  }
  if (explicit && missing.length > 0) throw missing[0].error!;
  if (verified.length === 0) {
    throw new UserError(
      'no datasets found to verify',
      'pass --data-dir <dir> or set TICKETLAB_DATA, or run `ticketlab datasets download <name>`',
    );
  }
  const nFiles = verified.reduce((n, r) => n + r.files.length, 0);
  console.log(`\nverified: ${verified.map((r) => r.spec.name).join(', ')} (${nFiles} files)`);
}

async function downloadAction(
  names: string[],
  opts: DataDirOpts & { force?: boolean; mirror?: string[] },
): Promise<void> {
  const wanted = parseNames(names);
  const root = opts.dataDir ?? cacheRoot();
  if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true }); // downloading into a new --data-dir creates it
  for (const name of wanted) {
    const spec = specFor(name);
    if (!opts.force) {
      const report = await verifyDataset(spec, { dataDir: opts.dataDir });
      if (report.status === 'verified') {
        console.log(
          `${name}: already present and verified in ${report.dir} (${report.origin}); nothing to do`,
        );
        continue;
      }
      if (
        (report.status === 'failed' || report.status === 'incomplete') &&
        report.origin !== 'cache' &&
        !opts.dataDir
      ) {
        console.error(
          `${name}: note: the copy in ${report.dir} (${report.origin}) is bad and is searched before the cache; ` +
            `fix or remove it after this download (${report.error?.message ?? ''})`,
        );
      }
    }
    const result = await downloadDataset(spec, {
      root,
      force: opts.force,
      mirrors: opts.mirror && opts.mirror.length > 0 ? opts.mirror : undefined,
      onProgress: progressPrinter(),
      log: (line) => console.error(line),
    });
    const fetched = result.downloaded.map((d) => `${d.name} from ${d.url}`).join(', ');
    console.log(
      `${name}: ready in ${result.dir}` +
        (fetched ? ` (downloaded ${fetched})` : '') +
        (result.skipped.length > 0 ? ` (${result.skipped.length} file(s) already there)` : ''),
    );
  }
}

function progressPrinter(): ((p: { file: string; received: number; total: number }) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  let last = -1;
  return (p) => {
    const pct = Math.floor((100 * p.received) / p.total);
    if (pct === last) return;
    last = pct;
    process.stderr.write(`\r  ${p.file}: ${pct}%${pct === 100 ? '\n' : ''}`);
  };
}

function pathAction(name: string, opts: DataDirOpts): void {
  const located = locateOrThrow(specFor(parseDatasetName(name)), { dataDir: opts.dataDir });
  console.log(located.dir);
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function registerDatasetsCommand(program: Command): void {
  const datasets = program
    .command('datasets')
    .description(
      'find, verify and download the datasets (MNIST, Fashion-MNIST, CIFAR-10); import image folders',
    );

  datasets
    .command('list')
    .description('show each dataset, where it was found and whether its files verify')
    .addOption(dataDirOption())
    .option('--no-verify', 'only locate the files, skip the checksums')
    .action((opts: DataDirOpts & { verify: boolean }) => listAction(opts));

  datasets
    .command('verify')
    .description('check sizes, md5s and structure of every file (all datasets found, or the ones named)')
    .argument('[names...]', `datasets to verify: ${DATASET_NAMES.join(', ')} or all`)
    .addOption(dataDirOption())
    .action((names: string[], opts: DataDirOpts) => verifyAction(names, opts));

  datasets
    .command('download')
    .description(
      'download datasets from their public mirrors (md5-checked) into the cache, or into --data-dir',
    )
    .argument('<names...>', `datasets to download: ${DATASET_NAMES.join(', ')} or all`)
    .addOption(dataDirOption())
    .option('--force', 'download even when a verified copy exists')
    .option(
      '--mirror <url>',
      'base URL to download from instead of the built-in mirrors (repeatable)',
      collect,
    )
    .action((names: string[], opts: DataDirOpts & { force?: boolean; mirror?: string[] }) =>
      downloadAction(names, opts),
    );

  datasets
    .command('path')
    .description("print the directory a dataset's files are read from")
    .argument('<name>', DATASET_NAMES.join(' | '))
    .addOption(dataDirOption())
    .action((name: string, opts: DataDirOpts) => pathAction(name, opts));

  registerImportCommands(datasets);
}
