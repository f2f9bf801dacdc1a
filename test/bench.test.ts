import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const BENCH = ['--import', 'tsx', 'bench/bench.ts'];

function bench(args: string[]) {
  const out = spawnSync(process.execPath, [...BENCH, ...args], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  return out.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

test('npm run bench -- --json prints one JSON object per case with the fields the issue names', () => {
  const records = bench(['--json', '--case', 'lenet300-adam-b60-sparse', '--steps', '5', '--threads', '1']);
  assert.equal(records.length, 1);
  const [r] = records;
  assert.equal(r.case, 'lenet300-adam-b60-sparse');
  assert.equal(r.steps, 5);
  assert.equal(r.threads, 1);
  assert.equal(r.engine, 'ticketlab');
  assert.ok(typeof r.ms_per_step === 'number' && r.ms_per_step > 0, `ms_per_step ${r.ms_per_step}`);
});

const torchAvailable =
  existsSync('../shared/bench/torch_step.py') &&
  spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

test(
  'bench --torch alternates rounds with the PyTorch peer and reports the median per-round ratio',
  {
    skip: torchAvailable
      ? false
      : 'PyTorch peer not installed (apt-get install -y python3-torch libopenblas0-pthread)',
  },
  () => {
    const records = bench([
      '--json',
      '--torch',
      '--rounds',
      '2',
      '--case',
      'lenet300-adam-b60-sparse',
      '--steps',
      '5',
      '--threads',
      '1',
    ]);
    assert.equal(records.length, 2);
    const [ours, peer] = records;
    assert.equal(peer.peer, true);
    assert.equal(peer.case, 'lenet300-adam-b60-sparse');
    const oursRounds = ours.rounds as number[];
    const peerRounds = peer.rounds as number[];
    const ratios = peer.round_ratios as number[];
    assert.equal(oursRounds.length, 2);
    assert.equal(peerRounds.length, 2);
    for (let r = 0; r < 2; r++) {
      assert.ok(Math.abs(ratios[r] - oursRounds[r] / peerRounds[r]) < 2e-3, `round ${r} ratio`);
    }
    const expected = (ratios[0] + ratios[1]) / 2;
    assert.ok(Math.abs((peer.ratio_vs_torch as number) - expected) < 2e-3, 'median of two rounds');
  },
);
