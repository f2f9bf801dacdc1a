import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { z } from 'zod';
import {
  configDifferences,
  hashConfig,
  listRuns,
  loadTensors,
  readJson,
  readTensorFile,
  RunStore,
  saveTensors,
  stableStringify,
  writeFileAtomic,
  writeJsonAtomic,
  type TypedArray,
} from '../src/store/index.js';
import { UserError } from '../src/util/errors.js';

const tmpRoot = mkdtempSync(join(tmpdir(), 'ticketlab-store-'));
after(() => rmSync(tmpRoot, { recursive: true, force: true }));
let counter = 0;
function freshDir(): string {
  const d = join(tmpRoot, `t${counter++}`);
  mkdirSync(d, { recursive: true });
  return d;
}

/** Files in a directory tree, relative, sorted. */
function tree(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).sort();
}

const CONFIG = {
  model: { name: 'lenet', layers: [300, 100], init: 'glorot' },
  train: { optimizer: 'adam', lr: 1.2e-3, batch: 60, iterations: 50000 },
  prune: { strategy: 'magnitude', rates: { fc: 0.2, output: 0.1 }, rounds: 20 },
  seed: 7,
  dataset: 'mnist',
  evalEvery: 100,
  earlyStop: true,
};

/** Runs TypeScript in a child process (node --import tsx); resolves with its stdout. */
function runChild(code: string): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: process.cwd(),
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

describe('stableStringify and hashConfig', () => {
  test('keys sorted at every depth; undefined, -0, Dates, arrays as JSON does', () => {
    assert.equal(
      stableStringify({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } }),
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
    assert.equal(
      stableStringify({ a: undefined, b: [undefined, -0, 1e21, 0.1] }),
      '{"b":[null,0,1e+21,0.1]}',
    );
    assert.equal(stableStringify(new Date(0)), '"1970-01-01T00:00:00.000Z"');
    assert.equal(stableStringify('é"\n'), JSON.stringify('é"\n'));
    for (const bad of [
      Number.NaN,
      Infinity,
      -Infinity,
      () => 1,
      Symbol('s'),
      1n,
      new Map(),
      new Set(),
      new Float32Array(2),
    ]) {
      assert.throws(() => stableStringify({ x: [bad] }), TypeError);
    }
    const cyc: Record<string, unknown> = {};
    cyc.self = cyc;
    assert.throws(() => stableStringify(cyc), /cyclic/);
    // shared (non-cyclic) references are fine
    const shared = { v: 1 };
    assert.equal(stableStringify({ a: shared, b: shared }), '{"a":{"v":1},"b":{"v":1}}');
  });

  test('key order is irrelevant and JSON round trips keep the hash (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const s = stableStringify(v);
        assert.deepEqual(JSON.parse(s), JSON.parse(JSON.stringify(v)));
        assert.equal(stableStringify(JSON.parse(s)), s);
        assert.equal(hashConfig(JSON.parse(JSON.stringify(v))), hashConfig(v));
        assert.equal(hashConfig(reverseKeys(v)), hashConfig(v));
      }),
      { numRuns: 300 },
    );
  });

  test('the hash is pinned: stable across versions, platforms and processes', () => {
    const h = hashConfig(CONFIG);
    assert.match(h, /^[0-9a-f]{12}$/);
    assert.equal(hashConfig({ b: 1, a: [1, { y: 2, x: -0 }] }), '017d9d89b25e');
    // a child process building the same config in another key order
    const child = runChild(`
      import { hashConfig } from './src/store/index.ts';
      console.log(hashConfig({
        earlyStop: true, evalEvery: 100, dataset: 'mnist', seed: 7,
        prune: { rounds: 20, rates: { output: 0.1, fc: 0.2 }, strategy: 'magnitude' },
        train: { iterations: 50000, batch: 60, lr: 0.0012, optimizer: 'adam' },
        model: { init: 'glorot', layers: [300, 100], name: 'lenet' },
      }));`);
    assert.equal(child, h);
  });

  test('changing any hyperparameter, at any depth, changes the hash', () => {
    const base = hashConfig(CONFIG);
    const seen = new Set([base]);
    for (const path of leafPaths(CONFIG)) {
      const changed = structuredClone(CONFIG) as Record<string, unknown>;
      const parent = path
        .slice(0, -1)
        .reduce<Record<string, unknown>>((o, k) => o[k] as Record<string, unknown>, changed);
      const key = path[path.length - 1];
      const v = parent[key];
      parent[key] =
        typeof v === 'number' ? v + 1e-9 * Math.max(1, Math.abs(v)) : typeof v === 'string' ? `${v}x` : !v;
      const h = hashConfig(changed);
      assert.notEqual(h, base, `changing ${path.join('.')} kept the hash`);
      seen.add(h);
      assert.deepEqual(configDifferences(CONFIG, changed), [
        `$.${path.join('.').replace(/\.(\d+)/g, '[$1]')}`,
      ]);
    }
    assert.equal(seen.size, leafPaths(CONFIG).length + 1);
    // added or removed keys, types, array order
    assert.notEqual(hashConfig({ ...CONFIG, extra: null }), base);
    const { seed: _seed, ...noSeed } = CONFIG;
    assert.notEqual(hashConfig(noSeed), base);
    assert.notEqual(hashConfig({ a: 1 }), hashConfig({ a: '1' }));
    assert.notEqual(hashConfig({ a: [1, 2] }), hashConfig({ a: [2, 1] }));
    assert.equal(hashConfig({ a: 1.0 }), hashConfig({ a: 1 }));
  });
});

