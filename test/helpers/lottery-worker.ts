/**
 * A lottery worker process for tests: `node --import tsx test/helpers/lottery-worker.ts <json>` with
 * { root, request, goFile?, pollMs?, lease?, holdAt? }. Prints one JSON line per event (ready, start,
 * progress, end, skipped, waiting, holding, summary); with goFile, waits for that file after setting up,
 * before opening the run (so several workers start together); with holdAt, stops training that unit at
 * that iteration and waits there, its lease's heartbeat still running, until it is killed (so a test
 * kills it mid-unit however fast or slow the machine is).
 */
import { existsSync } from 'node:fs';
import type { LotteryRequest } from '../../src/lottery/resolve.js';
import { unitKey } from '../../src/lottery/types.js';
import type { TrainCallback } from '../../src/train/types.js';
import { runOpened, smallConfig, smallSetup } from './small-lottery.js';

const args = JSON.parse(process.argv[2]) as {
  root: string;
  request: LotteryRequest;
  goFile?: string;
  pollMs?: number;
  lease?: { ttlMs: number; renewEveryMs: number };
  holdAt?: { key: string; iteration: number };
};
const emit = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);
const config = smallConfig(args.request);
const { data, engine } = await smallSetup(config);
emit({ event: 'ready', pid: process.pid });
while (args.goFile && !existsSync(args.goFile)) await new Promise((r) => setTimeout(r, 5));
const key = (u: { trial: number; level: number; condition: string }) =>
  unitKey(u.trial, u.level, u.condition);
/** Never returns once `iteration` is reached; a ref'd timer keeps the process alive meanwhile. */
const holdAt = (unit: string, iteration: number): TrainCallback => ({
  name: 'test-hold',
  async onIteration(it) {
    if (it < iteration) return;
    emit({ event: 'holding', key: unit, iteration: it });
    await new Promise(() => setInterval(() => {}, 1000));
  },
});
const summary = await runOpened(args.root, config, data, engine, {
  pollMs: args.pollMs ?? 50,
  lease: args.lease,
  callbacks: (u) =>
    args.holdAt && key(u) === args.holdAt.key ? [holdAt(args.holdAt.key, args.holdAt.iteration)] : [],
  reporter: {
    unitStart: (u) => emit({ event: 'start', key: key(u), resumedAt: u.resumedAt ?? 0 }),
    progress: (u, p) => emit({ event: 'progress', key: key(u), iteration: p.iteration }),
    unitEnd: (u) => emit({ event: 'end', key: key(u) }),
    unitSkipped: (u) => emit({ event: 'skipped', key: key(u) }),
    waiting: (keys) => emit({ event: 'waiting', keys }),
  },
});
emit({ event: 'summary', results: summary.results });
await engine.release();
