/**
 * Export of pruned deep networks (VGG and a CIFAR ResNet, on small inputs to stay quick): the
 * standalone ONNX model, run by onnxruntime-node, reproduces the engine's inference forward pass
 * (BatchNorm with its running statistics, pruned weights zero).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { TrainingEngine } from '../src/engine/engine.js';
import { exportInferenceModel } from '../src/engine/export.js';
import { modelNamed } from '../src/models/index.js';
import { pruneMasks } from '../src/prune/index.js';
import { Rng } from '../src/util/rng.js';

async function checkExport(name: string, inputShape: number[]): Promise<void> {
  const entry = modelNamed(name);
  const model = entry.create({ inputShape, classes: 10 });
  const batch = 4;
  const engine = await TrainingEngine.create(model, {
    batchSize: batch,
    optimizer: { kind: 'sgd', momentum: 0.9, weightDecay: 1e-4 },
    threads: 1,
  });
  try {
    engine.initialize(1);
    // two rounds of the model's own global pruning, then two training steps (BN statistics move)
    const layers = engine.params
      .filter((d) => engine.maskedParams.includes(d.name))
      .map((d) => ({ name: d.name, kind: d.layerKind!, shape: d.shape }));
    let masks = engine.getMasks();
    const spec = { strategy: 'magnitude', scope: 'global', rates: { conv: 0.5 } };
    for (let k = 0; k < 2; k++) masks = pruneMasks(layers, engine.getWeights(), masks, spec);
    await engine.setMasks(masks);
    const rng = new Rng(2);
    for (let s = 0; s < 2; s++) {
      engine.inputBuffer.set(engine.inputBuffer.map(() => rng.normal()));
      engine.labelBuffer.set(engine.labelBuffer.map(() => rng.int(10)));
      await engine.step(0.05);
    }
    const conv = layers.filter((l) => l.kind === 'conv');
    const convKept = conv.reduce(
      (s, l) =>
        s +
        engine
          .getMasks()
          .get(l.name)!
          .reduce((a, b) => a + b, 0),
      0,
    );
    const convTotal = conv.reduce((s, l) => s + l.shape.reduce((a, b) => a * b, 1), 0);
    assert.equal(
      convKept,
      convTotal - Math.round(convTotal / 2) - Math.round((convTotal - Math.round(convTotal / 2)) / 2),
    );

    const bytes = exportInferenceModel(engine, { model: name });
    const session = await ort.InferenceSession.create(bytes);
    const size = inputShape.reduce((a, b) => a * b, 1);
    for (let n = 0; n < 2; n++) {
      const x = Float32Array.from({ length: size }, () => rng.normal());
      const out = await session.run({ input: new ort.Tensor('float32', x, [1, ...inputShape]) });
      const exported = out.logits.data as Float32Array;
      const engineLogits = await engine.predict(x, 1);
      let worst = 0;
      for (let i = 0; i < 10; i++) worst = Math.max(worst, Math.abs(exported[i] - engineLogits[i]));
      assert.ok(worst < 1e-4, `${name}: exported logits differ by ${worst}`);
      assert.ok(engineLogits.some((v) => v !== 0));
    }
    await session.release();
  } finally {
    await engine.release();
  }
}

test('a pruned VGG-11 exported as ONNX reproduces the engine (1×16×16 input)', async () => {
  await checkExport('vgg11', [1, 16, 16]);
});

test('a pruned ResNet-20 exported as ONNX reproduces the engine (1×8×8 input)', async () => {
  await checkExport('resnet20', [1, 8, 8]);
});
