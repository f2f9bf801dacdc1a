/**
 * The fraction of parameters the course project's threshold rule keeps, for both centres, from a
 * run's trained dense network: `npx tsx scripts/threshold-fractions.ts <run-dir> [trial]`. Every
 * parameter of the level-0 ticket (weights and biases) is one pool, as the notebook does.
 */
import { join } from 'node:path';
import { fullMasks, thresholdStats, type PrunableLayer } from '../src/prune/index.js';
import { loadWeights } from '../src/lottery/weights-io.js';

const [dir, trial = '0'] = process.argv.slice(2);
if (!dir) throw new Error('usage: threshold-fractions <run-dir> [trial]');
const { weights } = loadWeights(join(dir, `trial-${trial}`, 'level-00', 'ticket', 'final.safetensors'));
const layers: PrunableLayer[] = [...weights].map(([name, w]) => ({ name, kind: 'fc', shape: [w.length] }));
const total = layers.reduce((s, l) => s + l.shape[0], 0);
console.log(`${layers.length} tensors, ${total} parameters`);
console.log('alpha  kept (m = mean p, the code)  kept (m = mean |p|, the text)');
for (const alpha of [0, 0.5, 1, 1.5, 2]) {
  const kept = (centre: 'mean' | 'abs-mean') =>
    thresholdStats(layers, weights, fullMasks(layers), { rule: 'std', alpha, centre }).kept / total;
  console.log(
    `${alpha.toFixed(1).padStart(5)}  ${kept('mean').toFixed(4).padStart(26)}  ${kept('abs-mean').toFixed(4).padStart(29)}`,
  );
}
