/**
 * ticketlab's benchmark: median milliseconds per compiled training step for the cases the project
 * tracks, optionally beside the PyTorch peer (../shared/bench/torch_step.py) run in the same command.
 *
 *   npm run bench                        table
 *   npm run bench -- --json              one JSON object per case per line
 *   npm run bench -- --torch             also run the PyTorch peer, in alternating rounds, and print ratios
 *   npm run bench -- --torch --rounds 5  more rounds (the ratio is the median of the per-round ratios)
 *   npm run bench -- --case conv2-adam-b60 --steps 30 --threads 2
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { TrainingEngine } from '../src/engine/engine.js';
import type { OptimizerSpec } from '../src/engine/optimizers.js';
import { MODELS } from '../src/models/zoo.js';
import { pruneMasks } from '../src/prune/index.js';
import { Rng } from '../src/util/rng.js';

export interface BenchRecord {
  case: string;
  ms_per_step: number;
  steps: number;
  threads: number;
  engine: string;
  [key: string]: unknown;
}

interface StepCase {
  name: string;
  model: string;
  inputShape: number[];
  lr: number;
  steps: number;
  /** Prune like ../shared/bench/torch_step.py: 15 rounds' worth at once (fc 20%, output 10% per round). */
  sparse?: boolean;
  /** Default 60 (the paper's LeNet and Conv batch). */
  batchSize?: number;
  /** Default: the model's own optimizer. */
  optimizer?: OptimizerSpec;
  /** Pruning rounds for `sparse` (default 15: 3.6% remaining; 12: 7.0%; 7: 21.1%). */
  rounds?: number;
  /** Train with the sparse MLP kernels (engine option sparseKernelsBelow); else the onnxruntime step. */
  kernels?: boolean;
}

/** The paper's ResNet/VGG optimizer, as torch_step.py's -sgd- cases: SGD, momentum 0.9, weight decay 1e-4. */
const SGD: OptimizerSpec = { kind: 'sgd', momentum: 0.9, weightDecay: 1e-4 };

const STEP_CASES: StepCase[] = [
  { name: 'lenet300-adam-b60', model: 'lenet300', inputShape: [784], lr: 1.2e-3, steps: 300 },
  {
    name: 'lenet300-adam-b60-sparse',
    model: 'lenet300',
    inputShape: [784],
    lr: 1.2e-3,
    steps: 300,
    sparse: true,
  },
  ...[
    { suffix: '', rounds: 15 },
    { suffix: '-7', rounds: 12 },
    { suffix: '-21', rounds: 7 },
  ].map(({ suffix, rounds }) => ({
    name: `lenet300-adam-b60-sparse-kernels${suffix}`,
    model: 'lenet300',
    inputShape: [784],
    lr: 1.2e-3,
    steps: 300,
    sparse: true,
    rounds,
    kernels: true,
  })),
  { name: 'conv2-adam-b60', model: 'conv2', inputShape: [3, 32, 32], lr: 2e-4, steps: 20 },
  {
    name: 'resnet20-sgd-b128',
    model: 'resnet20',
    inputShape: [3, 32, 32],
    lr: 0.1,
    steps: 10,
    batchSize: 128,
    optimizer: SGD,
  },
  {
    name: 'vgg19-sgd-b64',
    model: 'vgg19',
    inputShape: [3, 32, 32],
    lr: 0.1,
    steps: 5,
    batchSize: 64,
    optimizer: SGD,
  },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function timeStepCase(c: StepCase, steps: number, threads: number): Promise<number> {
  const entry = MODELS[c.model];
  const engine = await TrainingEngine.create(entry.create({ inputShape: c.inputShape }), {
    batchSize: c.batchSize ?? 60,
    optimizer: c.optimizer ?? entry.defaults.optimizer,
    threads,
    sparseKernelsBelow: c.kernels ? 0.5 : 0,
  });
  engine.initialize(0);
  if (c.sparse) {
    const n = c.rounds ?? 15;
    const layers = engine.params
      .filter((p) => engine.maskedParams.includes(p.name))
      .map((p) => ({ name: p.name, kind: p.layerKind!, shape: p.shape }));
    const masks = pruneMasks(layers, engine.getWeights(), engine.getMasks(), {
      strategy: 'magnitude',
      scope: 'layerwise',
      rates: { fc: 1 - 0.8 ** n, output: 1 - 0.9 ** n },
    });
    await engine.setMasks(masks);
  }
  const rng = new Rng(1);
  for (let i = 0; i < engine.inputBuffer.length; i++) engine.inputBuffer[i] = rng.float();
  for (let i = 0; i < engine.labelBuffer.length; i++) engine.labelBuffer[i] = rng.int(10);
  for (let i = 0; i < Math.max(5, Math.floor(steps / 10)); i++) await engine.step(c.lr);
  const samples: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    await engine.step(c.lr);
    samples.push(performance.now() - t);
  }
  await engine.release();
  return median(samples);
}

