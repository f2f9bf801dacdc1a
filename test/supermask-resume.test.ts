/**
 * Learned-supermask runs keep nothing lost, as lottery units do: `ticketlab supermask` killed with
 * SIGKILL mid-training and run again resumes from its last checkpoint and ends bit-identical to an
 * uninterrupted run (result and learned scores); a damaged checkpoint is named and training starts
 * again from iteration 0 to the same result; a finished run is read back, not recomputed, and one
 * whose scores file was damaged is named and computed again; a run directory is never reused for
 * other settings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  SUPERMASK_DEFAULTS,
  SCORES_FILE,
  SUPERMASK_UNIT,
  learnSupermask,
  openSupermaskRun,
  supermaskIdentity,
} from '../src/experiments/learned-supermask.js';
import { resolveConfig, resultSettings } from '../src/lottery/resolve.js';
import { hashConfig, saveTensors } from '../src/store/index.js';
import { UserError } from '../src/util/errors.js';
import { cliInProcess } from './helpers/cli-in-process.js';

const skipData = process.env.TICKETLAB_DATA ? false : 'TICKETLAB_DATA is not set: needs the real MNIST';
const ENTRY = ['--import', 'tsx', 'src/cli/entry.ts'];
const ARGS = [
  'supermask',
  ...['--optimizer', 'sgd', '--momentum', '0.9', '--lr', '100', '--batch-size', '60'],
  ...['--iterations', '300', '--eval-every', '100', '--checkpoint-every', '25'],
  ...['--samples', '2', '--threads', '1', '--json'],
];

/** The run's one directory under <runs>/supermask. */
function runDir(runs: string): string {
  const [dir] = readdirSync(join(runs, 'supermask')).filter((d) => !d.startsWith('.'));
  return join(runs, 'supermask', dir);
}

/** Runs the command by main() in this process (the same code, without starting Node and tsx again). */
async function supermask(runs: string) {
  const r = await cliInProcess([...ARGS, '--runs-dir', runs]);
  assert.equal(r.status, 0, r.stderr);
  return { stderr: r.stderr, result: JSON.parse(r.stdout) as Record<string, unknown> };
}

const withoutWallTime = ({ wallSeconds: _w, ...rest }: Record<string, unknown>) => rest;
const scoresOf = (runs: string) => readFileSync(join(runDir(runs), SUPERMASK_UNIT, SCORES_FILE));

/** Starts the command and kills it (SIGKILL) once it reported iteration 100 of 300. */
async function killMidTraining(runs: string): Promise<void> {
  const child = spawn(process.execPath, [...ENTRY, ...ARGS, '--runs-dir', runs], {
    env: { ...process.env, CI: '1' },
  });
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (/iteration 100\/300/.test(stderr)) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) =>
      signal === 'SIGKILL' ? resolve() : reject(new Error(`exited ${code}: ${stderr}`)),
    );
  });
}

