/** A learnable synthetic task for engine tests: 4 Gaussian blobs in 16 dimensions, an MLP, masks. */
import type { TrainingEngine } from '../../src/engine/engine.js';
import * as op from '../../src/graph/ops.js';
import { dense } from '../../src/models/layers.js';
import type { Model } from '../../src/models/types.js';
import { Rng } from '../../src/util/rng.js';

const centerRng = new Rng(1234);
const centers = Array.from({ length: 4 }, () => Array.from({ length: 16 }, () => centerRng.normal()));

/** n examples, labels cycling 0..3, each a blob centre plus unit Gaussian noise (deterministic). */
export function blobs(n: number, seed: number) {
  const rng = new Rng(seed);
  const x = new Float32Array(n * 16);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 4;
    for (let d = 0; d < 16; d++) x[i * 16 + d] = centers[y[i]][d] + rng.normal();
  }
  return { x, y };
}

/** 16-32-4 with ReLU. */
export const mlp: Model = {
  name: 'mlp',
  inputShape: [16],
  classes: 4,
  forward(ctx, x) {
    const h = op.relu(dense(ctx, 'fc1', x, 32));
    return dense(ctx, 'fc2', h, 4, { layerKind: 'output' });
  },
};

/** Keeps a random half of each weight tensor. */
export function halfMasks(engine: TrainingEngine, seed: number): Map<string, Uint8Array> {
  const rng = new Rng(seed);
  return new Map([...engine.getMasks()].map(([name, m]) => [name, m.map(() => (rng.float() < 0.5 ? 1 : 0))]));
}
