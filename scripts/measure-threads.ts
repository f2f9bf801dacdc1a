/**
 * Measures a model's training level at 1 and at 2 onnxruntime threads, alternating, in separate
 * processes (`ticketlab train`, so data loading and compilation are left out: a unit's wallSeconds is
 * its training and evaluation time). Prints each round and the median ratio; src/models/threads.ts
 * records the result as the model's default thread count.
 *
 *   TICKETLAB_DATA=../shared/datasets npx tsx scripts/measure-threads.ts lenet300 --iterations 2000 --rounds 2
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [model = 'lenet300', ...rest] = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = rest.indexOf(`--${name}`);
  return i >= 0 ? Number(rest[i + 1]) : fallback;
};
const iterations = flag('iterations', 2000);
const rounds = flag('rounds', 2);
const evalEvery = flag('eval-every', 100);

function level(threads: number): number {
  const dir = mkdtempSync(join(tmpdir(), 'ticketlab-threads-'));
  try {
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/entry.ts',
        'train',
        '--model',
        model,
        '--iterations',
        String(iterations),
        '--eval-every',
        String(evalEvery),
        '--threads',
        String(threads),
        '--checkpoint-every',
        '0',
        '--runs-dir',
        dir,
      ],
      { encoding: 'utf8', env: { ...process.env, CI: '1' } },
    );
    if (r.status !== 0) throw new Error(r.stderr);
    const run = readdirSync(dir).find((d) => !d.startsWith('.'))!;
    const result = JSON.parse(readFileSync(join(dir, run, 'trial-0/level-00/ticket/result.json'), 'utf8'));
    return result.result.wallSeconds as number;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ratios: number[] = [];
for (let k = 0; k < rounds; k++) {
  // alternate which count goes first, so a drift of the machine's load favours neither
  const order = k % 2 === 0 ? [1, 2] : [2, 1];
  const t: Record<number, number> = {};
  for (const threads of order) t[threads] = level(threads);
  ratios.push(t[2] / t[1]);
  console.log(
    `round ${k + 1}: ${model} ${iterations} iterations, eval every ${evalEvery}: 1 thread ${t[1].toFixed(1)} s, 2 threads ${t[2].toFixed(1)} s, 2/1 = ${(t[2] / t[1]).toFixed(2)}`,
  );
}
const median = [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)];
console.log(`median 2-thread / 1-thread time: ${median.toFixed(2)} → default threads ${median < 1 ? 2 : 1}`);
