/**
 * Data-layer benchmark: the cost of filling one training batch (60 flat, standardized MNIST images plus
 * labels: LeNet-300-100's batch). Uses the real MNIST when it can be found (--data-dir is not available
 * here: TICKETLAB_DATA or the cache), else a synthetic set of the same size. Budget: < 5% of a ~1.5 ms
 * training step, i.e. < 0.075 ms.
 */
import { pathToFileURL } from 'node:url';
import { BatchSampler, loadDataset, splitDataset, type ImageSet } from '../src/data/index.js';
import { syntheticSet } from '../src/data/synthetic.js';

export interface BenchResult {
  case: string;
  ms_per_step: number;
  steps: number;
  threads: number;
}

async function trainingSet(): Promise<{ set: ImageSet; real: boolean }> {
  try {
    const ds = await loadDataset('mnist', { download: false });
    return { set: splitDataset(ds).train, real: true };
  } catch {
    return { set: syntheticSet(55000, { channels: 1, height: 28, width: 28 }, 1), real: false };
  }
}

export async function batchFillBench(): Promise<BenchResult> {
  const { set, real } = await trainingSet();
  const sampler = new BatchSampler(set, {
    batchSize: 60,
    seed: 1,
    normalization: 'standardize',
    dataset: 'mnist',
  });
  for (let i = 0; i < 1000; i++) sampler.next();
  const steps = 3000;
  const times = new Float64Array(steps);
  for (let i = 0; i < steps; i++) {
    const t0 = process.hrtime.bigint();
    sampler.next();
    times[i] = Number(process.hrtime.bigint() - t0) / 1e6;
  }
  times.sort();
  if (!real) process.stderr.write('data-bench: MNIST not found (set TICKETLAB_DATA); used a synthetic set\n');
  return { case: 'batch-fill-lenet-b60', ms_per_step: times[steps >> 1], steps, threads: 1 };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await batchFillBench()));
}
