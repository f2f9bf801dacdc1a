/**
 * Renda et al.'s retraining methods as resets: each level-1 unit starts from the right weights —
 * fine-tuning and LR rewinding from the trained dense network's final weights, weight rewinding from
 * θ_k — masked, and trains T − k steps at the right learning rates: the schedule replayed from step k
 * (both rewindings) or the fixed fine-tuning rate; the lottery ticket's `rewind` keeps T steps from 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runIdentity } from '../src/lottery/resolve.js';
import { runLottery } from '../src/lottery/procedure.js';
import { retrainingOf } from '../src/lottery/units.js';
import { loadWeights } from '../src/lottery/weights-io.js';
import { RunStore, loadTensors } from '../src/store/index.js';
import { learningRateAt } from '../src/train/schedule.js';
import type { TrainingEngine } from '../src/engine/engine.js';
import { smallConfig, smallSetup } from './helpers/small-lottery.js';

const T = 40;
const K = 10;

async function runWith(reset: string) {
  const config = smallConfig({
    levels: 1,
    iterations: T,
    reset,
    rewindIteration: K,
    optimizer: 'sgd',
    learningRate: 0.05,
    milestones: [15, 30],
    gamma: 0.1,
    ...(reset === 'finetune' ? { finetuneLearningRate: 0.002 } : {}),
  } as Parameters<typeof smallConfig>[0]);
  const root = mkdtempSync(join(tmpdir(), `ticketlab-retrain-${reset}-`));
  const { data, engine } = await smallSetup(config);
  const lrs = new Map<number, number[]>();
  const starts = new Map<number, Map<string, Float32Array>>();
  let level = -1;
  // the engine as the lottery sees it, recording the learning rate of every step
  const recording = new Proxy(engine, {
    get(target, prop, receiver) {
      if (prop === 'step')
        return (lr: number) => {
          lrs.get(level)!.push(lr);
          return target.step(lr);
        };
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  }) as TrainingEngine;
  const run = new RunStore({ root }).openRun('test', runIdentity(config), config);
  try {
    const summary = await runLottery({
      config,
      run,
      data,
      engine: recording,
      callbacks: (u) => [
        {
          name: 'watch',
          onIteration(it, { engine: e }) {
            if (it === 0) {
              level = u.level;
              lrs.set(level, []);
              starts.set(level, e.getWeights());
            }
            return 'continue';
          },
        },
      ],
    });
    const at = (...parts: string[]) => join(summary.dir, 'trial-0', ...parts);
    return {
      config,
      summary,
      lrs,
      starts,
      trained: loadWeights(at('level-00', 'ticket', 'final.safetensors')).weights,
      rewound: loadWeights(at('rewind.safetensors')).weights,
      theta0: loadWeights(at('init.safetensors')).weights,
      masks: loadTensors(at('level-01', 'ticket', 'masks.safetensors')) as Map<string, ArrayLike<number>>,
    };
  } finally {
    run.close();
    await engine.release();
    rmSync(root, { recursive: true, force: true, maxRetries: 2 });
  }
}

function assertMaskedCopy(
  start: Map<string, Float32Array>,
  source: Map<string, Float32Array>,
  masks: Map<string, ArrayLike<number>>,
  label: string,
) {
  assert.ok(masks.size > 0);
  for (const [name, w] of start) {
    const m = masks.get(name);
    const expected = source.get(name)!.map((v, i) => (m && !m[i] ? 0 : v));
    assert.deepEqual(w, expected, `${label}: ${name}`);
  }
}

for (const reset of ['finetune', 'weight-rewind', 'lr-rewind', 'rewind'] as const) {
  test(`--reset ${reset}: starting weights and learning rate of every retraining step`, async () => {
    const r = await runWith(reset);
    const { config, lrs, starts } = r;
    const schedule = config.schedule;
    assert.deepEqual(
      lrs.get(0),
      Array.from({ length: T }, (_, i) => learningRateAt(0.05, schedule, i)),
    );
    const expected =
      reset === 'finetune'
        ? Array.from({ length: T - K }, () => 0.002)
        : reset === 'rewind'
          ? Array.from({ length: T }, (_, i) => learningRateAt(0.05, schedule, i))
          : Array.from({ length: T - K }, (_, i) => learningRateAt(0.05, schedule, K + i));
    assert.deepEqual(lrs.get(1), expected);
    assert.equal(retrainingOf(config, 1).iterations, expected.length);
    const level1 = r.summary.results.find((x) => x.level === 1)!;
    assert.equal(level1.iterations, expected.length);
    assert.equal(level1.curve.at(-1)!.iteration, expected.length);
    // level 0 starts from θ₀; level 1 from the trained weights or θ_k, with the level's mask applied
    assert.deepEqual(starts.get(0), r.theta0);
    const source = reset === 'finetune' || reset === 'lr-rewind' ? r.trained : r.rewound;
    assertMaskedCopy(starts.get(1)!, source, r.masks, reset);
    assert.notDeepEqual(r.trained, r.rewound);
  });
}
