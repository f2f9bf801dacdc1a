/**
 * Level-0 sharing measured on a small zhou-criteria-style set: the preset's LeNet-300-100 runs (15
 * criterion × mask-1 × mask-0 conditions, all with the same dense level 0), shortened to --iterations
 * per level and --levels, on MNIST, each set in a fresh runs directory with sharing on and off. Counts
 * the units trained (the work) and the wall time (noisy on a shared machine), and checks that both
 * sets end with the same results.
 *
 *   TICKETLAB_DATA=../shared/datasets npx tsx bench/share-level0-bench.ts [--iterations 400] [--levels 1] [--runs 15] [--threads 1]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { executeLottery } from '../src/experiments/execute.js';
import { presetNamed, presetRuns } from '../src/experiments/presets.js';
import { resolveConfig } from '../src/lottery/resolve.js';
import type { LevelResult } from '../src/lottery/summary.js';

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '400' },
    levels: { type: 'string', default: '1' },
    runs: { type: 'string', default: '15' },
    threads: { type: 'string', default: '1' },
  },
});
const iterations = Number(values.iterations);
const levels = Number(values.levels);
const runs = presetRuns(presetNamed('zhou-criteria'), { scale: 'quick', models: ['lenet300'] }).slice(
  0,
  Number(values.runs),
);

async function set(share: boolean) {
  const root = mkdtempSync(join(tmpdir(), `share-bench-${share ? 'on' : 'off'}-`));
  let trained = 0;
  let copied = 0;
  const results: LevelResult[][] = [];
  const started = performance.now();
  try {
    for (const r of runs) {
      const config = resolveConfig({
        ...r.request,
        iterations,
        evalEvery: iterations / 2,
        levels,
        shareLevel0: share,
      });
      const summary = await executeLottery(config, {
        runsDir: root,
        name: r.name,
        threads: Number(values.threads),
        reporter: {
          unitStart: () => trained++,
          notice: (m) => {
            if (/copied from run/.test(m)) copied++;
          },
        },
      });
      results.push(summary.results);
    }
    return { share, trained, copied, seconds: (performance.now() - started) / 1000, results };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const stripped = (rs: LevelResult[][]) =>
  JSON.stringify(
    rs.map((run) =>
      run.map(({ wallSeconds: _w, provenance, ...r }) => ({
        ...r,
        provenance: { ...provenance, sharedFrom: undefined },
      })),
    ),
  );

const off = await set(false);
const on = await set(true);
for (const s of [off, on])
  console.log(
    `sharing ${s.share ? 'on ' : 'off'}: ${runs.length} runs × levels 0-${levels} at ${iterations} iterations: ` +
      `${s.trained} units trained, ${s.copied} level-0 units copied, ${s.seconds.toFixed(1)} s`,
  );
console.log(`same results: ${stripped(off.results) === stripped(on.results)}`);
