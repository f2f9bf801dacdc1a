/**
 * `ticketlab slim --retrain` end to end on a tiny run (a VGG-11 trained 7 iterations on an imported
 * 16×16 image folder with network slimming's penalty): the slimmed network retrained as a run of its
 * own under <runs>/slim — from the slimmed weights (its first evaluation is the slimmed network's
 * accuracy) or from scratch; read back when done; other settings get another directory; killed with
 * SIGKILL mid-training and run again, it resumes to bit-identical final weights; a retraining flag
 * without --retrain, or --init with the slimmed start, gets one clear message. The run has a pruned
 * level 1: its ticket slimmed and retrained keeps exactly its zeros (the unstructured mask sliced with
 * the channels and applied while retraining), and level 0's retraining is pinned to what it was before
 * that mask was read (identity and results, bit for bit at 1 thread).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { cliInProcess } from './helpers/cli-in-process.js';
import { importPetsDataset } from './helpers/image-folder.js';
import { readRunDir, runModel } from '../src/cli/commands/run-dir.js';
import { SLIM_FINAL_FILE, SLIM_RETRAIN_UNIT } from '../src/experiments/slim-retrain.js';
import { loadWeights } from '../src/lottery/weights-io.js';
import { slimNetwork } from '../src/prune/structured/index.js';
import { loadTensors } from '../src/store/index.js';

/** sha256 over a tensor file's tensors (name and bytes, by name). */
function tensorDigest(path: string): string {
  const tensors = loadTensors(path);
  const hash = createHash('sha256');
  for (const name of [...tensors.keys()].sort()) {
    const v = tensors.get(name)!;
    hash.update(name).update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  }
  return hash.digest('hex');
}

const tmp = mkdtempSync(join(tmpdir(), 'ticketlab-slim-retrain-'));
// the imported dataset lives in this cache, for the CLI children and this process alike
process.env.XDG_CACHE_HOME = join(tmp, 'cache');
const env = { ...process.env, CI: '1' };
const ENTRY = ['--import', 'tsx', 'src/cli/entry.ts'];
const cli = (args: string[]) => spawnSync(process.execPath, [...ENTRY, ...args], { encoding: 'utf8', env });
// the commands after the fixture run by main() in this process: the same code without starting Node
// and tsx again for each (~4 s of CPU); the killed retraining stays a process of its own
const cliHere = (args: string[]) => cliInProcess(args, { XDG_CACHE_HOME: process.env.XDG_CACHE_HOME });
let runDir = '';
const slimRuns = (runs: string) =>
  readdirSync(join(runs, 'slim'))
    .filter((d) => !d.startsWith('.'))
    .map((d) => join(runs, 'slim', d));
// 15 training examples in batches of 15: one iteration per epoch
const RETRAIN = ['--retrain', '--batch-size', '15', '--threads', '1', '--json'];

before(async () => {
  await importPetsDataset(cli, tmp, 'slimpets');
  const run = cli([
    ...['lottery', '--model', 'vgg11', '--dataset', 'slimpets', '--levels', '1', '--iterations', '7'],
    ...[
      '--batch-size',
      '15',
      '--validation-size',
      '4',
      '--eval-every',
      '7',
      '--bn-l1',
      '1e-4',
      '--threads',
      '1',
    ],
    ...['--runs-dir', join(tmp, 'runs')],
  ]);
  assert.equal(run.status, 0, run.stderr);
  runDir = join(tmp, 'runs', readdirSync(join(tmp, 'runs'))[0]);
});

after(() => rmSync(tmp, { recursive: true, force: true }));

