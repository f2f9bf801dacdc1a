/**
 * A small synthetic finished run for tests (here and in other layers): a LeNet-300-100-shaped
 * summary with 2 trials, 3 levels (100%, 51.3%, 21.1%) and 2 conditions (ticket at every level,
 * random-reinit at the pruned ones, as the lottery procedure runs them), with mask files whose
 * first layer keeps central pixels preferentially (as real MNIST tickets do).
 *
 * The numbers are chosen to be checked by hand: early-stopping iterations (trial 0, trial 1)
 * ticket 1000/1200, 700/800, 500/600 and random-reinit 1100/1300, 1500/1700 at levels 1 and 2;
 * test accuracies at early stop ticket 98.0/98.2, 98.4/98.6, 98.3/98.5 and random-reinit
 * 97.9/98.1, 97.5/97.7 (percent).
 */
import { join } from 'node:path';
import { saveTensors } from '../../src/store/index.js';
import { Rng } from '../../src/util/rng.js';
import { MASK_FILE } from '../../src/report/masks.js';
import type { EvalPoint, LayerSparsity, LevelResult, RunSummary } from '../../src/report/schema.js';

export interface SyntheticOptions {
  /** Hidden layer widths (default [300, 100]). */
  hidden?: [number, number];
  /** Fraction remaining per level (default [1, 0.513, 0.211]). */
  fractions?: number[];
  scale?: RunSummary['scale'];
  standIn?: string;
  model?: string;
  dataset?: string;
  name?: string;
  /** Iterations per level (default 2000), evaluated every `evalEvery` (default 100). */
  iterations?: number;
  evalEvery?: number;
}

const ES = {
  ticket: [
    [1000, 1200],
    [700, 800],
    [500, 600],
  ],
  'random-reinit': [
    [0, 0],
    [1100, 1300],
    [1500, 1700],
  ],
} as const;
const ACC = {
  ticket: [
    [0.98, 0.982],
    [0.984, 0.986],
    [0.983, 0.985],
  ],
  'random-reinit': [
    [0, 0],
    [0.979, 0.981],
    [0.975, 0.977],
  ],
} as const;

type Layer = { name: string; kind: LayerSparsity['kind']; shape: [number, number] };

function layersOf(hidden: [number, number]): Layer[] {
  return [
    { name: 'fc1.weight', kind: 'fc', shape: [hidden[0], 784] },
    { name: 'fc2.weight', kind: 'fc', shape: [hidden[1], hidden[0]] },
    { name: 'fc3.weight', kind: 'output', shape: [10, hidden[1]] },
  ];
}

/** Keeps exactly round(f × n) entries: those with the highest score. */
function keepTop(scores: Float64Array, f: number): Uint8Array {
  const n = scores.length;
  const k = Math.round(f * n);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  const mask = new Uint8Array(n);
  for (let i = 0; i < k; i++) mask[order[i]] = 1;
  return mask;
}

/** Masks of one trial and level: fc1 prefers central pixels; the others are random. */
export function syntheticMasks(
  hidden: [number, number],
  fraction: number,
  trial: number,
): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const rng = new Rng(`synthetic-masks-${trial}`);
  for (const l of layersOf(hidden)) {
    const [o, i] = l.shape;
    const scores = new Float64Array(o * i);
    for (let u = 0; u < o; u++) {
      for (let j = 0; j < i; j++) {
        let s = rng.float();
        if (l.name === 'fc1.weight') {
          const y = Math.floor(j / 28) - 13.5;
          const x = (j % 28) - 13.5;
          s = 2 * Math.exp(-(x * x + y * y) / 60) + rng.float();
        }
        scores[u * i + j] = s;
      }
    }
    // the same ranking at every level, so masks only shrink
    out.set(l.name, fraction >= 1 ? new Uint8Array(o * i).fill(1) : keepTop(scores, fraction));
  }
  return out;
}

