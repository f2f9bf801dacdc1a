/**
 * Running a sweep's units on this machine with N worker processes (./unit-process.ts). The scheduler
 * hands each idle worker the first unit, in plan order, whose dependencies are done — preferring one
 * of the run it trained last, whose data and engine it has built. Units done already (by this sweep
 * before, an overlapping one, or a plain lottery command) are skipped; a unit another process holds
 * is tried again later; a unit whose worker died or failed is retried, resuming its checkpoint, up to
 * `maxAttempts` times, then marked failed with its error (and its dependents with it) while the rest
 * of the sweep goes on. Every unit is trained under its lease, so this is safe beside other sweeps.
 * The sweep's manifest (./manifest.ts) records its runs and units at the start, each unit given up
 * on, and the end.
 */
import type { ChildProcess } from 'node:child_process';
import { RunStore } from '../store/index.js';
import type { LeaseOptions } from '../store/index.js';
import { recordSweepEnd, recordSweepFailure, recordSweepStart } from './manifest.js';
import type { SweepPlan, SweepUnit } from './plan.js';
import { type ChildMessage, type ParentMessage, forkUnitProcess } from './protocol.js';
import type { UnitJob, UnitOutcome } from './unit-runner.js';

export interface SweepEvents {
  skipped?(u: SweepUnit): void;
  start?(u: SweepUnit, worker: number, resumedAt: number): void;
  progress?(u: SweepUnit, iteration: number, iterations: number): void;
  done?(u: SweepUnit, outcome: Extract<UnitOutcome, { status: 'done' }>): void;
  /** A failed attempt; `final` when the unit will not be tried again. */
  failed?(u: SweepUnit, message: string, final: boolean): void;
}

export interface LocalOptions {
  workers: number;
  threads: number;
  dataDir?: string;
  plugins?: string[];
  /** Attempts per unit before it is marked failed (default 3). */
  maxAttempts?: number;
  /** Wait before trying again a unit held by another process (ms, default 1000). */
  pollMs?: number;
  lease?: LeaseOptions;
  events?: SweepEvents;
  /** Labels for the runs' summary.json (a preset's name and scale). */
  labels?: UnitJob['labels'];
}

export interface SweepOutcome {
  /** Units trained by this invocation. */
  trained: string[];
  /** Units found done already. */
  skipped: string[];
  failed: { id: string; dir: string; key: string; error: string }[];
}

type State = {
  status: 'pending' | 'running' | 'done' | 'failed';
  attempts: number;
  notBefore: number;
  error?: string;
};

interface Worker {
  index: number;
  child: ChildProcess;
  ready: boolean;
  unit: SweepUnit | null;
  lastRun: string | null;
}

export function unitJob(
  u: SweepUnit,
  runsDir: string,
  threads: number,
  dataDir?: string,
  lease?: LeaseOptions,
  labels?: UnitJob['labels'],
): UnitJob {
  return {
    runsDir,
    name: u.run.name,
    config: u.run.config,
    key: u.unit.key,
    threads,
    ...(dataDir ? { dataDir } : {}),
    ...(lease ? { lease } : {}),
    ...(labels ? { labels } : {}),
  };
}