test('slim --retrain trains the slimmed network as its own run, exports it, reads it back', async () => {
  const runs = join(tmp, 'retrain-runs');
  const args = ['slim', runDir, '--ratio', '0.5', ...RETRAIN, '--iterations', '6', '--eval-every', '3'];
  const r = await cliHere([...args, '--runs-dir', runs]);
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  assert.equal(result.retrainFrom, 'slimmed');
  assert.deepEqual(
    result.curve.map((c: { iteration: number }) => c.iteration),
    [0, 3, 6],
  );
  // from the slimmed weights: the first evaluation is the slimmed network before retraining
  assert.equal(result.curve[0].testAccuracy, result.beforeRetraining.testAccuracy);
  assert.deepEqual(result.channels, { kept: 1375, total: 2752 });
  assert.ok(result.after.parameters < result.before.parameters / 2, JSON.stringify(result.after));
  assert.ok(result.after.flops < result.before.flops / 2);
  assert.equal(
    result.bestTestAccuracy,
    Math.max(...result.curve.map((c: { testAccuracy: number }) => c.testAccuracy)),
  );
  assert.ok(result.wallSeconds > 0);
  const [dir] = slimRuns(runs);
  assert.equal(result.dir, dir);
  assert.match(dir, /vgg11-slimpets-slim0\.5-slimmed-[0-9a-f]{12}$/);
  assert.ok(existsSync(join(dir, SLIM_RETRAIN_UNIT, SLIM_FINAL_FILE)));
  // level 0 (dense: no unstructured mask) retrains as before masks were read: the identity, curve and
  // final weights main produced (2026-11-30, 1 thread), pinned
  assert.match(dir, /-98bd6ec9dc58$/);
  assert.equal(result.unitMask, undefined);
  assert.deepEqual(
    result.curve.map((c: { testLoss: number; validationLoss: number }) => [c.validationLoss, c.testLoss]),
    [
      [4.380771636962891, 3.4196372985839845],
      [0.9222039580345154, 0.7231010913848877],
      [0.12857885658740997, 0.09878915548324585],
    ],
  );
  assert.equal(
    tensorDigest(join(dir, SLIM_RETRAIN_UNIT, SLIM_FINAL_FILE)),
    '595f68121e84823392831d162d6e5dc731874b52c6a700e8ed37245d54326af1',
  );
  // the exported thin network runs and has the thin network's parameters
  assert.equal(result.onnx, join(dir, 'retrained.onnx'));
  const session = await ort.InferenceSession.create(readFileSync(result.onnx));
  const out = await session.run({
    input: new ort.Tensor('float32', new Float32Array(2 * 3 * 16 * 16), [2, 3, 16, 16]),
  });
  assert.deepEqual(out.logits.dims, [2, 2]);
  await session.release();

  // done: read back, not trained again
  const again = await cliHere([...args, '--runs-dir', runs]);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /done before: read back/);
  assert.deepEqual(JSON.parse(again.stdout), result);

  // other settings: other directories (a learning rate; the start)
  const lr = await cliHere([...args, '--lr', '0.01', '--runs-dir', runs]);
  assert.equal(lr.status, 0, lr.stderr);
  assert.notEqual(JSON.parse(lr.stdout).dir, dir);
  const fresh = await cliHere([...args, '--retrain-from', 'scratch', '--runs-dir', runs]);
  assert.equal(fresh.status, 0, fresh.stderr);
  const scratch = JSON.parse(fresh.stdout);
  assert.equal(scratch.retrainFrom, 'scratch');
  assert.notEqual(scratch.dir, dir);
  // the slimmed network's accuracy before retraining is recorded whichever start is trained
  assert.equal(scratch.beforeRetraining.testAccuracy, result.beforeRetraining.testAccuracy);

  // ticketlab report on the directory of such runs: one table row each, and the curves' figure
  const reportDir = join(tmp, 'slim-report');
  const report = await cliHere(['report', join(runs, 'slim'), '--out', reportDir]);
  assert.equal(report.status, 0, report.stderr);
  assert.match(report.stdout, /report of 3 retrained slimmed networks: .*slim-retrain\.md/);
  const md = readFileSync(join(reportDir, 'slim-retrain.md'), 'utf8');
  assert.equal(md.match(/^\| vgg11-slimpets-slim0\.5-(slimmed|scratch)-/gm)?.length, 3, md);
  assert.match(md, /\| 1,375 \/ 2,752 \|/);
  assert.match(
    md,
    new RegExp(`\\| ${(100 * result.beforeRetraining.testAccuracy).toFixed(2)}% \\| slimmed \\| 6 \\|`),
  );
  assert.ok(existsSync(join(reportDir, 'slim-retrain-curves.svg')));
  assert.equal(slimRuns(runs).length, 3);
});