describe('atomic files', () => {
  test('writes leave exactly the target, create parent directories, replace whole files', () => {
    const dir = freshDir();
    const p = join(dir, 'sub', 'deeper', 'x.json');
    writeJsonAtomic(p, { a: 1 });
    assert.deepEqual(readJson(p), { a: 1 });
    writeFileAtomic(p, 'second');
    writeFileAtomic(p, [Buffer.from('thi'), new Uint8Array([114, 100])]);
    assert.equal(readFileSync(p, 'utf8'), 'third');
    assert.deepEqual(tree(dir), ['sub', join('sub', 'deeper'), join('sub', 'deeper', 'x.json')]);
  });

  test('a failed write removes its temporary file and leaves the target alone', () => {
    const dir = freshDir();
    // the target is a non-empty directory: the final rename fails
    mkdirSync(join(dir, 'target', 'inside'), { recursive: true });
    assert.throws(() => writeFileAtomic(join(dir, 'target'), 'data'));
    assert.deepEqual(tree(dir), ['target', join('target', 'inside')]);
  });

  test('a writer killed at a random moment never leaves a half-written target', async () => {
    const dir = freshDir();
    const target = join(dir, 'big.bin');
    const size = 1 << 20;
    // each version of the file is `size` copies of one byte; a torn write would mix bytes or be short
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `import { writeFileAtomic } from './src/store/index.ts';
         const buf = new Uint8Array(${size});
         for (let v = 1; ; v++) { buf.fill(v % 251); writeFileAtomic(${JSON.stringify(target)}, buf); if (v === 3) console.log('go'); }`,
      ],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((res) => child.stdout.once('data', () => res()));
    await new Promise((res) => setTimeout(res, 150));
    child.kill('SIGKILL');
    await new Promise((res) => child.once('exit', res));
    const data = readFileSync(target);
    assert.equal(data.byteLength, size);
    assert.ok(
      data.every((b) => b === data[0]),
      'target mixes two versions',
    );
    // at most one temporary file (the write in flight), which a later cleanup removes
    const leftovers = readdirSync(dir).filter((f) => f !== 'big.bin');
    assert.ok(leftovers.length <= 1 && leftovers.every((f) => f.endsWith('.tmp')), String(leftovers));
  });

  test('readJson: corrupt, missing and mis-shaped files are UserErrors naming the file', () => {
    const dir = freshDir();
    const p = join(dir, 'metrics.json');
    writeFileSync(p, '{"acc": 0.98, "loss": ');
    assert.throws(
      () => readJson(p),
      (e: unknown) => e instanceof UserError && e.message.includes(p) && /corrupt/.test(e.message) && !!e.fix,
    );
    assert.throws(
      () => readJson(join(dir, 'nope.json')),
      (e: unknown) => e instanceof UserError && e.message.includes('nope.json'),
    );
    writeFileSync(p, '{"acc": "high"}');
    const schema = z.object({ acc: z.number() });
    assert.throws(
      () => readJson(p, schema),
      (e: unknown) => e instanceof UserError && e.message.includes(p) && e.message.includes('acc'),
    );
    writeFileSync(p, '{"acc": 0.5}');
    assert.deepEqual(readJson(p, schema), { acc: 0.5 });
  });
});

