// Every unit records what `ticketlab export` would write for it (issue 17: the export's size in the
// summary and the report): the recorded size is the exported file's, less the file's metadata, and
// far below the dense export's at high sparsity. Trains on an image folder the test makes (no dataset).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importPetsDataset } from './helpers/image-folder.js';

const tmp = mkdtempSync(join(tmpdir(), 'ticketlab-export-size-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const cli = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/entry.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, CI: '1', XDG_CACHE_HOME: join(tmp, 'cache') },
  });

test('a unit records the size and form of its export; `ticketlab export` writes that file', async () => {
  await importPetsDataset(cli, tmp, 'sizes');
  const runs = join(tmp, 'runs');
  const run = cli([
    'lottery',
    '--model',
    'lenet300',
    '--dataset',
    'sizes',
    '--levels',
    '2',
    '--rate-fc',
    '0.9',
    '--rate-output',
    '0.5',
    '--iterations',
    '10',
    '--batch-size',
    '4',
    '--eval-every',
    '5',
    '--threads',
    '1',
    '--runs-dir',
    runs,
  ]);
  assert.equal(run.status, 0, run.stderr);
  const dir = join(
    runs,
    readdirSync(runs).find((d) => d.startsWith('lenet300-sizes'))!,
  );
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as {
    results: {
      level: number;
      cost: { exportBytes: number; denseExportBytes: number; exportFormat: string };
    }[];
  };
  const [dense, sparse] = [0, 2].map((l) => summary.results.find((r) => r.level === l)!.cost);
  assert.equal(dense.exportFormat, 'dense');
  assert.equal(dense.exportBytes, dense.denseExportBytes);
  assert.notEqual(sparse.exportFormat, 'dense');
  assert.ok(
    sparse.exportBytes < 0.1 * sparse.denseExportBytes,
    `${sparse.exportBytes} of ${sparse.denseExportBytes}`,
  );
  const exp = cli(['export', dir, '--level', '2']);
  assert.equal(exp.status, 0, exp.stderr);
  const file = statSync(join(dir, 'export', 'trial0-level02-ticket-final.onnx')).size;
  // the exported file also carries its metadata (run, trial, level, …): a few hundred bytes
  assert.ok(
    file >= sparse.exportBytes && file - sparse.exportBytes < 2000,
    `file ${file}, recorded ${sparse.exportBytes}`,
  );
  assert.match(exp.stdout + exp.stderr, new RegExp(sparse.exportFormat.replace('+', '\\+')));
});
