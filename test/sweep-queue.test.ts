/**
 * Distributed sweeps with a real redis-server on a loopback port (started and stopped here): two
 * `ticketlab worker`s, one SIGKILLed mid-unit; the other takes its job over and resumes the unit from
 * its checkpoint, nothing else is trained twice, and the results equal a single-process sweep's. A
 * unit whose process always crashes is failed with its error (its dependents with it) while the
 * others finish. Skipped, visibly, without redis-server or the MNIST files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redisServerBinary, startRedis } from './helpers/redis.js';
import { CLI_ENV as env, ENTRY, cli, unitResults as results, writeCrasherPlugin } from './helpers/sweep.js';

const REDIS = redisServerBinary();
const skip = !REDIS
  ? 'redis-server is not installed (apt-get install -y redis-server; .ci/run installs it)'
  : !process.env.TICKETLAB_DATA
    ? 'TICKETLAB_DATA is not set: the queue tests need the real MNIST files'
    : false;

interface Event {
  event: string;
  label: string;
  resumedAt?: number;
  error?: string;
}

function startWorker(url: string, extra: string[] = []) {
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    [
      ...ENTRY,
      ...extra,
      'worker',
      '--queue',
      url,
      '--json',
      '--lock-ms',
      '3000',
      '--stalled-ms',
      '1000',
      '--retry-ms',
      '200',
    ],
    { env },
  );
  const events: Event[] = [];
  let rest = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    const lines = (rest + c.toString()).split('\n');
    rest = lines.pop()!;
    for (const l of lines) if (l.startsWith('{')) events.push(JSON.parse(l) as Event);
  });
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  return {
    child,
    events,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

async function until(what: string, condition: () => boolean, timeoutMs = 600_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const SPEC =
  'base: { iterations: 200, evalEvery: 50, validationSize: 500, checkpointEvery: 50, levels: 1 }\n' +
  'grid: { seed: [0, 1] }\n';

test(
  'two workers, one SIGKILLed mid-unit: the job resumes from its checkpoint elsewhere, results as one process',
  { skip },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ticketlab-queue-'));
    const redis = await startRedis(REDIS!);
    const workers: ReturnType<typeof startWorker>[] = [];
    try {
      const spec = join(dir, 'spec.yaml');
      writeFileSync(spec, SPEC);
      const straight = await cli([
        'sweep',
        'run',
        spec,
        '--runs-dir',
        join(dir, 'straight'),
        '--workers',
        '1',
      ]);
      assert.equal(straight.status, 0, straight.stderr);

      const shared = join(dir, 'shared');
      const enqueue = await cli(['sweep', 'run', spec, '--queue', redis.url, '--runs-dir', shared]);
      assert.equal(enqueue.status, 0, enqueue.stderr);
      assert.match(enqueue.stdout, /4 units — 4 enqueued, 0 queued already, 0 done already/);
      const again = await cli(['sweep', 'run', spec, '--queue', redis.url, '--runs-dir', shared]);
      assert.match(again.stdout, /4 units — 0 enqueued, 4 queued already/);

      const a = startWorker(redis.url);
      const b = startWorker(redis.url);
      workers.push(a, b);
      // kill A once a unit it is training has a checkpoint
      let victim = '';
      let checkpointAt = 0;
      await until('a checkpoint of a unit worker A trains', () => {
        const started = a.events.filter((e) => e.event === 'start');
        const finished = new Set(a.events.filter((e) => e.event === 'done').map((e) => e.label));
        const current = started.at(-1);
        if (!current || finished.has(current.label)) return false;
        const file = join(shared, current.label, 'checkpoint.json');
        if (!existsSync(file)) return false;
        victim = current.label;
        checkpointAt = (JSON.parse(readFileSync(file, 'utf8')) as { iteration: number }).iteration;
        return checkpointAt > 0 && checkpointAt < 200;
      });
      a.child.kill('SIGKILL');
      await a.stop();

      const wait = await cli(['sweep', 'run', spec, '--queue', redis.url, '--runs-dir', shared, '--wait']);
      assert.equal(wait.status, 0, wait.stderr + b.stderr());
      assert.match(wait.stderr, /4 completed/);

      const resumed = b.events.filter((e) => e.event === 'start' && e.label === victim);
      assert.equal(
        resumed.length,
        1,
        `worker B took ${victim} over: ${JSON.stringify(b.events.filter((e) => e.event !== 'progress'))}`,
      );
      // it started from the checkpoint A left (or a later one A wrote as it died), not from the start
      assert.ok(
        resumed[0].resumedAt! >= checkpointAt,
        `resumed at ${resumed[0].resumedAt}, checkpoint at ${checkpointAt}`,
      );
      // every other unit was trained exactly once, by one of the two workers
      const starts = [...a.events, ...b.events].filter((e) => e.event === 'start').map((e) => e.label);
      for (const label of new Set(starts)) {
        assert.equal(starts.filter((l) => l === label).length, label === victim ? 2 : 1, label);
      }
      assert.equal(new Set(starts).size, 4);
      assert.deepEqual(results(shared), results(join(dir, 'straight')));
      assert.equal(Object.keys(results(shared)).length, 4);

      const status = await cli(['sweep', 'status', spec, '--queue', redis.url, '--runs-dir', shared]);
      assert.equal(status.status, 0, status.stderr);
      assert.match(status.stdout, /4 completed/);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  'a unit that always crashes is failed with its error, its dependent too, and the others finish',
  { skip },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ticketlab-queue-'));
    const redis = await startRedis(REDIS!);
    const workers: ReturnType<typeof startWorker>[] = [];
    try {
      // a model whose unit process dies (SIGKILL) as soon as it is built: every attempt crashes
      const plugin = writeCrasherPlugin(dir);
      const spec = join(dir, 'spec.yaml');
      writeFileSync(
        spec,
        'base: { iterations: 40, evalEvery: 20, validationSize: 500, levels: 1 }\ngrid: { model: [crasher, lenet300] }\n',
      );
      const shared = join(dir, 'shared');
      const plugins = ['--plugin', plugin];
      const enqueue = await cli([
        ...plugins,
        'sweep',
        'run',
        spec,
        '--queue',
        redis.url,
        '--runs-dir',
        shared,
        '--max-attempts',
        '2',
      ]);
      assert.equal(enqueue.status, 0, enqueue.stderr);
      workers.push(startWorker(redis.url, plugins), startWorker(redis.url, plugins));
      const wait = await cli([
        ...plugins,
        'sweep',
        'run',
        spec,
        '--queue',
        redis.url,
        '--runs-dir',
        shared,
        '--wait',
      ]);
      assert.equal(wait.status, 3, wait.stderr);
      assert.match(wait.stderr, /2 completed, 2 failed/);
      assert.match(
        wait.stderr,
        /failed: crasher-mnist-lottery-\w+\/trial-0\/level-00\/ticket: the unit process exited \(SIGKILL\)/,
      );
      assert.match(
        wait.stderr,
        /failed: crasher-mnist-lottery-\w+\/trial-0\/level-01\/ticket: its dependency .* failed/,
      );
      const lenet = readdirSync(shared).find((d) => d.startsWith('lenet300-'))!;
      assert.ok(existsSync(join(shared, lenet, 'trial-0', 'level-01', 'ticket', 'result.json')));
      const status = await cli([...plugins, 'sweep', 'status', '--queue', redis.url]);
      assert.match(status.stdout, /2 completed, 2 failed|2 failed/);
      assert.match(
        status.stdout,
        /failed crasher-mnist-lottery-\w+\/trial-0\/level-00\/ticket: the unit process exited/,
      );
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