describe('tensor files', () => {
  test('every dtype round-trips bit-exactly, with shapes and metadata', () => {
    const dir = freshDir();
    const f32 = new Float32Array([
      0,
      -0,
      1.5,
      -3.25e-39,
      3.4028234663852886e38,
      Infinity,
      -Infinity,
      Number.NaN,
    ]);
    new Uint32Array(f32.buffer)[7] = 0x7fc01234; // a NaN payload must survive
    const f64 = new Float64Array([Math.PI, -0, 5e-324, Number.MAX_VALUE, Number.NaN]);
    const tensors = new Map<string, TypedArray | { data: TypedArray; shape: number[] }>([
      ['fc1.weight', { data: Float32Array.from({ length: 12 }, (_, i) => Math.sin(i) / 7), shape: [3, 4] }],
      ['special', f32],
      ['f64', f64],
      ['mask', { data: Uint8Array.from([1, 0, 1, 1, 0, 0]), shape: [2, 3] }],
      ['i8', Int8Array.from([-128, 127])],
      ['i16', Int16Array.from([-32768, 5])],
      ['i32', Int32Array.from([-(2 ** 31), 2 ** 31 - 1])],
      ['u16', Uint16Array.from([65535])],
      ['u32', Uint32Array.from([2 ** 32 - 1])],
      ['i64', BigInt64Array.from([-(2n ** 63n), 42n])],
      ['u64', BigUint64Array.from([2n ** 64n - 1n])],
      ['empty', new Float32Array(0)],
      ['view', new Float32Array([9, 8, 7, 6, 5]).subarray(1, 4)],
    ]);
    const p = join(dir, 'ckpt.safetensors');
    saveTensors(p, tensors, { step: '1000', note: 'θ₀' });
    assert.deepEqual(readdirSync(dir), ['ckpt.safetensors']);
    const { tensors: back, metadata } = readTensorFile(p);
    assert.deepEqual(metadata, { step: '1000', note: 'θ₀' });
    assert.deepEqual([...back.keys()], [...tensors.keys()]);
    for (const [name, value] of tensors) {
      const data = ArrayBuffer.isView(value) ? value : value.data;
      const got = back.get(name)!;
      assert.equal(got.data.constructor, data.constructor, name);
      assert.deepEqual(got.shape, ArrayBuffer.isView(value) ? [value.length] : value.shape);
      assert.deepEqual(
        Buffer.from(got.data.buffer, got.data.byteOffset, got.data.byteLength),
        Buffer.from(data.buffer, data.byteOffset, data.byteLength),
        `${name} bytes`,
      );
    }
    assert.equal(loadTensors(p).get('mask')![2], 1);
  });

  test('the file layout is the documented safetensors layout', () => {
    const dir = freshDir();
    const p = join(dir, 'm.safetensors');
    saveTensors(
      p,
      new Map<string, TypedArray>([
        ['a', new Float32Array([1, 2])],
        ['b', new Uint8Array([7])],
      ]),
    );
    const buf = readFileSync(p);
    const n = Number(buf.readBigUInt64LE(0));
    assert.equal((8 + n) % 8, 0, 'data aligned to 8 bytes');
    const header = JSON.parse(buf.toString('utf8', 8, 8 + n));
    assert.deepEqual(header, {
      // the sha256 of the data section, checked by every read
      __metadata__: {
        sha256: createHash('sha256')
          .update(buf.subarray(8 + n))
          .digest('hex'),
      },
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'U8', shape: [1], data_offsets: [8, 9] },
    });
    assert.equal(buf.byteLength, 8 + n + 9);
    assert.equal(buf.readFloatLE(8 + n + 4), 2);
    assert.equal(buf[8 + n + 8], 7);
  });

  test('truncated or damaged tensor files are UserErrors naming the file', () => {
    const dir = freshDir();
    const p = join(dir, 'masks.safetensors');
    const make = () => saveTensors(p, new Map([['w', new Float32Array(100).fill(1)]]));
    const isUserError = (e: unknown) => e instanceof UserError && e.message.includes(p);
    make();
    truncateSync(p, statSync(p).size - 4);
    assert.throws(
      () => loadTensors(p),
      (e: unknown) => isUserError(e) && /truncated/.test((e as Error).message),
    );
    make();
    writeFileSync(p, Buffer.concat([readFileSync(p), Buffer.from([0])]));
    assert.throws(() => loadTensors(p), isUserError); // trailing byte
    make();
    const buf = readFileSync(p);
    buf.write('#', 8); // header no longer JSON
    writeFileSync(p, buf);
    assert.throws(() => loadTensors(p), isUserError);
    writeFileSync(p, Buffer.from([1, 2, 3]));
    assert.throws(() => loadTensors(p), isUserError);
    const huge = Buffer.alloc(16);
    huge.writeBigUInt64LE(2n ** 60n);
    writeFileSync(p, huge);
    assert.throws(() => loadTensors(p), isUserError);
    assert.throws(() => loadTensors(join(dir, 'absent.safetensors')), UserError);
    assert.throws(
      () => saveTensors(p, new Map([['w', { data: new Float32Array(6), shape: [4, 2] }]])),
      RangeError,
    );
  });
});

