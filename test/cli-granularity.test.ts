/**
 * --granularity through the CLI on the real MNIST files (TICKETLAB_DATA): a lottery that prunes whole
 * conv filters between levels, pruning during training to 2:4, and the combinations that are refused
 * (one message with a fix, no stack trace, nothing written).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMasks } from '../src/lottery/weights-io.js';

const DATA = process.env.TICKETLAB_DATA;
const skip = DATA ? false : 'TICKETLAB_DATA is not set: these CLI tests need the real MNIST files';
const ENTRY = ['--import', 'tsx', 'src/cli/entry.ts'];

function cli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [...ENTRY, ...args], {
    encoding: 'utf8',
    env: { ...process.env, CI: '1', ...env },
  });
}

const SHORT = ['--iterations', '20', '--eval-every', '10', '--threads', '1'];

test(
  'lottery --granularity filter: level 1 prunes half of every conv layer’s filters, whole',
  { skip },
  () => {
    const runs = mkdtempSync(join(tmpdir(), 'granularity-filter-'));
    try {
      const r = cli([
        'lottery',
        '--model',
        'lenet5',
        '--granularity',
        'filter',
        '--rate-conv',
        '0.5',
        '--rate-fc',
        '0',
        '--rate-output',
        '0',
        '--levels',
        '1',
        ...SHORT,
        '--runs-dir',
        runs,
      ]);
      assert.equal(r.status, 0, r.stderr);
      const [dir] = readdirSync(runs).filter((d) => !d.startsWith('.'));
      const shapes = { 'conv1.weight': [20, 1, 5, 5], 'conv2.weight': [50, 20, 5, 5] };
      const layers = Object.entries(shapes).map(([name, shape]) => ({ name, kind: 'conv' as const, shape }));
      const masks = loadMasks(join(runs, dir, 'trial-0', 'level-01', 'ticket', 'masks.safetensors'), layers);
      for (const { name, shape } of layers) {
        const mask = masks.get(name)!;
        const size = shape[1] * shape[2] * shape[3];
        const kept = Array.from({ length: shape[0] }, (_, f) => mask.subarray(f * size, (f + 1) * size));
        // every filter all kept or all pruned, and half of them pruned (20 → 10, 50 → 25)
        for (const filter of kept)
          assert.ok(
            filter.every((x) => x === filter[0]),
            `${name}: a filter cut in part`,
          );
        assert.equal(kept.filter((f) => f[0] === 0).length, shape[0] / 2, name);
      }
      // fc layers at rate 0 are untouched: 12,750 of 431,080 weights pruned
      assert.match(r.stdout, /\n\s+1\s+ticket\s+97\.04%/);
    } finally {
      rmSync(runs, { recursive: true, force: true });
    }
  },
);

test(
  'train --gradual iterative --granularity 2:4: 3:4 then 2:4 in every layer, reported as reached',
  { skip },
  () => {
    const runs = mkdtempSync(join(tmpdir(), 'granularity-nm-'));
    try {
      const r = cli([
        'train',
        '--model',
        'lenet300',
        '--gradual',
        'iterative',
        '--granularity',
        '2:4',
        ...SHORT,
        '--runs-dir',
        runs,
      ]);
      assert.equal(r.status, 0, r.stderr);
      const steps = r.stderr.split('\n').filter((l) => l.includes('pruned to'));
      assert.equal(steps.length, 2, r.stderr);
      // the schedule asks 16.7% first: one of every four goes (25%); 33.3% changes nothing; 50% is 2:4
      assert.match(
        steps[0],
        /pruned to 16\.7% \(fc1\.weight 25\.0%, fc2\.weight 25\.0%, fc3\.weight 25\.0%\)/,
      );
      assert.match(
        steps[1],
        /pruned to 50\.0% \(fc1\.weight 50\.0%, fc2\.weight 50\.0%, fc3\.weight 50\.0%\)/,
      );
    } finally {
      rmSync(runs, { recursive: true, force: true });
    }
  },
);

const REFUSED: { args: string[]; message: RegExp; fix: RegExp }[] = [
  {
    args: ['lottery', '--model', 'lenet300', '--granularity', 'kernel'],
    message:
      /--granularity kernel does not apply to fc and output layers \(linear weights\), which are pruned/,
    fix: /fix: prune only the layers it applies to \(--rate-fc 0 --rate-output 0\)/,
  },
  {
    args: ['lottery', '--model', 'lenet300', '--granularity', '2:4'],
    message: /--granularity 2:4 reaches its sparsity at level 1; levels 2 to 10 would repeat level 1/,
    fix: /fix: add --levels 1/,
  },
  {
    args: ['lottery', '--model', 'lenet300', '--granularity', '2:4', '--levels', '1', '--target', '0.5'],
    message: /--granularity 2:4 prunes 2 of every 4 weights \(50%\) of the pruned layers by itself/,
    fix: /fix: leave --target out/,
  },
  {
    args: ['train', '--model', 'lenet300', '--gradual', 'agp', '--granularity', '1:4'],
    message:
      /--granularity 1:4 prunes 3 of every 4 weights \(75%\) by the end of the schedule, and --gradual-sparsity is 0\.5/,
    fix: /fix: add --gradual-sparsity 0\.75/,
  },
  {
    args: ['lottery', '--granularity', 'row', '--keep', 'std-threshold'],
    message: /--granularity row prunes by row, and --keep std-threshold prunes weight by weight/,
    fix: /fix: use --keep rate/,
  },
  {
    args: ['train', '--granularity', 'filter'],
    message: /--granularity filter is refused: it applies only when levels > 0 or --gradual/,
    fix: /fix: add --gradual <schedule>/,
  },
  {
    args: ['lottery', '--granularity', 'rows'],
    message:
      /unknown pruning granularity "rows": use one of weight, row, column, channel, kernel, filter, N:M/,
    fix: /./,
  },
];

for (const { args, message, fix } of REFUSED) {
  test(`refused: ticketlab ${args.join(' ')}`, () => {
    const runs = mkdtempSync(join(tmpdir(), 'granularity-refused-'));
    try {
      const r = cli([...args, '--runs-dir', runs], { TICKETLAB_DATA: '/nonexistent-ticketlab-data' });
      // 2 for a refused setting, 1 for a flag value commander rejects, as for every other flag
      assert.ok(r.status === 1 || r.status === 2, `exit status ${r.status}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.match(r.stderr, fix);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.deepEqual(readdirSync(runs), [], 'nothing written');
    } finally {
      rmSync(runs, { recursive: true, force: true });
    }
  });
}
