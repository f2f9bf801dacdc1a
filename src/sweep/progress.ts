/**
 * One progress display for a whole sweep: units done, running, failed and left, with an ETA from the
 * units finished so far. On a terminal a status line redrawn in place; otherwise (logs, CI, tests)
 * plain lines, one per event. `json` prints one JSON object per event instead (for scripts and tests).
 */
import type { SweepEvents } from './local.js';
import type { SweepPlan, SweepUnit } from './plan.js';

export interface SweepProgress extends SweepEvents {
  /** Clears the status line (call at the end). */
  close(): void;
}

const label = (u: SweepUnit) => `run ${u.run.point.index} ${u.run.dirName} ${u.unit.key}`;

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function sweepProgress(
  plan: SweepPlan,
  opts: { stream?: NodeJS.WriteStream; json?: boolean } = {},
): SweepProgress {
  const stream = opts.stream ?? process.stderr;
  const tty = Boolean(stream.isTTY) && !process.env.CI && !opts.json;
  const total = plan.units.length;
  const started = Date.now();
  let done = 0;
  let failed = 0;
  let trainedHere = 0;
  const running = new Map<string, { iteration: number; iterations: number }>();
  let lastDraw = 0;

  const eta = (): number => {
    if (trainedHere === 0) return Number.NaN;
    const perUnit = (Date.now() - started) / 1000 / trainedHere; // wall time per unit with all workers
    return perUnit * (total - done - failed);
  };
  const status = () =>
    `${done}/${total} units done, ${running.size} running, ${failed} failed, ETA ${formatDuration(eta())}`;
  const draw = (force = false) => {
    if (!tty) return;
    const now = Date.now();
    if (!force && now - lastDraw < 250) return;
    lastDraw = now;
    const parts = [...running.values()].map((p) => `${Math.floor((100 * p.iteration) / p.iterations)}%`);
    stream.write(`\r\x1b[2K${status()}${parts.length ? ` [${parts.join(' ')}]` : ''}`);
  };
  const line = (text: string, event: Record<string, unknown>) => {
    if (opts.json) {
      stream.write(`${JSON.stringify({ ...event, done, running: running.size, failed, total })}\n`);
      return;
    }
    if (tty) stream.write('\r\x1b[2K');
    stream.write(`${text}\n`);
    draw(true);
  };
  const ids = (u: SweepUnit) => ({ id: u.id, run: u.run.dirName, key: u.unit.key });

  return {
    skipped(u) {
      done++;
      line(`${label(u)}: done already, skipped (${status()})`, { event: 'skipped', ...ids(u) });
    },
    start(u, worker, resumedAt) {
      running.set(u.id, { iteration: resumedAt, iterations: u.run.config.iterations });
      const resumed = resumedAt ? `, resuming at iteration ${resumedAt}` : '';
      line(`${label(u)}: training on worker ${worker + 1}${resumed}`, {
        event: 'start',
        ...ids(u),
        worker,
        resumedAt,
      });
    },
    progress(u, iteration, iterations) {
      running.set(u.id, { iteration, iterations });
      draw();
    },
    done(u, r) {
      running.delete(u.id);
      done++;
      trainedHere++;
      line(
        `${label(u)}: done, ${(100 * r.fractionRemaining).toFixed(1)}% of weights, test acc ${(100 * r.testAccuracyAtEarlyStop).toFixed(2)}% (${r.wallSeconds.toFixed(1)} s) — ${status()}`,
        { event: 'done', ...ids(u), wallSeconds: r.wallSeconds },
      );
    },
    failed(u, message, final) {
      running.delete(u.id);
      if (final) failed++;
      const first = message.split('\n')[0];
      line(`${label(u)}: ${final ? 'FAILED' : 'attempt failed, will retry'}: ${first}`, {
        event: final ? 'failed' : 'retry',
        ...ids(u),
        error: first,
      });
    },
    close() {
      if (tty) stream.write('\r\x1b[2K');
    },
  };
}
