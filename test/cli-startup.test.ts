/**
 * The command line starts without loading what only running a command needs: `--help` and a command's
 * own help load no ONNX runtime, ONNX protobuf, image decoder, job queue or plotting library (each
 * command's action imports those when it runs). The packages are seen by a module hook in the child
 * process, so a static import anywhere under src/cli that reaches one of them fails this test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const HEAVY = [
  'onnxruntime-node',
  'onnx-proto',
  'sharp',
  'bullmq',
  'ioredis',
  '@resvg/resvg-js',
  'vega',
  'vega-lite',
  'hono',
];

function packagesLoaded(args: string[]): Set<string> {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--import', './test/helpers/record-imports.mjs', 'src/cli/entry.ts', ...args],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return new Set([...r.stderr.matchAll(/^imported (\S+)$/gm)].map((m) => m[1]));
}

test('--help and a command’s --help load none of the heavy packages; the hook does see what is loaded', () => {
  for (const args of [['--help'], ['lottery', '--help'], ['slim', '--help'], ['export', '--help']]) {
    const loaded = packagesLoaded(args);
    assert.ok(loaded.has('commander') && loaded.has('zod'), `the hook saw ${[...loaded].join(', ')}`);
    const heavy = HEAVY.filter((p) => loaded.has(p));
    assert.deepEqual(heavy, [], `ticketlab ${args.join(' ')} loaded ${heavy.join(', ')}`);
  }
});