function torchPeer(caseFilter: string, steps: number): BenchRecord[] {
  // beside the checkout by default; TICKETLAB_TORCH_PEER for checkouts elsewhere (git worktrees)
  const script =
    process.env.TICKETLAB_TORCH_PEER ?? resolve(import.meta.dirname, '../../shared/bench/torch_step.py');
  if (!existsSync(script)) throw new Error(`PyTorch peer not found at ${script}`);
  const args = [
    script,
    '--json',
    ...(caseFilter ? ['--case', caseFilter] : []),
    ...(steps ? ['--steps', String(steps)] : []),
  ];
  const r = spawnSync('/usr/bin/python3', args, { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(
      `PyTorch peer failed (${r.stderr.trim().split('\n').pop()}); install it with: apt-get install -y python3-torch libopenblas0-pthread`,
    );
  }
  return r.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as BenchRecord);
}

async function main() {
  const program = new Command('bench')
    .option('--json', 'one JSON object per case per line')
    .option('--torch', 'also run ../shared/bench/torch_step.py (PyTorch) and print ratios')
    .option(
      '--rounds <n>',
      'with --torch: alternate ticketlab and PyTorch this many times per case; each side reports the ' +
        'median of its rounds and the ratio is the median of the per-round ratios (default 3)',
      (v) => Number(v),
    )
    .option(
      '--case <name>',
      'run one case only (lenet300-level: a whole level, dense vs 3.6% sparse; crossover: per layer shape)',
    )
    .option('--iterations <n>', 'iterations of the lenet300-level case (default 10000)', (v) => Number(v))
    .option('--steps <n>', 'timed steps per case (default: per case)', (v) => Number(v))
    .option('--threads <list>', 'intra-op thread counts to try; the fastest is reported', '1,2')
    .parse(process.argv);
  const opts = program.opts<{
    json?: boolean;
    torch?: boolean;
    rounds?: number;
    case?: string;
    steps?: number;
    iterations?: number;
    threads: string;
  }>();
  const threadCounts = opts.threads.split(',').map(Number);
  // The machine is shared: its speed drifts over seconds to minutes. Alternating short rounds of the
  // two engines exposes both to the same conditions, so their per-round ratio is steadier than the
  // ratio of two separate measurements.
  const rounds = opts.torch ? (opts.rounds ?? 3) : 1;
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a positive integer');
  const fmt = (ms: number) => ms.toFixed(3).padStart(10);
  for (const c of STEP_CASES) {
    if (opts.case && opts.case !== c.name) continue;
    const steps = opts.steps ?? c.steps;
    const ours: { ms: number; threads: number }[] = [];
    const peers: BenchRecord[] = [];
    // sparse-kernel cases: our dense step in the same rounds, so the ratio compares like with like
    const denseMs: number[] = [];
    const fastest = async (sc: StepCase) => {
      let best = { ms: Infinity, threads: 0 };
      for (const t of threadCounts) {
        const ms = await timeStepCase(sc, steps, t);
        if (ms < best.ms) best = { ms, threads: t };
      }
      return best;
    };
    const caseRounds = c.kernels ? (opts.rounds ?? 3) : rounds;
    for (let r = 0; r < caseRounds; r++) {
      ours.push(await fastest(c));
      if (c.kernels) denseMs.push((await fastest(STEP_CASES[0])).ms);
      else if (opts.torch) {
        const [peer] = torchPeer(c.name, opts.steps ?? 0);
        if (!peer) throw new Error(`the PyTorch peer has no case ${c.name}`);
        peers.push(peer);
      }
    }
    const oursMs = median(ours.map((o) => o.ms));
    const threadsUsed = ours.find((o) => o.ms === oursMs)?.threads ?? ours[0].threads;
    const denseRatios = denseMs.map((d, r) => ours[r].ms / d);
    const record: BenchRecord = {
      case: c.name,
      ms_per_step: Number(oursMs.toFixed(4)),
      steps,
      threads: threadsUsed,
      engine: 'ticketlab',
      ...(caseRounds > 1 ? { rounds: ours.map((o) => Number(o.ms.toFixed(4))) } : {}),
      ...(c.kernels
        ? {
            dense_ms_per_step: Number(median(denseMs).toFixed(4)),
            ratio_vs_dense: Number(median(denseRatios).toFixed(3)),
            round_ratios_vs_dense: denseRatios.map((x) => Number(x.toFixed(3))),
          }
        : {}),
    };
    const vsDense = c.kernels
      ? `  vs dense ${fmt(median(denseMs))} ms: ${median(denseRatios).toFixed(2)}x (rounds: ${denseRatios.map((x) => x.toFixed(2)).join(', ')})`
      : '';
    if (opts.json) console.log(JSON.stringify(record));
    else
      console.log(
        `${c.name.padEnd(36)} ${fmt(oursMs)} ms/step  (threads=${threadsUsed}, ticketlab)${vsDense}`,
      );
    if (!opts.torch || c.kernels) continue;
    const ratios = peers.map((p, r) => ours[r].ms / p.ms_per_step);
    const ratio = median(ratios);
    const peerMs = median(peers.map((p) => p.ms_per_step));
    const peerRecord: BenchRecord = {
      ...peers[0],
      ms_per_step: Number(peerMs.toFixed(4)),
      peer: true,
      ratio_vs_torch: Number(ratio.toFixed(3)),
      rounds: peers.map((p) => p.ms_per_step),
      round_ratios: ratios.map((x) => Number(x.toFixed(3))),
    };
    if (opts.json) console.log(JSON.stringify(peerRecord));
    else {
      const spread = rounds > 1 ? ` (rounds: ${ratios.map((x) => x.toFixed(2)).join(', ')})` : '';
      console.log(
        `${c.name.padEnd(28)} ${fmt(peerMs)} ms/step  (threads=${peers[0].threads}, ${peers[0].engine})  ` +
          `ticketlab/torch = ${ratio.toFixed(2)}x${spread}`,
      );
    }
  }
  if (opts.case === 'crossover') {
    const { crossoverBench } = await import('./crossover-bench.js');
    for (const r of await crossoverBench(opts.steps ?? 200, opts.rounds ?? 3)) {
      if (opts.json) console.log(JSON.stringify(r));
      else
        console.log(
          `${r.case.padEnd(20)} dense ${r.dense_ms.toFixed(3)} ms; sparse kernels ` +
            Object.entries(r.sparse_ms)
              .map(
                ([d, ms]) =>
                  `${(100 * Number(d)).toFixed(0)}%: ${ms.toFixed(3)} ms (${r.ratios[d].toFixed(2)}x)`,
              )
              .join(', ') +
            `; crossover ≈ ${r.crossover === null ? 'none (never faster)' : `${(100 * r.crossover).toFixed(0)}%`}`,
        );
    }
    return;
  }
  if (opts.case === 'lenet300-level') {
    const { levelBench } = await import('./level-bench.js');
    const rows = await levelBench(opts.rounds ?? 2, opts.iterations ?? 10_000);
    for (const [dense, sparse] of rows) {
      const ratio = sparse.seconds / dense.seconds;
      if (opts.json)
        console.log(JSON.stringify({ ...sparse, dense_seconds: dense.seconds, ratio_vs_dense: ratio }));
      else
        console.log(
          `lenet300 level (${opts.iterations ?? 10_000} it, eval every 100): dense ${dense.seconds} s ` +
            `(test acc ${dense.test_accuracy.toFixed(4)}), ${(100 * sparse.fraction_remaining).toFixed(1)}% ` +
            `remaining, ${sparse.kernels} step (auto) ${sparse.seconds} s (test acc ${sparse.test_accuracy.toFixed(4)}): ${ratio.toFixed(2)}x`,
        );
    }
    return;
  }
  const dataBench = resolve(import.meta.dirname, 'data-bench.ts');
  if ((!opts.case || opts.case.startsWith('batch-fill')) && existsSync(dataBench)) {
    const { batchFillBench } = (await import(dataBench)) as {
      batchFillBench: () => Promise<BenchRecord | null>;
    };
    const r = await batchFillBench();
    if (r) {
      const rec = { ...r, engine: 'ticketlab' };
      if (opts.json) console.log(JSON.stringify(rec));
      else
        console.log(
          `${rec.case.padEnd(28)} ${fmt(rec.ms_per_step)} ms/step  (threads=${rec.threads}, ${rec.engine})`,
        );
    }
  }
}

await main();
