/**
 * Physical channel removal: the thin network rebuilt from channel masks computes what the wide
 * network computes with those channels masked (inference mode, exported ONNX run by onnxruntime),
 * and has the parameter count the kept channels give, for VGG, the basic-block ResNet, the
 * pre-activation bottleneck ResNet and (filter pruning by L1 norm) Conv-2 without BatchNorm.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TrainingEngine } from '../src/engine/engine.js';
import { conv2, preresnet20Bottleneck, resnet20, vgg11 } from '../src/models/index.js';
import type { Model } from '../src/models/types.js';
import {
  type ChannelMasks,
  type ChannelStructure,
  type WeightMaps,
  analyseChannels,
  channelScores,
  globalChannelMasks,
  keptIndices,
  layerwiseChannelMasks,
  maskChannels,
  slimModel,
  slimWeights,
} from '../src/prune/structured/index.js';
import { gatherChannels } from '../src/graph/ops.js';
import { gradCheck } from './helpers/gradcheck.js';
import { logits, randomWeights } from './helpers/channel-weights.js';
import { Rng } from '../src/util/rng.js';

const sizeOfAll = (m: Map<string, Float32Array>) => [...m.values()].reduce((s, v) => s + v.length, 0);

/** Slims `model` with `masks` and checks outputs against the masked wide network; returns the thin weights. */
async function checkSlim(model: Model, structure: ChannelStructure, masks: ChannelMasks, wide: WeightMaps) {
  const batch = 3;
  const rng = new Rng(7);
  const x = Float32Array.from({ length: batch * model.inputShape.reduce((a, b) => a * b, 1) }, () =>
    rng.normal(),
  );
  const thin = slimModel(model, structure, masks);
  const thinWeights = slimWeights(structure, masks, wide);
  const masked = await logits(model, maskChannels(structure, masks, wide), x, batch);
  const slim = await logits(thin, thinWeights, x, batch);
  const dense = await logits(model, wide, x, batch);
  const scale = Math.max(...masked.map(Math.abs));
  const maxDiff = Math.max(...masked.map((v, i) => Math.abs(v - slim[i])));
  assert.ok(maxDiff <= 1e-5 * scale + 1e-6, `thin vs masked: max difference ${maxDiff} (scale ${scale})`);
  // the masks change the function: the comparison is not trivially between two dense networks
  assert.ok(Math.max(...dense.map((v, i) => Math.abs(v - masked[i]))) > 1e-3 * scale);
  return thinWeights;
}

const kept = (masks: ChannelMasks, name: string) => keptIndices(masks.get(name)!).length;

describe('structured pruning: the thin network equals the channel-masked one', () => {
  test('VGG-11: every BatchNorm is removable; conv filters, BN, next inputs and fc columns sliced', async () => {
    const model = vgg11.create({ inputShape: [3, 16, 16] });
    const structure = analyseChannels(model);
    assert.equal(structure.groups.length, 8);
    assert.deepEqual(structure.fixedNorms, []);
    assert.deepEqual(structure.groups[7].consumers, [{ kind: 'dense', name: 'fc', spatial: 1 }]);
    const wide = randomWeights(structure, 1);
    const { masks } = globalChannelMasks(channelScores(structure, wide.weights), 0.6);
    const thin = await checkSlim(model, structure, masks, wide);
    // parameters: conv k²·in·out + bias out, BN γ β, Linear(last → 10)
    let expected = 0;
    let inC = 3;
    for (let i = 0; i < 8; i++) {
      const out = kept(masks, `layers.${i}.bn`);
      expected += 9 * inC * out + out + 2 * out;
      inC = out;
    }
    expected += inC * 10 + 10;
    assert.equal(sizeOfAll(thin.weights), expected);
    assert.ok(expected < sizeOfAll(wide.weights) * 0.6);
  });

  test('ResNet-20 (basic blocks): the inner BatchNorm of each block goes, the residual stream stays', async () => {
    const model = resnet20.create({ inputShape: [3, 8, 8] });
    const structure = analyseChannels(model);
    assert.deepEqual(
      structure.groups.map((g) => [g.name, g.producer, g.consumers.map((c) => c.name).join()]),
      Array.from({ length: 9 }, (_, b) => [`blocks.${b}.bn1`, `blocks.${b}.conv1`, `blocks.${b}.conv2`]),
    );
    assert.ok(structure.fixedNorms.includes('bn') && structure.fixedNorms.includes('blocks.3.shortcut.1'));
    const wide = randomWeights(structure, 2);
    const { masks } = globalChannelMasks(channelScores(structure, wide.weights), 0.5);
    const thin = await checkSlim(model, structure, masks, wide);
    let expected = 3 * 16 * 9 + 2 * 16 + 64 * 10 + 10;
    let inC = 16;
    [16, 32, 64].forEach((width, stage) => {
      for (let i = 0; i < 3; i++) {
        const k = kept(masks, `blocks.${stage * 3 + i}.bn1`);
        expected += 9 * inC * k + 2 * k + 9 * k * width + 2 * width;
        if (inC !== width) expected += inC * width + 2 * width;
        inC = width;
      }
    });
    assert.equal(sizeOfAll(thin.weights), expected);
  });

  test('pre-activation bottleneck ResNet-20: channels selected before bn1 and the head, conv1/conv2 outputs cut', async () => {
    const model = preresnet20Bottleneck.create({ inputShape: [3, 8, 8] });
    const structure = analyseChannels(model);
    assert.equal(structure.groups.length, 19);
    const byName = new Map(structure.groups.map((g) => [g.name, g]));
    assert.equal(byName.get('layer1.0.bn1')!.producer, undefined); // read by the downsample conv too
    assert.equal(byName.get('layer2.1.bn1')!.producer, undefined); // the residual stream
    assert.equal(byName.get('layer2.1.bn2')!.producer, 'layer2.1.conv1');
    assert.equal(byName.get('layer2.1.bn3')!.producer, 'layer2.1.conv2');
    assert.deepEqual(byName.get('bn')!.consumers, [{ kind: 'dense', name: 'fc', spatial: 1 }]);
    const wide = randomWeights(structure, 3);
    const { masks } = globalChannelMasks(channelScores(structure, wide.weights), 0.5);
    const thin = await checkSlim(model, structure, masks, wide);
    const cfg = [
      [16, 16, 16],
      [64, 16, 16],
      [64, 32, 32],
      [128, 32, 32],
      [128, 64, 64],
      [256, 64, 64],
    ];
    let expected = 3 * 16 * 9 + 2 * kept(masks, 'bn') + kept(masks, 'bn') * 10 + 10;
    cfg.forEach(([inC], b) => {
      const p = `layer${Math.floor(b / 2) + 1}.${b % 2}`;
      const [k1, k2, k3] = ['bn1', 'bn2', 'bn3'].map((n) => kept(masks, `${p}.${n}`));
      const out = [64, 64, 128, 128, 256, 256][b];
      expected += 2 * k1 + k1 * k2 + 2 * k2 + 9 * k2 * k3 + 2 * k3 + k3 * out;
      if (b % 2 === 0) expected += inC * out; // downsample 1×1, no BN
    });
    assert.equal(sizeOfAll(thin.weights), expected);
  });

  test('Conv-2 without BatchNorm: filter pruning by L1 norm, the flattened fc columns follow', async () => {
    const model = conv2.create({ inputShape: [1, 12, 12] });
    const structure = analyseChannels(model);
    assert.deepEqual(
      structure.groups.map((g) => [g.name, g.norm, g.consumers]),
      [
        ['conv1', undefined, [{ kind: 'conv', name: 'conv2', spatial: 1 }]],
        ['conv2', undefined, [{ kind: 'dense', name: 'fc1', spatial: 36 }]],
      ],
    );
    const wide = randomWeights(structure, 4);
    for (const [k, v] of wide.weights)
      if (k.endsWith('bias')) v.forEach((_, i) => (v[i] = 0.05 * ((i % 7) - 3)));
    const { masks } = layerwiseChannelMasks(channelScores(structure, wide.weights, 'filter-l1'), 0.5);
    assert.equal(kept(masks, 'conv1'), 31);
    const thin = await checkSlim(model, structure, masks, wide);
    const [k1, k2] = [kept(masks, 'conv1'), kept(masks, 'conv2')];
    const expected = 9 * k1 + k1 + 9 * k1 * k2 + k2 + 36 * k2 * 256 + 256 + 256 * 256 + 256 + 2570;
    assert.equal(sizeOfAll(thin.weights), expected);
  });
});

