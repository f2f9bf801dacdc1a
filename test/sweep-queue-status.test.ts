/**
 * sweep status reads a job, then its state: a job that fails between the two reads must still be
 * reported with its reason (the copy read first has none), not as "failed: <unit>: " with nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Queue } from 'bullmq';
import { type QueueJobData, sweepQueueStatus } from '../src/sweep/queue.js';
import type { SweepPlan } from '../src/sweep/plan.js';

test('a job that fails between reading it and reading its state is reported with its reason', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ticketlab-status-'));
  try {
    const run = { name: 'r', identity: { model: 'lenet300' }, dirName: 'r-abc', units: [] as unknown[] };
    const unit = { id: 'unit-1', run, unit: { key: 'trial-0/level-01/ticket' }, dependsOn: [] };
    run.units.push(unit);
    const plan = { root, runs: [run], units: [unit] } as unknown as SweepPlan;
    let reads = 0;
    // the first read sees the job still waiting (no reason); by its state read it has failed
    const queue = {
      getJob: async () => {
        reads++;
        return {
          failedReason: reads === 1 ? undefined : 'its dependency x failed: boom',
          getState: async () => 'failed',
        };
      },
    } as unknown as Queue<QueueJobData>;
    const status = await sweepQueueStatus(queue, plan);
    assert.deepEqual(status.units, [
      {
        id: 'unit-1',
        label: 'r-abc/trial-0/level-01/ticket',
        state: 'failed',
        error: 'its dependency x failed: boom',
      },
    ]);
    assert.deepEqual(status.counts, { failed: 1 });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
