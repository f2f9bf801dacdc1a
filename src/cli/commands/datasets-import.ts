/**
 * `ticketlab datasets import <folder> --name <name>`: an image folder (JPEG, PNG, WebP, …) becomes a
 * dataset used by name (`--dataset <name>`), decoded once into the cache; `datasets imported` lists
 * them and re-checks their stored tensors.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { describeLabelRule, parseLabelRule } from '../../data/image-folder/labels.js';
import { importedNames, readImported, readManifest } from '../../data/image-folder/store.js';
import { formatTable } from '../text-table.js';

interface ImportFlags {
  name: string;
  labels: string;
  size: number;
  channels: number;
  testFraction: number;
  splitSeed: number;
  skipBad?: boolean;
  replace?: boolean;
}

function intArg(what: string): (raw: string) => number {
  return (raw) => {
    const n = Number(raw);
    if (!Number.isInteger(n)) throw new InvalidArgumentError(`${what}: expected an integer, got "${raw}"`);
    return n;
  };
}

async function progress(): Promise<{ update: (done: number, total: number) => void; stop: () => void }> {
  if (process.stderr.isTTY) {
    const { default: cliProgress } = await import('cli-progress');
    const bar = new cliProgress.SingleBar(
      { format: 'decoding {bar} {value}/{total} images | ETA {eta_formatted}', stream: process.stderr },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update: (done, total) => {
        if (!started) bar.start(total, 0);
        started = true;
        bar.update(done);
      },
      stop: () => started && bar.stop(),
    };
  }
  let shown = -1;
  return {
    update: (done, total) => {
      const quarter = Math.floor((4 * done) / total);
      if (quarter === shown) return;
      shown = quarter;
      process.stderr.write(`decoding: ${done}/${total} images\n`);
    },
    stop: () => {},
  };
}

async function importAction(folder: string, flags: ImportFlags): Promise<void> {
  if (flags.channels !== 1 && flags.channels !== 3) {
    throw new InvalidArgumentError(`--channels ${flags.channels}: 3 (sRGB) or 1 (gray)`);
  }
  // the decoder (sharp, libvips) loads only when a folder is imported
  const { importImageFolder } = await import('../../data/image-folder/import.js');
  const bar = await progress();
  let result;
  try {
    result = await importImageFolder({
      name: flags.name,
      folder,
      labels: parseLabelRule(flags.labels),
      size: flags.size,
      channels: flags.channels,
      testFraction: flags.testFraction,
      seed: flags.splitSeed,
      skipBad: flags.skipBad,
      replace: flags.replace,
      onProgress: bar.update,
    });
  } finally {
    bar.stop();
  }
  const m = result.manifest;
  const counts = (split: 'train' | 'test') => `${m[split].count}`;
  console.log(
    `${result.reused ? 'unchanged, already imported' : 'imported'}: dataset ${m.name} from ${m.source}\n` +
      `  ${m.classNames.length} classes (${m.classNames.join(', ')}), ${m.channels}×${m.size}×${m.size}, ` +
      `${counts('train')} train / ${counts('test')} test images` +
      (m.split.kind === 'folders'
        ? ` (its train/ and ${m.split.testDir}/ folders)`
        : ` (test fraction ${m.split.testFraction}, seed ${m.split.seed})`) +
      `\n  labels ${describeLabelRule(m.labels)}; ${result.ignored} non-image file(s) left out` +
      (m.skipped.length > 0
        ? `; ${m.skipped.length} undecodable file(s) skipped: ${m.skipped.join(', ')}`
        : '') +
      (result.dir ? `\n  stored in ${result.dir}` : '') +
      `\n  use it with --dataset ${m.name}`,
  );
}

function importedAction(opts: { verify: boolean }): void {
  const rows = importedNames().map((name) => {
    const m = readManifest(name)!;
    let status = 'not checked';
    if (opts.verify) {
      try {
        readImported(name);
        status = 'ok: sha256';
      } catch (e) {
        status = `FAILED: ${(e as Error).message}`;
      }
    }
    return [
      name,
      `${m.channels}×${m.size}×${m.size}`,
      String(m.classNames.length),
      String(m.train.count),
      String(m.test.count),
      m.source,
      status,
    ];
  });
  if (rows.length === 0) {
    console.log('no imported image folders (ticketlab datasets import <folder> --name <name>)');
    return;
  }
  console.log(
    formatTable(['DATASET', 'SHAPE', 'CLASSES', 'TRAIN', 'TEST', 'SOURCE', 'CHECKED'], rows, [2, 3, 4]),
  );
}

export function registerImportCommands(datasets: Command): void {
  datasets
    .command('import')
    .description(
      'decode a folder of images (JPEG, PNG, WebP, TIFF, GIF, AVIF) into a dataset in the cache, used as --dataset <name>',
    )
    .argument(
      '<folder>',
      'the images; train/ and test/ (or valid/, val/) sub-folders are its splits if present',
    )
    .requiredOption('--name <name>', 'the dataset name (lower-case letters, digits, . _ -)')
    .addOption(
      new Option(
        '--labels <rule>',
        'class of each image: folder | first-letter-case | regex:<pattern with one group>',
      ).default('folder'),
    )
    .addOption(
      new Option('--size <pixels>', 'resize to cover size × size, centre-cropped')
        .argParser(intArg('--size'))
        .default(64),
    )
    .addOption(
      new Option('--channels <n>', '3 (sRGB; gray and CMYK converted) or 1 (gray)')
        .argParser(intArg('--channels'))
        .default(3),
    )
    .addOption(
      new Option('--test-fraction <f>', 'held out for testing when the folder has no test/ sub-folder')
        .argParser((raw) => Number(raw))
        .default(0.2),
    )
    .addOption(
      new Option('--split-seed <n>', 'seed of that test split').argParser(intArg('--split-seed')).default(0),
    )
    .option('--skip-bad', 'leave out files that cannot be decoded (listed) instead of refusing')
    .option('--replace', 'replace a dataset of that name imported from elsewhere or with other options')
    .action((folder: string, flags: ImportFlags) => importAction(folder, flags));

  datasets
    .command('imported')
    .description('list the imported image folders and check their stored tensors (sha256)')
    .option('--no-verify', 'skip the checksums')
    .action((opts: { verify: boolean }) => importedAction(opts));
}
