/**
 * `ticketlab slim` end to end on a tiny run: a VGG-11 trained a few epochs on an imported 16×16 image
 * folder with network slimming's penalty and Early-Bird recording; the report draws the early-bird
 * figures; the slimmed ONNX model computes what the channel-masked wide network computes, has the
 * parameters and FLOPs printed, and a layer the threshold would empty keeps one channel, named.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { cliInProcess } from './helpers/cli-in-process.js';
import { importPetsDataset } from './helpers/image-folder.js';
import { exportWeights } from '../src/engine/export.js';
import { modelNamed } from '../src/models/index.js';
import { lenet300 } from '../src/models/lenet.js';
import {
  analyseChannels,
  channelScores,
  globalChannelMasks,
  maskChannels,
  slimNetwork,
} from '../src/prune/structured/index.js';
import { loadTensors } from '../src/store/index.js';
import { UserError } from '../src/util/errors.js';
import { Rng } from '../src/util/rng.js';

const tmp = mkdtempSync(join(tmpdir(), 'ticketlab-slim-'));
const env = { ...process.env, CI: '1', XDG_CACHE_HOME: join(tmp, 'cache') };
const cli = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/entry.ts', ...args], { encoding: 'utf8', env });
let runDir = '';
// the commands after the fixture run by main() in this process: the same code without starting Node
// and tsx again for each (~4 s of CPU)
const cliHere = (args: string[]) => cliInProcess(args, { XDG_CACHE_HOME: env.XDG_CACHE_HOME });

before(async () => {
  await importPetsDataset(cli, tmp, 'slimpets');
  // 15 training examples in batches of 15: one iteration per epoch, so 7 iterations are epochs 0..7
  const run = cli([
    'lottery',
    '--model',
    'vgg11',
    '--dataset',
    'slimpets',
    '--levels',
    '0',
    '--iterations',
    '7',
    '--batch-size',
    '15',
    '--validation-size',
    '4',
    '--eval-every',
    '7',
    '--bn-l1',
    '1e-4',
    '--early-bird',
    '--reset',
    'rewind',
    '--rewind-iteration',
    '3',
    '--threads',
    '1',
    '--runs-dir',
    join(tmp, 'runs'),
  ]);
  assert.equal(run.status, 0, run.stderr);
  runDir = join(tmp, 'runs', readdirSync(join(tmp, 'runs'))[0]);
});

after(() => rmSync(tmp, { recursive: true, force: true }));

test('the unit records the early-bird masks and ticketlab report draws them', async () => {
  const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'));
  const record = summary.results[0].earlyBird;
  assert.deepEqual(record.epochs, [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.equal(record.channels, 64 + 128 + 256 * 2 + 512 * 4);
  assert.deepEqual(
    record.ratios.map((r: { ratio: number }) => r.ratio),
    [0.3, 0.5, 0.7],
  );
  const report = await cliHere(['report', runDir, '--out', join(tmp, 'report')]);
  assert.equal(report.status, 0, report.stderr);
  assert.match(report.stdout, /early-bird tickets: .*early-bird\.md/);
  const md = readFileSync(join(tmp, 'report', 'early-bird.md'), 'utf8');
  assert.match(
    md,
    /\| vgg11-slimpets-lottery \| trial 0 level 0 ticket \| 2752 \| 8 \| 0\.5 \| (epoch \d|not found) \|/,
  );
  for (const f of ['early-bird-0-distances.png', 'early-bird-0-curve.svg'])
    assert.ok(existsSync(join(tmp, 'report', f)), f);
});

test('ticketlab slim writes the thinner network, equal to the channel-masked wide one', async () => {
  const out = join(tmp, 'slim.onnx');
  const r = await cliHere(['slim', runDir, '--ratio', '0.5', '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  const params = /parameters: ([\d,]+) -> ([\d,]+)/.exec(r.stdout)!;
  const flops = /FLOPs \(multiply-adds per example\): ([\d,]+) -> ([\d,]+)/.exec(r.stdout)!;
  const num = (s: string) => Number(s.replaceAll(',', ''));
  assert.ok(num(params[2]) < num(params[1]) / 2, r.stdout);
  assert.ok(num(flops[2]) < num(flops[1]) / 2, r.stdout);
  assert.match(r.stdout, /channels: 1,375 of 2,752 kept/); // ⌊2752·0.5⌋ = 1376 at or below the threshold
  assert.match(r.stdout, /max \|Δ logits\| \d/);

  // independently of the command: the wide network with the removed channels' γ and β zeroed
  const model = modelNamed('vgg11').create({ inputShape: [3, 16, 16], classes: 2 });
  const tensors = loadTensors(join(runDir, 'trial-0', 'level-00', 'ticket', 'final.safetensors'));
  const weights = new Map<string, Float32Array>();
  const buffers = new Map<string, Float32Array>();
  for (const [k, v] of tensors)
    (k.startsWith('buffer:') ? buffers : weights).set(k.slice(k.indexOf(':') + 1), v as Float32Array);
  const structure = analyseChannels(model);
  const masks = globalChannelMasks(channelScores(structure, weights, 'bn-scale'), 0.5).masks;
  const wide = maskChannels(structure, masks, { weights, buffers });
  const rng = new Rng(3);
  const x = Float32Array.from({ length: 4 * 3 * 16 * 16 }, () => rng.normal());
  const run = async (bytes: Uint8Array) => {
    const s = await ort.InferenceSession.create(bytes);
    const o = await s.run({ input: new ort.Tensor('float32', x, [4, 3, 16, 16]) });
    await s.release();
    return o.logits.data as Float32Array;
  };
  const expected = await run(exportWeights(model, wide.weights, wide.buffers));
  const got = await run(readFileSync(out));
  const scale = Math.max(...expected.map(Math.abs));
  expected.forEach((v, i) =>
    assert.ok(Math.abs(got[i] - v) <= 1e-5 * scale + 1e-6, `logit ${i}: ${got[i]} vs ${v}`),
  );
});

test('a layer the threshold would empty keeps its best channel, with a note naming it', async () => {
  const r = await cliHere(['slim', runDir, '--ratio', '0.999', '--out', join(tmp, 'slim999.onnx')]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stdout,
    /note: layers\.\d\.bn: the threshold .* would remove all \d+ of its channels; it keeps its highest-scoring one/,
  );
  const bad = await cliHere(['slim', runDir, '--ratio', '1']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--ratio 1 would remove every channel\n {2}fix: /);
});

test('--weights rewind slims the trial’s θ_k: a mask from an earlier point of training', async () => {
  const r = await cliHere([
    'slim',
    runDir,
    '--ratio',
    '0.5',
    '--weights',
    'rewind',
    '--out',
    join(tmp, 'rewind.onnx'),
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /from: trial 0's θ_k, the weights after 3 iterations/);
  assert.match(r.stdout, /channels: 1,375 of 2,752 kept/);
  assert.ok(existsSync(join(tmp, 'rewind.onnx')));
});

test('slimNetwork refuses networks it cannot slim, with the fix', () => {
  const mlp = lenet300.create({});
  assert.throws(
    () => slimNetwork(mlp, { weights: new Map(), buffers: new Map() }, { ratio: 0.5, from: 'bn' }),
    (e: unknown) => e instanceof UserError && /lenet300 has no channels that can be removed/.test(e.message),
  );
  const conv2 = modelNamed('conv2').create({});
  assert.throws(
    () => slimNetwork(conv2, { weights: new Map(), buffers: new Map() }, { ratio: 0.5, from: 'bn' }),
    (e: unknown) =>
      e instanceof UserError &&
      /conv1, conv2 have no BatchNorm/.test(e.message) &&
      /--from filter-norm/.test(e.fix ?? ''),
  );
});