describe('the thin network trains', () => {
  test('bottleneck ResNet-20, thin (channel selections included): steps with finite loss move its weights', async () => {
    const model = preresnet20Bottleneck.create({ inputShape: [3, 8, 8], classes: 4 });
    const structure = analyseChannels(model);
    const wide = randomWeights(structure, 5);
    const { masks } = globalChannelMasks(channelScores(structure, wide.weights), 0.5);
    const thin = slimModel(model, structure, masks);
    const engine = await TrainingEngine.create(thin, {
      batchSize: 4,
      optimizer: { kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 1e-4 },
      threads: 1,
    });
    try {
      const start = slimWeights(structure, masks, wide);
      engine.setWeights(start.weights, start.buffers);
      const rng = new Rng(9);
      engine.inputBuffer.set(Float32Array.from(engine.inputBuffer, () => rng.normal()));
      engine.labelBuffer.set([0, 1, 2, 3]);
      for (let i = 0; i < 2; i++) assert.ok(Number.isFinite((await engine.step(0.05)).loss));
      // the first block's bn1 reads selected channels of the stem's output: its γ learns too
      const gamma = engine.getParam('layer1.0.bn1.weight');
      assert.equal(gamma.length, kept(masks, 'layer1.0.bn1'));
      assert.notDeepEqual(gamma, start.weights.get('layer1.0.bn1.weight'));
      assert.notDeepEqual(engine.getParam('conv1.weight'), start.weights.get('conv1.weight'));
    } finally {
      await engine.release();
    }
  });
});

describe('channel selection', () => {
  test('a group the global threshold would empty keeps its best channel, with a notice naming it', () => {
    const scores = new Map([
      ['a', Float32Array.from([0.1, 0.2, 0.05])],
      ['b', Float32Array.from([0.9, 0.8, 0.7, 0.6])],
    ]);
    const { masks, notices, threshold } = globalChannelMasks(scores, 0.5);
    assert.equal(threshold, Math.fround(0.6)); // sorted[⌊7·0.5⌋] = sorted[3]
    assert.deepEqual([...masks.get('a')!], [0, 1, 0]);
    assert.deepEqual([...masks.get('b')!], [1, 1, 1, 0]);
    assert.equal(notices.length, 1);
    assert.match(notices[0], /^a: .*all 3 of its channels.*channel 1/);
  });

  test('gatherChannels: gradient checked by finite differences', async () => {
    const results = await gradCheck([{ name: 'x', shape: [2, 5, 2, 2] }], ([x]) =>
      gatherChannels(x, [4, 0, 2]),
    );
    for (const r of results) assert.ok(r.maxRelativeError < 1e-6, `relative error ${r.maxRelativeError}`);
  });
});