describe('RunStore', () => {
  test('openRun creates <root>/<name>-<hash> with canonical identity.json, config.json and run.json', () => {
    const root = freshDir();
    const store = new RunStore({ root });
    const run = store.openRun('lenet-mnist', CONFIG);
    assert.equal(run.dir, join(root, `lenet-mnist-${hashConfig(CONFIG)}`));
    assert.equal(run.hash, hashConfig(CONFIG));
    const text = readFileSync(join(run.dir, 'identity.json'), 'utf8');
    assert.equal(stableStringify(JSON.parse(text)), stableStringify(CONFIG));
    assert.ok(text.indexOf('"dataset"') < text.indexOf('"model"'), 'keys written sorted');
    // without a separate full config, config.json is the identity too
    assert.equal(readFileSync(join(run.dir, 'config.json'), 'utf8'), text);
    const meta = readJson(join(run.dir, 'run.json')) as Record<string, unknown>;
    assert.equal(meta.name, 'lenet-mnist');
    assert.ok(!Number.isNaN(Date.parse(meta.createdAt as string)));
    // no whole-run lock: units are leased one by one
    assert.ok(!existsSync(join(run.dir, 'lock')));
    run.close();
    assert.deepEqual(
      readdirSync(root).filter((f) => f.startsWith('.')),
      [],
      'no temporary directories left',
    );
  });

  test('units: markDone / isDone / result / doneKeys, resumed on reopen with the same config', () => {
    const root = freshDir();
    const store = new RunStore({ root });
    const run = store.openRun('exp', CONFIG);
    assert.equal(run.isDone('trial-0/level-00'), false);
    assert.equal(run.result('trial-0/level-00'), undefined);
    writeFileSync(join(run.unitDir('trial-0/level-00'), 'masks.safetensors'), 'x');
    run.markDone('trial-0/level-00', { testAcc: 0.981, earlyStopIter: 11200, nested: { b: 2, a: 1 } });
    run.markDone('trial-0/level-01', { testAcc: 0.983 });
    run.setPlanned(42);
    assert.equal(run.isDone('trial-0/level-00'), true);
    assert.deepEqual(run.result('trial-0/level-00'), {
      testAcc: 0.981,
      earlyStopIter: 11200,
      nested: { a: 1, b: 2 },
    });
    const schema = z.object({ testAcc: z.number() });
    assert.equal(run.result('trial-0/level-01', schema)!.testAcc, 0.983);
    assert.deepEqual(run.doneKeys(), ['trial-0/level-00', 'trial-0/level-01']);
    assert.ok(existsSync(join(run.dir, 'trial-0', 'level-00', 'result.json')));
    run.close();
    assert.throws(() => run.markDone('trial-0/level-02', {}), /closed/);

    // reopen with the same config written in another key order: same directory, work is kept
    const again = store.openRun('exp', reverseKeys(CONFIG) as object);
    assert.equal(again.dir, run.dir);
    assert.deepEqual(again.doneKeys(), ['trial-0/level-00', 'trial-0/level-01']);
    assert.equal(again.planned, 42);
    again.close();

    // a different config under the same name is a different run directory
    const other = store.openRun('exp', { ...CONFIG, seed: 8 });
    assert.notEqual(other.dir, run.dir);
    assert.deepEqual(other.doneKeys(), []);
    other.close();
  });

  test('a directory holding a different config is never reused', () => {
    const root = freshDir();
    const store = new RunStore({ root });
    const run = store.openRun('exp', CONFIG);
    run.close();
    // tampering (or a hash collision): identity.json no longer matches
    const tampered = structuredClone(CONFIG);
    tampered.train.lr = 0.1;
    writeJsonAtomic(join(run.dir, 'identity.json'), tampered);
    assert.throws(
      () => store.openRun('exp', CONFIG),
      (e: unknown) =>
        e instanceof UserError && e.message.includes(run.dir) && e.message.includes('$.train.lr') && !!e.fix,
    );
    writeFileSync(join(run.dir, 'config.json'), '{"oops');
    assert.throws(
      () => store.openRun('exp', CONFIG),
      (e: unknown) => e instanceof UserError && e.message.includes('config.json'),
    );
  });

  test('the identity names the run; the full config of the latest invocation is kept beside it', () => {
    const root = freshDir();
    const store = new RunStore({ root });
    const identity = { model: 'lenet', seed: 7 };
    const first = store.openRun('exp', identity, { ...identity, levels: 3 });
    assert.equal(first.hash, hashConfig(identity));
    assert.deepEqual(first.identity, identity);
    assert.deepEqual(first.config, { ...identity, levels: 3 });
    first.markDone('trial-0/level-03/ticket', { acc: 1 });
    // more levels: the same directory, the work kept, config.json now the new invocation's
    const second = store.openRun('exp', identity, { ...identity, levels: 5 });
    assert.equal(second.dir, first.dir);
    assert.deepEqual(second.doneKeys(), ['trial-0/level-03/ticket']);
    assert.deepEqual(readJson(join(second.dir, 'config.json')), { ...identity, levels: 5 });
    assert.deepEqual(readJson(join(second.dir, 'identity.json')), identity);
    const [listed] = listRuns(root);
    assert.deepEqual(listed.identity, identity);
    assert.equal(listed.problem, undefined);
    // a run of an earlier version (no identity.json, named by the hash of config.json) still lists
    const old = join(root, `old-${hashConfig(CONFIG)}`);
    mkdirSync(old);
    writeJsonAtomic(join(old, 'config.json'), CONFIG);
    writeJsonAtomic(join(old, 'run.json'), {
      format: 1,
      name: 'old',
      hash: hashConfig(CONFIG),
      createdAt: 'z',
    });
    const oldListed = listRuns(root).find((r) => r.name === 'old')!;
    assert.equal(oldListed.problem, undefined);
    assert.deepEqual(store.loadRun(old).identity, CONFIG);
  });

  test('names, keys and paths are validated', () => {
    const store = new RunStore({ root: freshDir() });
    for (const bad of ['', '../x', 'a/b', '.hidden', 'a b', 'x'.repeat(101)]) {
      assert.throws(() => store.openRun(bad, CONFIG), UserError, bad);
    }
    const run = store.openRun('ok', CONFIG);
    for (const bad of [
      '',
      '/abs',
      'a//b',
      '../x',
      'a/../../x',
      'config.json',
      'lock/x',
      '.x',
      'a/result.json',
    ]) {
      assert.throws(() => run.markDone(bad, 1), RangeError, bad);
    }
    assert.throws(() => run.path('..', 'elsewhere'), RangeError);
    assert.equal(
      run.path('checkpoints', 'init.safetensors'),
      join(run.dir, 'checkpoints', 'init.safetensors'),
    );
    assert.throws(() => store.openRun('cyclic', { a: Number.NaN }), TypeError);
    run.close();
  });

  test('the root comes from the option, else TICKETLAB_RUNS, else ./runs', () => {
    const saved = process.env.TICKETLAB_RUNS;
    try {
      process.env.TICKETLAB_RUNS = join(tmpRoot, 'from-env');
      assert.equal(new RunStore().root, join(tmpRoot, 'from-env'));
      assert.equal(new RunStore({ root: join(tmpRoot, 'opt') }).root, join(tmpRoot, 'opt'));
      delete process.env.TICKETLAB_RUNS;
      assert.equal(new RunStore().root, join(process.cwd(), 'runs'));
    } finally {
      if (saved === undefined) delete process.env.TICKETLAB_RUNS;
      else process.env.TICKETLAB_RUNS = saved;
    }
  });

  test('listRuns: name, hash, dir, created time, config, progress, activity, problems', () => {
    const root = freshDir();
    assert.deepEqual(listRuns(join(root, 'missing')), []);
    const store = new RunStore({ root });
    const a = store.openRun('alpha', CONFIG);
    a.setPlanned(3);
    a.markDone('level-00', { acc: 1 });
    const leased = a.tryLease('level-01')!; // a live lease on one unit makes the run active
    const b = store.openRun('beta', { ...CONFIG, seed: 1 });
    b.close();
    mkdirSync(join(root, 'not-a-run'));
    const tampered = store.openRun('gamma', { x: 1 });
    tampered.close();
    writeJsonAtomic(join(tampered.dir, 'identity.json'), { x: 2 });

    const runs = listRuns(root);
    assert.deepEqual(
      runs.map((r) => r.name),
      ['alpha', 'beta', 'gamma'],
    );
    const [ra, rb, rg] = runs;
    assert.equal(ra.hash, hashConfig(CONFIG));
    assert.equal(ra.dir, a.dir);
    assert.deepEqual(ra.config, JSON.parse(stableStringify(CONFIG)));
    assert.deepEqual(ra.progress, { done: 1, planned: 3 });
    assert.equal(ra.active, true);
    assert.equal(rb.active, false);
    assert.deepEqual(rb.progress, { done: 0, planned: null });
    assert.equal(ra.problem, undefined);
    assert.match(rg.problem ?? '', /does not match the hash/);
    assert.ok(ra.createdAt! <= rb.createdAt!);
    assert.deepEqual(
      store.list().map((r) => r.name),
      ['alpha', 'beta', 'gamma'],
    );
    leased.release();
    assert.equal(listRuns(root)[0].active, false);
    a.close();
    // read-only access for reports
    const ro = store.loadRun(a.dir);
    assert.deepEqual(ro.result('level-00'), { acc: 1 });
    assert.throws(() => ro.markDone('level-01', {}), /read-only/);
  });
});

function reverseKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reverseKeys);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .reverse()
        .map((k) => [k, reverseKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

function leafPaths(v: unknown, prefix: string[] = []): string[][] {
  if (v !== null && typeof v === 'object') {
    return Object.entries(v).flatMap(([k, x]) => leafPaths(x, [...prefix, k]));
  }
  return [prefix];
}