test('a level-1 ticket slimmed and retrained keeps exactly its zeros: its mask sliced with the channels', async () => {
  const runs = join(tmp, 'level1-runs');
  const args = ['slim', runDir, '--ratio', '0.5', '--level', '1', '--runs-dir', runs];
  const r = cli([...args, ...RETRAIN, '--iterations', '6', '--eval-every', '3']);
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  // another identity than main's for this unit (d66b3f6f8511, whose retraining dropped the mask)
  assert.doesNotMatch(result.dir, /-d66b3f6f8511$/);
  // the source ticket: its pruned weights are the zeros of its final weights
  const key = 'trial-0/level-01/ticket';
  const wide = loadWeights(join(runDir, key, 'final.safetensors'));
  const unitMasks = new Map(
    [...loadTensors(join(runDir, key, 'masks.safetensors'))].map(([k, v]) => [k, v as Uint8Array]),
  );
  for (const [name, m] of unitMasks)
    assert.ok(
      m.every((keep, i) => (keep === 0) === (wide.weights.get(name)![i] === 0)),
      name,
    );
  // the same channels as the command's (same weights, same ratio); the mask sliced with them
  const { config } = readRunDir(runDir);
  const slim = slimNetwork(runModel(config), wide, { ratio: 0.5, from: 'bn', unitMasks });
  const sliced = slim.unitMasks!;
  let pruned = 0;
  let total = 0;
  for (const [name, m] of sliced) {
    // the thin start weights (sliced on their own) are zero exactly where the sliced mask prunes
    const start = slim.weights.weights.get(name)!;
    assert.ok(
      m.every((keep, i) => (keep === 0) === (start[i] === 0)),
      name,
    );
    total += m.length;
    pruned += m.length - m.reduce((a, b) => a + b, 0);
  }
  assert.ok(pruned > 0.1 * total, `${pruned} of ${total} pruned`);
  assert.deepEqual(result.unitMask.kept, total - pruned);
  assert.deepEqual(result.unitMask.total, total);
  // retrained: zero exactly where the sliced mask prunes, position by position, and only there
  const final = loadWeights(join(result.dir, SLIM_RETRAIN_UNIT, SLIM_FINAL_FILE));
  let zeros = 0;
  let moved = 0;
  for (const [name, m] of sliced) {
    const w = final.weights.get(name)!;
    const start = slim.weights.weights.get(name)!;
    assert.equal(w.length, m.length, name);
    m.forEach((keep, i) => {
      if (w[i] === 0) zeros++;
      if (keep && w[i] !== start[i]) moved++;
      if (!keep) assert.equal(w[i], 0, `${name}[${i}] is pruned`);
    });
  }
  assert.equal(zeros, pruned);
  assert.ok(moved > 0, 'the kept weights were trained');
  let nonzero = 0;
  for (const w of final.weights.values()) for (const v of w) if (v !== 0) nonzero++;
  assert.equal(result.unitMask.nonzeroParameters, nonzero);
  // the ONNX model holds the retrained tensors byte for byte, zeros included
  const onnx = readFileSync(result.onnx);
  for (const name of sliced.keys()) {
    const w = final.weights.get(name)!;
    assert.ok(onnx.includes(Buffer.from(w.buffer, w.byteOffset, w.byteLength)), name);
  }
  // read back: the summary lines say it
  const again = await cliHere([
    ...args,
    '--retrain',
    '--batch-size',
    '15',
    '--threads',
    '1',
    '--iterations',
    '6',
    '--eval-every',
    '3',
  ]);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /done before: read back/);
  const n = (x: number) => x.toLocaleString('en-US');
  assert.match(
    again.stdout,
    new RegExp(
      `unstructured mask, sliced and kept while retraining: ${n(total - pruned)} of ${n(total)} masked weights .*; ` +
        `non-zero parameters ${n(nonzero)} of ${n(result.after.parameters)}`,
    ),
  );
  // without --retrain, the thin ONNX model keeps the zeros too, and says how many are left
  const plain = await cliHere([
    'slim',
    runDir,
    '--ratio',
    '0.5',
    '--level',
    '1',
    '--out',
    join(tmp, 'l1.onnx'),
  ]);
  assert.equal(plain.status, 0, plain.stderr);
  assert.match(
    plain.stdout,
    new RegExp(`non-zero parameters: ${n(slim.after.nonzeroParameters)} of ${n(slim.after.parameters)}`),
  );
});

test('retraining flags without --retrain, and --init with the slimmed start, are refused with one message', async () => {
  const lr = await cliHere(['slim', runDir, '--ratio', '0.5', '--lr', '0.1']);
  assert.notEqual(lr.status, 0);
  assert.match(lr.stderr, /--lr applies to retraining the slimmed network, and --retrain was not given/);
  assert.match(lr.stderr, /add --retrain/);
  assert.doesNotMatch(lr.stderr, /\n\s+at /); // no stack trace
  const init = await cliHere([
    'slim',
    runDir,
    '--ratio',
    '0.5',
    '--retrain',
    '--init',
    'kaiming_normal',
    '--runs-dir',
    join(tmp, 'x'),
  ]);
  assert.notEqual(init.status, 0);
  assert.match(init.stderr, /--init kaiming_normal draws a fresh initialization/);
  assert.match(init.stderr, /--retrain-from scratch/);
  assert.doesNotMatch(init.stderr, /\n\s+at /);
});

