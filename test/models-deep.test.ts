/**
 * The deep networks of the paper's Section 4 and of studies built on it: exact parameter counts
 * (checked against the reference implementations' own tests), layer kinds (shortcuts identifiable),
 * and that each builds for the Fashion-MNIST stand-in's 1×28×28 images too.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sizeOf } from '../src/graph/graph.js';
import { discover } from '../src/engine/step-graph.js';
import { modelNamed } from '../src/models/index.js';
import type { ModelOptions } from '../src/models/types.js';

function census(name: string, o: ModelOptions = {}) {
  const ctx = discover(modelNamed(name).create(o), 2);
  const params = ctx.params.map((p) => p.decl);
  const count = (f: (d: (typeof params)[number]) => boolean) =>
    params.filter(f).reduce((s, d) => s + sizeOf(d.shape), 0);
  return {
    total: count(() => true),
    byKind: (kind: string) => count((d) => d.role === 'weight' && d.layerKind === kind),
    buffers: ctx.buffers.length,
    params,
  };
}

describe('deep networks: exact parameter counts', () => {
  const cases: [string, number, ModelOptions?][] = [
    ['resnet20', 272_474],
    ['resnet110', 1_730_714],
    ['vgg19', 20_040_522],
    ['vgg16', 14_728_266],
    ['preresnet20-bottleneck', 219_482],
    ['resnet18', 11_177_538, { classes: 2, inputShape: [3, 64, 64] }],
  ];
  for (const [name, expected, o] of cases) {
    test(`${name}: ${expected.toLocaleString('en')} parameters`, () => {
      assert.equal(census(name, o).total, expected);
    });
  }

  test('resnet18 counts the same at 32×32 (parameters do not depend on the input size)', () => {
    assert.equal(census('resnet18', { classes: 2 }).total, 11_177_538);
    assert.throws(() => modelNamed('resnet18').create({ inputShape: [3, 28, 28] }), /at least 32×32/);
  });
});

describe('deep networks: layer kinds as the paper prunes them (Appendix I)', () => {
  test('resnet20: 267,696 conv weights, 2,560 shortcut weights, 640 output weights', () => {
    const c = census('resnet20');
    assert.equal(c.byKind('conv'), 267_696);
    assert.equal(c.byKind('shortcut'), 2_560);
    assert.equal(c.byKind('output'), 640);
    // each BN layer has a running mean and variance: stem 1 + 9 blocks × 2 + 2 projections = 21 BNs
    assert.equal(c.buffers, 2 * 21);
  });

  test('vgg19: 20,018,880 conv weights, 5,120 output weights', () => {
    const c = census('vgg19');
    assert.equal(c.byKind('conv'), 20_018_880);
    assert.equal(c.byKind('output'), 5_120);
    assert.equal(c.byKind('shortcut'), 0);
  });

  test('preresnet20-bottleneck: every conv (shortcuts included) is a conv layer, as the study prunes them', () => {
    const c = census('preresnet20-bottleneck');
    assert.equal(c.byKind('conv'), 214_192);
    assert.equal(c.byKind('output'), 2_560);
  });

  test('the models build on 1×28×28 (the Fashion-MNIST stand-in) with the same parameters', () => {
    for (const name of ['resnet20', 'vgg19', 'preresnet20-bottleneck']) {
      const small = census(name, { inputShape: [1, 28, 28] });
      const full = census(name);
      // only the stem conv's input channels differ: 3 → 1
      const stem = full.params.find((d) => d.role === 'weight')!;
      assert.equal(full.total - small.total, (sizeOf(stem.shape) * 2) / 3, name);
    }
  });
});
