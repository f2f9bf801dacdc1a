/**
 * The accuracy before retraining (@w0 / @w(t−1)) every unit at a level ≥ 1 records equals the test
 * accuracy of its mask applied by hand to the trained weights it was pruned from, computed outside the
 * engine: pruned weights zeroed, the network exported to ONNX and run by onnxruntime, argmax counted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { exportWeights } from '../src/engine/export.js';
import { loadWeights } from '../src/lottery/weights-io.js';
import { MODELS } from '../src/models/zoo.js';
import { loadTensors } from '../src/store/index.js';
import { runSmallLottery, smallConfig, smallSetup } from './helpers/small-lottery.js';

test('@w0 and @w(t−1) equal the masked trained weights’ accuracy computed independently', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ticketlab-before-'));
  try {
    const config = smallConfig({ levels: 2, controls: ['random-reinit', 'random-prune'] });
    const summary = await runSmallLottery(root, config);
    const { data, engine } = await smallSetup(config);
    await engine.release();
    const model = MODELS.lenet300.create({ inputShape: config.inputShape });
    const pad = (n: number) => String(n).padStart(2, '0');
    const checked: string[] = [];
    for (const r of summary.results) {
      if (r.level === 0) {
        assert.equal(r.beforeRetraining, undefined);
        continue;
      }
      const before = r.beforeRetraining!;
      assert.equal(before.sourceLevel, r.level - 1, `${r.level} ${r.condition}`);
      const unit = join(summary.dir, `trial-0/level-${pad(r.level)}`);
      const trained = loadWeights(
        join(summary.dir, `trial-0/level-${pad(before.sourceLevel)}/ticket/final.safetensors`),
      );
      const masks = loadTensors(join(unit, r.condition, 'masks.safetensors'));
      const weights = new Map(
        [...trained.weights].map(([name, w]) => {
          const m = masks.get(name);
          return [name, m ? w.map((v, i) => (m[i] ? v : 0)) : w];
        }),
      );
      const session = await ort.InferenceSession.create(exportWeights(model, weights, trained.buffers));
      const n = data.test.count;
      const out = await session.run({
        input: new ort.Tensor('float32', data.test.x.subarray(0, n * 784), [n, 784]),
      });
      await session.release();
      const logits = out.logits.data as Float32Array;
      let correct = 0;
      for (let i = 0; i < n; i++) {
        const row = logits.subarray(i * 10, i * 10 + 10);
        if (row.indexOf(Math.max(...row)) === data.test.y[i]) correct++;
      }
      assert.equal(before.testAccuracy, correct / n, `${r.level} ${r.condition}`);
      checked.push(`${r.level} ${r.condition}`);
    }
    assert.equal(checked.length, 6);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