function curve(esIteration: number, accAtEs: number, iterations: number, evalEvery: number): EvalPoint[] {
  const points: EvalPoint[] = [];
  for (let t = 0; t <= iterations; t += evalEvery) {
    const rise = 1 - 0.9 * Math.exp(-t / (esIteration / 4));
    const drift = t > esIteration ? (0.002 * (t - esIteration)) / iterations : 0;
    const acc = Math.min(1, Math.max(0, accAtEs * rise - drift));
    const vloss =
      0.06 +
      2.2 * Math.exp(-t / (esIteration / 4)) +
      (t > esIteration ? (0.02 * (t - esIteration)) / iterations : 0);
    points.push({
      iteration: t,
      validationLoss: vloss,
      validationAccuracy: acc,
      testLoss: vloss * 1.05,
      testAccuracy: acc,
      trainLoss: vloss * 0.8,
      trainAccuracy: Math.min(1, acc + 0.01 * rise),
    });
  }
  return points;
}

/**
 * Writes the synthetic run into `dir` (mask files under trial-<t>/level-<LL>/<condition>/) and
 * returns its summary (not written; callers write summary.json when they want it).
 */
export function writeSyntheticRun(dir: string, opts: SyntheticOptions = {}): RunSummary {
  const hidden = opts.hidden ?? [300, 100];
  const fractions = opts.fractions ?? [1, 0.513, 0.211];
  const iterations = opts.iterations ?? 2000;
  const evalEvery = opts.evalEvery ?? 100;
  const layers = layersOf(hidden);
  const results: LevelResult[] = [];
  for (let trial = 0; trial < 2; trial++) {
    for (let level = 0; level < fractions.length; level++) {
      const masks = syntheticMasks(hidden, fractions[level], trial);
      const sparsity: LayerSparsity[] = layers.map((l) => ({
        layer: l.name.replace(/\.weight$/, ''),
        kind: l.kind,
        total: l.shape[0] * l.shape[1],
        kept: masks.get(l.name)!.reduce((a, b) => a + b, 0),
      }));
      const total = sparsity.reduce((a, s) => a + s.total, 0);
      const kept = sparsity.reduce((a, s) => a + s.kept, 0);
      for (const condition of level === 0 ? (['ticket'] as const) : (['ticket', 'random-reinit'] as const)) {
        const li = Math.min(level, 2);
        const es = ES[condition][li][trial];
        const acc = ACC[condition][li][trial];
        const c = curve(es, acc, iterations, evalEvery);
        const atEs = c.find((p) => p.iteration === es) ?? c[c.length - 1];
        saveTensors(
          join(dir, `trial-${trial}`, `level-${String(level).padStart(2, '0')}`, condition, MASK_FILE),
          new Map(layers.map((l) => [l.name, { data: masks.get(l.name)!, shape: l.shape }])),
        );
        results.push({
          trial,
          seed: 7 + trial,
          level,
          condition,
          fractionRemaining: kept / total,
          earlyStopIteration: es,
          validationLossAtEarlyStop: atEs.validationLoss,
          testAccuracyAtEarlyStop: acc,
          trainAccuracyAtEarlyStop: atEs.trainAccuracy,
          finalTestAccuracy: c[c.length - 1].testAccuracy,
          finalTrainAccuracy: c[c.length - 1].trainAccuracy,
          iterations,
          curve: c,
          sparsity,
          wallSeconds: 12.5 + level + trial,
        });
      }
    }
  }
  const model = opts.model ?? 'lenet300';
  return {
    name: opts.name ?? 'synthetic',
    dir,
    hash: '0123456789ab',
    createdAt: '2025-01-02T03:04:05.000Z',
    config: {
      model,
      dataset: opts.dataset ?? 'mnist',
      inputShape: [784],
      optimizer: { kind: 'adam', beta1: 0.9, beta2: 0.999 },
      learningRate: 0.0012,
      batchSize: 60,
      iterations,
      evalEvery,
      levels: fractions.length - 1,
      pruning: { schedule: 'iterative', rates: { fc: 0.2, output: 0.1 } },
      controls: ['random-reinit'],
      trials: 2,
    },
    model,
    dataset: opts.dataset ?? 'mnist',
    ...(opts.scale ? { scale: opts.scale } : {}),
    ...(opts.standIn ? { standIn: opts.standIn } : {}),
    machine: {
      cpus: 2,
      cpuModel: 'Synthetic CPU @ 2.0GHz',
      memoryGB: 24,
      node: 'v20.0.0',
      onnxruntime: '1.30.0',
      platform: 'linux-x64',
    },
    wallSeconds: 3725,
    results,
  };
}