/** Starts a retraining and kills it (SIGKILL) once its first checkpoint is on disk. */
async function killAtCheckpoint(args: string[], runs: string): Promise<void> {
  const child = spawn(process.execPath, [...ENTRY, ...args], { env });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  const timer = setInterval(() => {
    const dirs = existsSync(join(runs, 'slim')) ? slimRuns(runs) : [];
    if (dirs.some((d) => existsSync(join(d, SLIM_RETRAIN_UNIT, 'checkpoint.json')))) child.kill('SIGKILL');
  }, 10);
  await new Promise<void>((resolve, reject) =>
    child.on('exit', (code, signal) => {
      clearInterval(timer);
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`exited ${code} before it was killed: ${stderr}`));
    }),
  );
}

test('a retraining killed mid-training resumes to bit-identical final weights', async () => {
  // checkpoints at 10 and 20 of 30: killed at its first, 20 iterations before its end
  const args = ['slim', runDir, '--ratio', '0.3', ...RETRAIN, '--iterations', '30', '--eval-every', '15'];
  const straight = join(tmp, 'straight');
  const killed = join(tmp, 'killed');
  const reference = await cliHere([...args, '--runs-dir', straight, '--checkpoint-every', '0']);
  assert.equal(reference.status, 0, reference.stderr);
  await killAtCheckpoint([...args, '--checkpoint-every', '10', '--runs-dir', killed], killed);
  const [dir] = slimRuns(killed);
  assert.ok(!existsSync(join(dir, SLIM_RETRAIN_UNIT, 'result.json')), 'killed before the end');
  const resumed = await cliHere([...args, '--checkpoint-every', '10', '--runs-dir', killed]);
  assert.equal(resumed.status, 0, resumed.stderr);
  const at = Number(/resuming at iteration (\d+)/.exec(resumed.stderr)?.[1]);
  assert.ok(at >= 10 && at < 30, resumed.stderr);
  const withoutWall = ({ wallSeconds: _w, dir: _d, onnx: _o, ...rest }: Record<string, unknown>) => rest;
  assert.deepEqual(withoutWall(JSON.parse(resumed.stdout)), withoutWall(JSON.parse(reference.stdout)));
  const weights = (runs: string) => readFileSync(join(slimRuns(runs)[0], SLIM_RETRAIN_UNIT, SLIM_FINAL_FILE));
  assert.ok(weights(killed).equals(weights(straight)), 'final weights are bit-identical');
  assert.ok(!existsSync(join(dir, SLIM_RETRAIN_UNIT, 'checkpoint.json')), 'the checkpoint goes once done');
});

test('a level-1 ticket retrained from scratch keeps its sliced mask: pruned entries stay exactly 0', async () => {
  const runs = join(tmp, 'level1-scratch-runs');
  const r = await cliHere([
    ...['slim', runDir, '--ratio', '0.5', '--level', '1', '--retrain-from', 'scratch', '--runs-dir', runs],
    ...RETRAIN,
    ...['--iterations', '4', '--eval-every', '2'],
  ]);
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  assert.equal(result.retrainFrom, 'scratch');
  // the mask the command slices: the unit's, with the channels its final weights choose
  const key = 'trial-0/level-01/ticket';
  const wide = loadWeights(join(runDir, key, 'final.safetensors'));
  const unitMasks = new Map(
    [...loadTensors(join(runDir, key, 'masks.safetensors'))].map(([k, v]) => [k, v as Uint8Array]),
  );
  const slim = slimNetwork(runModel(readRunDir(runDir).config), wide, { ratio: 0.5, from: 'bn', unitMasks });
  const sliced = slim.unitMasks!;
  const kept = [...sliced.values()].reduce((a, m) => a + m.reduce((x, y) => x + y, 0), 0);
  const total = [...sliced.values()].reduce((a, m) => a + m.length, 0);
  assert.ok(kept < 0.9 * total, `${kept} of ${total} kept: the mask prunes`);
  assert.deepEqual({ kept: result.unitMask.kept, total: result.unitMask.total }, { kept, total });
  // a fresh init, trained with the mask held: every pruned entry exactly 0, the kept ones drawn anew
  const final = loadWeights(join(result.dir, SLIM_RETRAIN_UNIT, SLIM_FINAL_FILE));
  let keptNonzero = 0;
  let fresh = 0;
  for (const [name, m] of sliced) {
    const w = final.weights.get(name)!;
    const start = slim.weights.weights.get(name)!;
    assert.equal(w.length, m.length, name);
    m.forEach((keep, i) => {
      if (!keep) assert.equal(w[i], 0, `${name}[${i}] is pruned`);
      else if (w[i] !== 0) keptNonzero++;
      if (keep && w[i] !== start[i]) fresh++;
    });
  }
  assert.ok(keptNonzero > 0.99 * kept, `${keptNonzero} of ${kept} kept entries non-zero`);
  assert.ok(fresh > 0.99 * kept, 'the kept weights are not the slimmed ones (scratch)');
});
