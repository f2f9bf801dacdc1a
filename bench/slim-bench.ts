/**
 * Thin network vs the channel-masked wide one (structured pruning, issue 15): training-step and
 * inference time of each, beside the ratio of their FLOPs (conv/linear multiply-adds per example,
 * engine/cost.ts). The masked wide network computes as much as the dense one (masking γ and β removes
 * no work); the thin one is the same function with the channels gone. Channel masks: the global |γ|
 * threshold at ratio p on random γ (the speed question does not depend on trained values).
 *
 *   npx tsx bench/slim-bench.ts [model=resnet20] [ratio=0.5] [steps=20] [threads=2]
 */
import { TrainingEngine } from '../src/engine/engine.js';
import { modelCost } from '../src/engine/cost.js';
import { initialValues } from '../src/engine/init.js';
import { modelNamed } from '../src/models/index.js';
import type { Model } from '../src/models/types.js';
import {
  type WeightMaps,
  analyseChannels,
  channelScores,
  globalChannelMasks,
  maskChannels,
  slimModel,
  slimWeights,
} from '../src/prune/structured/index.js';
import { Rng } from '../src/util/rng.js';

const [name = 'resnet20', ratioArg = '0.5', stepsArg = '20', threadsArg = '2'] = process.argv.slice(2);
const ratio = Number(ratioArg);
const steps = Number(stepsArg);
const threads = Number(threadsArg);
const batch = 64;
const evalCount = 512;

const wideModel = modelNamed(name).create({ inputShape: [3, 32, 32] });
const structure = analyseChannels(wideModel);
const rng = new Rng(1);
const wide: WeightMaps = {
  weights: new Map(structure.params.map((p) => [p.name, initialValues(p, 1)])),
  buffers: new Map(
    structure.buffers.map((b) => [b.name, new Float32Array(b.shape[0]).fill(b.name.endsWith('var') ? 1 : 0)]),
  ),
};
for (const p of structure.params)
  if (p.role === 'bn_scale') wide.weights.get(p.name)!.forEach((_, i, a) => (a[i] = rng.float()));
const { masks } = globalChannelMasks(channelScores(structure, wide.weights), ratio);
const thinModel = slimModel(wideModel, structure, masks);
const thin = slimWeights(structure, masks, wide);
const masked = maskChannels(structure, masks, wide);

async function time(model: Model, w: WeightMaps) {
  const engine = await TrainingEngine.create(model, {
    batchSize: batch,
    optimizer: { kind: 'sgd', momentum: 0.9, nesterov: false, weightDecay: 1e-4 },
    threads,
    evalBatchSize: 256,
  });
  engine.setWeights(w.weights, w.buffers);
  const x = Float32Array.from({ length: evalCount * 3 * 32 * 32 }, () => rng.normal());
  const y = Int32Array.from({ length: evalCount }, () => rng.int(10));
  engine.inputBuffer.set(x.subarray(0, engine.inputBuffer.length));
  engine.labelBuffer.set(y.subarray(0, batch));
  for (let i = 0; i < 3; i++) await engine.step(0.01); // warm up
  let t = performance.now();
  for (let i = 0; i < steps; i++) await engine.step(0.01);
  const step = (performance.now() - t) / steps;
  await engine.evaluate(x, y, evalCount); // warm up
  t = performance.now();
  await engine.evaluate(x, y, evalCount);
  const infer = (performance.now() - t) / evalCount;
  const cost = modelCost(model, engine.getWeights());
  await engine.release();
  return { step, infer, flops: cost.flops, params: engine.parameterCount };
}

// interleaved twice, so a load change on the shared machine hits both
const rounds: { wide: Awaited<ReturnType<typeof time>>; thin: Awaited<ReturnType<typeof time>> }[] = [];
for (let r = 0; r < 2; r++)
  rounds.push({ wide: await time(wideModel, masked), thin: await time(thinModel, thin) });
const best = (k: 'wide' | 'thin', f: 'step' | 'infer') => Math.min(...rounds.map((r) => r[k][f]));
const [w, t] = [rounds[0].wide, rounds[0].thin];
console.log(
  JSON.stringify(
    {
      model: name,
      ratio,
      threads,
      batch,
      parameters: { wide: w.params, thin: t.params },
      flopsPerExample: { wide: w.flops, thin: t.flops, ratio: w.flops / t.flops },
      stepMs: {
        wide: best('wide', 'step'),
        thin: best('thin', 'step'),
        ratio: best('wide', 'step') / best('thin', 'step'),
      },
      inferenceMsPerExample: {
        wide: best('wide', 'infer'),
        thin: best('thin', 'infer'),
        ratio: best('wide', 'infer') / best('thin', 'infer'),
      },
    },
    null,
    1,
  ),
);