test(
  'ticketlab supermask killed mid-training resumes to a bit-identical result; a damaged checkpoint or result is named and recomputed',
  { skip: skipData },
  async () => {
    const root = mkdtempSync(join(tmpdir(), 'ticketlab-supermask-resume-'));
    const [straight, killed, damaged] = ['straight', 'killed', 'damaged'].map((d) => join(root, d));
    try {
      const reference = await supermask(straight);
      await killMidTraining(killed);
      const unit = join(runDir(killed), SUPERMASK_UNIT);
      assert.ok(existsSync(join(unit, 'checkpoint.json')), 'a checkpoint was left');
      assert.ok(!existsSync(join(unit, 'result.json')), 'killed before the end');
      cpSync(killed, damaged, { recursive: true });

      // resumed: from a checkpoint after iteration 0, to the uninterrupted run's result and scores
      const resumed = await supermask(killed);
      const at = Number(/resuming at iteration (\d+)/.exec(resumed.stderr)?.[1]);
      assert.ok(at >= 25 && at < 300, resumed.stderr);
      assert.doesNotMatch(resumed.stderr, /iteration 0\/300/);
      assert.deepEqual(withoutWallTime(resumed.result), withoutWallTime(reference.result));
      assert.ok(scoresOf(killed).equals(scoresOf(straight)), 'learned scores are bit-identical');
      assert.ok(!existsSync(join(unit, 'checkpoint.json')), 'the checkpoint goes once the run is done');

      // a damaged checkpoint: named, removed, trained again from 0 to the same result
      const checkpoint = join(runDir(damaged), SUPERMASK_UNIT, 'checkpoint.safetensors');
      const bytes = readFileSync(checkpoint);
      bytes[bytes.length - 3] ^= 0xff;
      writeFileSync(checkpoint, bytes);
      const restarted = await supermask(damaged);
      assert.match(
        restarted.stderr,
        /checkpoint\.safetensors[^\n]*checksum[^\n]*starts again from iteration 0/,
      );
      assert.deepEqual(withoutWallTime(restarted.result), withoutWallTime(reference.result));
      assert.ok(scoresOf(damaged).equals(scoresOf(straight)));

      // done: read back as it was (wall time included), nothing trained
      const again = await supermask(straight);
      assert.match(again.stderr, /done before: read back/);
      assert.doesNotMatch(again.stderr, /iteration \d+\/300/);
      assert.deepEqual(again.result, reference.result);

      // a finished run whose scores file was damaged: named and computed again
      const scores = join(runDir(straight), SUPERMASK_UNIT, SCORES_FILE);
      const stored = readFileSync(scores);
      stored[stored.length - 1] ^= 0xff;
      writeFileSync(scores, stored);
      const recomputed = await supermask(straight);
      assert.match(recomputed.stderr, /recorded as done but [^\n]*scores\.safetensors[^\n]*computed again/);
      assert.match(recomputed.stderr, /iteration 300\/300/);
      assert.deepEqual(withoutWallTime(recomputed.result), withoutWallTime(reference.result));
      assert.ok(scoresOf(straight).equals(scoresOf(killed)));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  },
);

test('a run directory is named by result-affecting settings only and never reused for other settings', () => {
  const runs = mkdtempSync(join(tmpdir(), 'ticketlab-supermask-identity-'));
  try {
    const request = { model: 'lenet300', dataset: 'mnist', iterations: 20, learningRate: 100 } as const;
    const config = resolveConfig(request);
    const settings = { ...SUPERMASK_DEFAULTS };
    // how often to checkpoint changes no result: same name; a supermask setting does
    const id = JSON.stringify(supermaskIdentity(config, settings));
    assert.equal(
      JSON.stringify(supermaskIdentity(resolveConfig({ ...request, checkpointEvery: 7 }), settings)),
      id,
    );
    assert.notEqual(JSON.stringify(supermaskIdentity(config, { ...settings, rescale: true })), id);
    assert.notEqual(JSON.stringify(supermaskIdentity(resolveConfig({ ...request, seed: 3 }), settings)), id);

    const run = openSupermaskRun(runs, config, settings);
    run.close();
    // the stored settings differ (as when a default of the model changed since): refused, with the setting
    const configPath = join(run.dir, 'config.json');
    const stored = JSON.parse(readFileSync(configPath, 'utf8'));
    stored.config.learningRate = 50;
    writeFileSync(configPath, JSON.stringify(stored));
    assert.throws(
      () => openSupermaskRun(runs, config, settings),
      (e: unknown) =>
        e instanceof UserError &&
        /made with other settings \(settings\.learningRate\)/.test(e.message) &&
        /never reused/.test(e.message),
    );
    // a directory holding another identity under this name: refused by the run store
    stored.config.learningRate = 100;
    writeFileSync(configPath, JSON.stringify(stored));
    const identityPath = join(run.dir, 'identity.json');
    const identity = JSON.parse(readFileSync(identityPath, 'utf8'));
    identity.supermask = { rescale: true };
    writeFileSync(identityPath, JSON.stringify(identity));
    assert.throws(
      () => openSupermaskRun(runs, config, settings),
      (e: unknown) => e instanceof UserError && /holds a different configuration/.test(e.message),
    );
  } finally {
    rmSync(runs, { recursive: true, force: true });
  }
});

test('a run leased by another live process is waited for and read back; a run of an earlier version is read back', async () => {
  const runs = mkdtempSync(join(tmpdir(), 'ticketlab-supermask-lease-'));
  try {
    const config = resolveConfig({ model: 'lenet300', dataset: 'mnist', iterations: 20 });
    const settings = { ...SUPERMASK_DEFAULTS, samples: 1 };
    const made = { model: 'lenet300', dataset: 'mnist', testAccuracySampledMean: 0.5 };
    const holder = openSupermaskRun(runs, config, settings);
    const lease = holder.tryLease(SUPERMASK_UNIT)!;
    const messages: string[] = [];
    const waiting = learnSupermask(config, settings, {
      runsDir: runs,
      pollMs: 20,
      notify: (m) => messages.push(m),
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.match(messages.join('\n'), /pid \d+ on \S+ is computing [^\n]* waiting for it/);
    const scores = join(holder.unitDir(SUPERMASK_UNIT), SCORES_FILE);
    saveTensors(scores, new Map([['score:fc1.weight', Float32Array.from([1, -1])]]));
    holder.markDone(SUPERMASK_UNIT, made, { threads: 1, files: [`${SUPERMASK_UNIT}/${SCORES_FILE}`] });
    lease.release();
    const got = await waiting; // no data loaded: nothing was trained
    assert.equal(got.reused, true);
    assert.deepEqual(got.result, made);

    // an earlier version's directory: named by every setting, result.json at the top
    const legacy = { ...SUPERMASK_DEFAULTS, samples: 4 };
    const name = hashConfig({
      kind: 'learned-supermask',
      settings: resultSettings(config),
      supermask: legacy,
    });
    const dir = join(runs, 'supermask', `lenet300-mnist-${name}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'result.json'), JSON.stringify(made));
    const old = await learnSupermask(config, legacy, { runsDir: runs });
    assert.deepEqual(old, { dir, result: made, reused: true });
  } finally {
    rmSync(runs, { recursive: true, force: true });
  }
});
