/**
 * Where a training step's time goes: runs a model's compiled step under onnxruntime's profiler and
 * sums kernel time by operator type (and lists the slowest nodes). The engine is untouched: the
 * profiler is switched on by wrapping InferenceSession.create for this process only.
 *
 *   npx tsx bench/profile-step.ts --model resnet20 --batch 128 --steps 5 --threads 2
 */
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Command } from 'commander';
import * as ort from 'onnxruntime-node';
import { TrainingEngine } from '../src/engine/engine.js';
import { modelNamed } from '../src/models/index.js';
import { Rng } from '../src/util/rng.js';

interface ProfileEvent {
  cat: string;
  name: string;
  dur: number;
  args?: { op_name?: string };
}

const o = new Command('profile-step')
  .option('--model <name>', 'registered model', 'resnet20')
  .option('--batch <n>', 'batch size', (v) => Number(v), 128)
  .option('--steps <n>', 'profiled steps (after 3 warm-up steps)', (v) => Number(v), 5)
  .option('--threads <n>', 'intra-op threads', (v) => Number(v), 2)
  .option('--input <shape>', 'one example, e.g. 3,32,32', '3,32,32')
  .option('--top <n>', 'slowest nodes to list', (v) => Number(v), 12)
  .parse(process.argv)
  .opts<{ model: string; batch: number; steps: number; threads: number; input: string; top: number }>();

const sessions: ort.InferenceSession[] = [];
const prefix = join(tmpdir(), `ticketlab-profile-${process.pid}`);
const create = ort.InferenceSession.create.bind(ort.InferenceSession) as (
  m: Uint8Array,
  opts: ort.InferenceSession.SessionOptions,
) => Promise<ort.InferenceSession>;
(ort.InferenceSession as unknown as { create: typeof create }).create = async (m, opts) => {
  const s = await create(m, { ...opts, enableProfiling: true, profileFilePrefix: prefix });
  sessions.push(s);
  return s;
};

const entry = modelNamed(o.model);
const engine = await TrainingEngine.create(entry.create({ inputShape: o.input.split(',').map(Number) }), {
  batchSize: o.batch,
  optimizer: { kind: 'sgd', momentum: 0.9, weightDecay: 1e-4 },
  threads: o.threads,
});
engine.initialize(0);
const rng = new Rng(1);
engine.inputBuffer.set(engine.inputBuffer.map(() => rng.float()));
engine.labelBuffer.set(engine.labelBuffer.map(() => rng.int(10)));
for (let i = 0; i < 3; i++) await engine.step(0.1);
const t0 = performance.now();
for (let i = 0; i < o.steps; i++) await engine.step(0.1);
const wall = (performance.now() - t0) / o.steps;
const byOp = new Map<string, number>();
const byNode = new Map<string, number>();
let kernel = 0;
// onnxruntime-node writes each session's profile to <prefix>_<date>.json when profiling ends
for (const s of sessions) s.endProfiling();
const files = readdirSync(tmpdir())
  .filter((f) => f.startsWith(basename(prefix)) && f.endsWith('.json'))
  .map((f) => join(tmpdir(), f));
for (const file of files) {
  const events = JSON.parse(readFileSync(file, 'utf8')) as ProfileEvent[];
  rmSync(file, { force: true });
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const opName = e.args?.op_name ?? '?';
    byOp.set(opName, (byOp.get(opName) ?? 0) + e.dur);
    const node = `${opName} ${e.name.replace(/_kernel_time$/, '')}`;
    byNode.set(node, (byNode.get(node) ?? 0) + e.dur);
    kernel += e.dur;
  }
}
await engine.release();
// the profile also holds the warm-up steps: report per step over all profiled runs
const runs = o.steps + 3;
const ms = (us: number) => (us / 1000 / runs).toFixed(2).padStart(9);
console.log(`${o.model} batch ${o.batch}, ${o.threads} threads: ${wall.toFixed(1)} ms per step (wall)`);
console.log(`kernel time per step ${ms(kernel)} ms, by operator type:`);
for (const [op, us] of [...byOp].sort((a, b) => b[1] - a[1]))
  console.log(`  ${op.padEnd(22)} ${ms(us)} ms  ${((100 * us) / kernel).toFixed(1).padStart(5)}%`);
console.log(`slowest nodes:`);
for (const [node, us] of [...byNode].sort((a, b) => b[1] - a[1]).slice(0, o.top))
  console.log(`  ${ms(us)} ms  ${node}`);