export async function runSweepLocally(plan: SweepPlan, opts: LocalOptions): Promise<SweepOutcome> {
  const events = opts.events ?? {};
  const maxAttempts = opts.maxAttempts ?? 3;
  const pollMs = opts.pollMs ?? 1000;
  const store = new RunStore({ root: plan.root });
  const state = new Map<string, State>();
  const outcome: SweepOutcome = { trained: [], skipped: [], failed: [] };
  // which runs and units are this sweep's, for the dashboard (<runs>/sweeps/)
  const manifest = recordSweepStart(plan, 'local');
  for (const run of plan.runs) {
    const existing = store.peekRun(run.name, run.identity);
    for (const u of run.units) {
      const done = existing?.isDone(u.unit.key) ?? false;
      state.set(u.id, { status: done ? 'done' : 'pending', attempts: 0, notBefore: 0 });
      if (done) {
        outcome.skipped.push(u.id);
        events.skipped?.(u);
      }
    }
  }
  const pending = () => plan.units.filter((u) => state.get(u.id)!.status === 'pending');
  if (pending().length === 0) {
    recordSweepEnd(plan.root, manifest);
    return outcome;
  }

  return new Promise<SweepOutcome>((resolve) => {
    const workers: Worker[] = [];
    let timer: NodeJS.Timeout | null = null;
    let finished = false;

    const fail = (u: SweepUnit, error: string) => {
      const s = state.get(u.id)!;
      s.status = 'failed';
      s.error = error;
      outcome.failed.push({ id: u.id, dir: u.run.dir, key: u.unit.key, error });
      recordSweepFailure(plan.root, manifest, { dir: u.run.dirName, key: u.unit.key, error });
    };
    const attemptFailed = (u: SweepUnit, message: string, retry: boolean) => {
      const s = state.get(u.id)!;
      s.attempts++;
      const final = !retry || s.attempts >= maxAttempts;
      events.failed?.(u, message, final);
      if (final) fail(u, message);
      else s.status = 'pending';
    };

    /** The next unit for a worker: ready (dependencies done), its run first; dependents of failures fail. */
    const nextFor = (w: Worker): SweepUnit | null => {
      const now = Date.now();
      let first: SweepUnit | null = null;
      for (const u of pending()) {
        const deps = u.dependsOn.map((d) => state.get(d)!);
        const failedDep = u.dependsOn.find((_, i) => deps[i].status === 'failed');
        if (failedDep) {
          const dep = plan.byId.get(failedDep)!;
          fail(u, `its dependency ${dep.unit.key} failed`);
          events.failed?.(u, `its dependency ${dep.unit.key} failed`, true);
          continue;
        }
        if (!deps.every((d) => d.status === 'done') || state.get(u.id)!.notBefore > now) continue;
        if (u.run.dirName === w.lastRun) return u;
        first ??= u;
      }
      return first;
    };

    const finish = () => {
      if (finished) return;
      finished = true;
      if (timer) clearTimeout(timer);
      for (const w of workers) {
        if (w.child.connected) w.child.send({ type: 'exit' } satisfies ParentMessage);
      }
      recordSweepEnd(plan.root, manifest);
      resolve(outcome);
    };

    const schedule = () => {
      if (finished) return;
      for (const w of workers) {
        if (!w.ready || w.unit) continue;
        const u = nextFor(w);
        if (!u) continue;
        w.unit = u;
        w.lastRun = u.run.dirName;
        state.get(u.id)!.status = 'running';
        const message: ParentMessage = {
          type: 'run',
          id: u.id,
          job: unitJob(u, plan.root, opts.threads, opts.dataDir, opts.lease, opts.labels),
          plugins: opts.plugins,
        };
        w.child.send(message);
      }
      const running = workers.some((w) => w.unit);
      const left = pending();
      if (!running && left.length === 0) return finish();
      if (!running) {
        // everything left waits on other processes' leases: look again when the first may be free
        const wake = Math.max(10, Math.min(...left.map((u) => state.get(u.id)!.notBefore)) - Date.now());
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => {
          timer = null;
          schedule();
        }, wake);
      }
    };

    const onMessage = (w: Worker, m: ChildMessage) => {
      if (m.type === 'ready') {
        w.ready = true;
        deadAtStart = 0;
        return schedule();
      }
      const u = w.unit;
      if (!u || m.id !== u.id) return;
      if (m.type === 'start') return events.start?.(u, w.index, m.resumedAt);
      if (m.type === 'progress') return events.progress?.(u, m.iteration, m.iterations);
      w.unit = null;
      const s = state.get(u.id)!;
      if (m.type === 'error') {
        attemptFailed(u, m.message, !m.user);
      } else if (m.outcome.status === 'done') {
        s.status = 'done';
        outcome.trained.push(u.id);
        events.done?.(u, m.outcome);
      } else if (m.outcome.status === 'skipped') {
        s.status = 'done';
        outcome.skipped.push(u.id);
        events.skipped?.(u);
      } else {
        // blocked, busy or lost: another process has (or had) a hand in it; try again later
        s.status = 'pending';
        s.notBefore = Date.now() + pollMs;
      }
      schedule();
    };

    let deadAtStart = 0;
    const spawnWorker = (index: number) => {
      const child = forkUnitProcess();
      const w: Worker = { index, child, ready: false, unit: null, lastRun: null };
      workers[index] = w;
      child.on('message', (m: ChildMessage) => onMessage(w, m));
      child.on('exit', (code, signal) => {
        if (finished) return;
        const u = w.unit;
        w.unit = null;
        w.ready = false;
        const how = signal ?? `code ${code}`;
        if (u) attemptFailed(u, `its worker process exited (${how}) while training it`, true);
        else if (++deadAtStart >= 3) {
          // workers that die before taking any unit will not get better: stop, failing what is left
          for (const p of pending()) fail(p, `worker processes exit at start (${how})`);
        }
        if (pending().length > 0) spawnWorker(index);
        schedule();
      });
    };
    const count = Math.max(1, Math.min(opts.workers, pending().length));
    for (let i = 0; i < count; i++) spawnWorker(i);
  });
}
