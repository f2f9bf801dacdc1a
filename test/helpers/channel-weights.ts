/** Wide-network weights for structured-pruning tests, and the logits of a network as exported ONNX. */
import ort from 'onnxruntime-node';
import { exportWeights } from '../../src/engine/export.js';
import { initialValues } from '../../src/engine/init.js';
import type { Model } from '../../src/models/types.js';
import type { ChannelStructure, WeightMaps } from '../../src/prune/structured/index.js';
import { Rng } from '../../src/util/rng.js';

/** Random weights with BN γ of both signs, β ≠ 0 and running statistics ≠ (0, 1): masking must matter. */
export function randomWeights(structure: ChannelStructure, seed: number): WeightMaps {
  const rng = new Rng(seed);
  const weights = new Map(
    structure.params.map((p) => {
      const v = initialValues(p, seed);
      if (p.role === 'bn_scale' || p.role === 'bn_shift')
        for (let i = 0; i < v.length; i++) v[i] = rng.float() * 2 - 1;
      return [p.name, v];
    }),
  );
  const buffers = new Map(
    structure.buffers.map((b) => {
      const n = b.shape.reduce((a, c) => a * c, 1);
      const v = Float32Array.from({ length: n }, () =>
        b.name.endsWith('var') ? 0.5 + rng.float() : rng.float() - 0.5,
      );
      return [b.name, v];
    }),
  );
  return { weights, buffers };
}

/** The logits of `model` with weights `w` on a batch, run by onnxruntime from the exported model. */
export async function logits(
  model: Model,
  w: WeightMaps,
  x: Float32Array,
  batch: number,
): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(exportWeights(model, w.weights, w.buffers));
  const out = await session.run({ input: new ort.Tensor('float32', x, [batch, ...model.inputShape]) });
  await session.release();
  return out.logits.data as Float32Array;
}
