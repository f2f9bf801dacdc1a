/**
 * CPU time per training step of the deep-network bench cases, for a loaded machine where wall-clock
 * ratios measure the scheduler as much as the code: process.cpuUsage (user + system) around each
 * step at the given threads (default 1), median of the steps after two warm-up steps.
 *
 *   npx tsx bench/cpu-step.ts resnet20-sgd-b128 [steps=3] [threads=1]
 * The PyTorch side: /usr/bin/python3 bench/torch_cpu_step.py <case> [steps] [threads].
 */
import { TrainingEngine } from '../src/engine/engine.js';
import { MODELS } from '../src/models/zoo.js';
import { Rng } from '../src/util/rng.js';

const CASES: Record<string, { model: string; batchSize: number }> = {
  'resnet20-sgd-b128': { model: 'resnet20', batchSize: 128 },
  'vgg19-sgd-b64': { model: 'vgg19', batchSize: 64 },
};

const [name = 'resnet20-sgd-b128', stepsArg = '3', threadsArg = '1'] = process.argv.slice(2);
const c = CASES[name];
if (!c) throw new Error(`unknown case ${name}: ${Object.keys(CASES).join(', ')}`);
const engine = await TrainingEngine.create(MODELS[c.model].create({ inputShape: [3, 32, 32] }), {
  batchSize: c.batchSize,
  optimizer: { kind: 'sgd', momentum: 0.9, nesterov: false, weightDecay: 1e-4 },
  threads: Number(threadsArg),
});
engine.initialize(0);
const rng = new Rng(1);
for (let i = 0; i < engine.inputBuffer.length; i++) engine.inputBuffer[i] = rng.float();
for (let i = 0; i < engine.labelBuffer.length; i++) engine.labelBuffer[i] = rng.int(10);
for (let i = 0; i < 2; i++) await engine.step(0.1);
const cpu: number[] = [];
const wall: number[] = [];
for (let i = 0; i < Number(stepsArg); i++) {
  const u = process.cpuUsage();
  const t = performance.now();
  await engine.step(0.1);
  const d = process.cpuUsage(u);
  wall.push(performance.now() - t);
  cpu.push((d.user + d.system) / 1000);
}
await engine.release();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(
  JSON.stringify({
    case: name,
    cpu_ms_per_step: Math.round(median(cpu)),
    wall_ms_per_step: Math.round(median(wall)),
    cpu_ms: cpu.map(Math.round),
    threads: Number(threadsArg),
    peak_rss_gib: Number((process.resourceUsage().maxRSS / 2 ** 20).toFixed(2)),
  }),
);
