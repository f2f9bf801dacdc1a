/**
 * What a mask change during training costs against a training step, in each update mode (fused
 * loop, update in the graph, sparse gather/scatter): median ms of a step, of `engine.setMasks` with a
 * sparser mask (programs reused), and of a whole pruning step of the gradual callback (magnitude
 * scores, selection, setMasks), the worst change in steps, and the number of step programs compiled
 * by the mask changes. Steps and changes alternate, so a load that changes slows both alike.
 * Usage: npx tsx scripts/gradual-mask-cost.ts [model ...]   (default: lenet300 conv2)
 */
import { TrainingEngine } from '../src/engine/engine.js';
import { modelEntry } from '../src/lottery/resolve.js';
import { masksAtSparsity } from '../src/train/gradual.js';
import { Rng } from '../src/util/rng.js';

/** Mask changes measured per model and mode: sparsity 5% → 95% in equal steps. */
const CHANGES = 18;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measure(model: string, mode: 'fused' | 'graph' | 'sparse') {
  const entry = modelEntry(model);
  const inputShape = entry.input === 'flat' ? [784] : [1, 28, 28];
  const net = entry.create({ inputShape, classes: 10 });
  const engine = await TrainingEngine.create(net, {
    batchSize: 60,
    optimizer: { kind: 'adam', beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 } as never,
    threads: 2,
    ...(mode === 'graph' ? { update: 'graph' as const } : {}),
    sparseBelow: mode === 'sparse' ? 1 : 0,
  });
  engine.initialize(0);
  const rng = new Rng(1);
  engine.inputBuffer.forEach((_, i, a) => (a[i] = rng.normal()));
  engine.labelBuffer.forEach((_, i, a) => (a[i] = i % 10));
  const layers = engine.params
    .filter((p) => engine.maskedParams.includes(p.name))
    .map((p) => ({ name: p.name, kind: p.layerKind ?? 'fc', shape: p.shape }));
  const o = { strategy: 'large_final', scope: 'layerwise', layers };
  // first prune (compiles the masked or sparse program once), then time
  await engine.setMasks(masksAtSparsity(o, 0.05, engine.getWeights(), engine.getMasks(), {}, rng)!, {
    reusePrograms: true,
  });
  const compilesBefore = engine.stepCompiles;
  for (let i = 0; i < 3; i++) await engine.step(1e-3); // warm-up
  // steps and mask changes interleaved, so a machine whose load changes slows both alike
  const stepMs: number[] = [];
  const setMs: number[] = [];
  const pruneMs: number[] = [];
  for (let k = 1; k <= CHANGES; k++) {
    for (let i = 0; i < 2; i++) {
      const t = performance.now();
      await engine.step(1e-3);
      stepMs.push(performance.now() - t);
    }
    const t0 = performance.now();
    // as the gradual callback does: weights and masks read in place
    const target = 0.05 + (0.9 * k) / CHANGES;
    const next = masksAtSparsity(o, target, engine.weightViews(), engine.maskViews(), {}, rng)!;
    const t1 = performance.now();
    await engine.setMasks(next, { reusePrograms: true });
    const t2 = performance.now();
    setMs.push(t2 - t1);
    pruneMs.push(t2 - t0);
  }
  const step = median(stepMs);
  const row = {
    model,
    mode,
    stepMs: +step.toFixed(2),
    setMasksMs: +median(setMs).toFixed(2),
    setMasksSteps: +(median(setMs) / step).toFixed(2),
    pruneStepMs: +median(pruneMs).toFixed(2),
    pruneSteps: +(median(pruneMs) / step).toFixed(2),
    maxPruneSteps: +(Math.max(...pruneMs) / step).toFixed(2),
    changes: CHANGES,
    compiles: engine.stepCompiles - compilesBefore,
  };
  await engine.release();
  return row;
}

const models = process.argv.slice(2).length ? process.argv.slice(2) : ['lenet300', 'conv2'];
for (const model of models)
  for (const mode of ['fused', 'graph', 'sparse'] as const)
    console.log(JSON.stringify(await measure(model, mode)));
