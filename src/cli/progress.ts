/** Progress for long work: a bar with ETA on a terminal, plain lines otherwise (logs, CI). */
import cliProgress from 'cli-progress';
import type { LotteryReporter, UnitInfo } from '../lottery/procedure.js';
import type { LevelResult } from '../lottery/summary.js';
import type { TrainProgress } from '../train/trainer.js';

const pct = (x: number) => `${(100 * x).toFixed(x < 0.1 ? 2 : 1)}%`;

/**
 * The bar's ETA: cli-progress hands its time formatter the strings '0' (no estimate yet), 'INF' and
 * 'NULL' (no progress since the last sample), which its own formatter cut to `0s`, `NFs`, `LLs`.
 */
export const formatEta: cliProgress.TimeFormatter = (t, options, roundToMultipleOf) =>
  typeof (t as unknown) === 'number' && Number.isFinite(t)
    ? cliProgress.Format.TimeFormat(t, options, roundToMultipleOf)
    : '--';

function unitLabel(u: UnitInfo): string {
  return `[${u.index}/${u.total}] trial ${u.trial} level ${u.level} ${u.condition} (${pct(u.fractionRemaining)} weights)`;
}

export function lotteryReporter(stream: NodeJS.WriteStream = process.stderr): LotteryReporter {
  const tty = Boolean(stream.isTTY) && !process.env.CI;
  let bar: cliProgress.SingleBar | null = null;
  // started at the unit's first progress report, when its number of iterations is known
  let barStarted = false;
  let lastPrinted = -1;
  const line = (s: string) => stream.write(`${s}\n`);
  return {
    unitSkipped(u) {
      line(`${unitLabel(u)}: done already, skipped`);
    },
    unitStart(u) {
      lastPrinted = -1;
      const resumed = u.resumedAt ? `, resuming at iteration ${u.resumedAt}` : '';
      if (tty) {
        bar = new cliProgress.SingleBar(
          {
            stream,
            format: `${unitLabel(u)} {bar} {value}/{total} | ETA {eta_formatted} | val acc {acc}`,
            formatTime: formatEta,
            hideCursor: true,
            clearOnComplete: true,
            etaBuffer: 50,
          },
          cliProgress.Presets.shades_classic,
        );
        barStarted = false;
        if (resumed) line(`resuming at iteration ${u.resumedAt}`);
      } else {
        line(`${unitLabel(u)}: training${resumed}`);
      }
    },
    progress(_u: UnitInfo, p: TrainProgress) {
      const acc = p.lastEval ? pct(p.lastEval.validationAccuracy) : '-';
      if (bar) {
        if (!barStarted) {
          barStarted = true;
          bar.start(p.iterations, p.iteration, { acc });
          return;
        }
        bar.setTotal(p.iterations);
        bar.update(p.iteration, { acc });
        return;
      }
      const tenth = Math.floor((10 * p.iteration) / p.iterations);
      if (p.lastEval && p.lastEval.iteration === p.iteration && tenth > lastPrinted) {
        lastPrinted = tenth;
        line(
          `  iteration ${p.iteration}/${p.iterations}: val loss ${p.lastEval.validationLoss.toFixed(4)}, val acc ${acc}, test acc ${pct(p.lastEval.testAccuracy)}`,
        );
      }
    },
    unitEnd(u: UnitInfo, r: LevelResult) {
      if (barStarted) bar?.stop();
      bar = null;
      line(
        `${unitLabel(u)}: early stop at ${r.earlyStopIteration}, test acc there ${pct(r.testAccuracyAtEarlyStop)}, ` +
          `final ${pct(r.finalTestAccuracy)} (${r.wallSeconds.toFixed(1)} s)` +
          (r.earlyBirdStop
            ? `; Early-Bird (p = ${r.earlyBirdStop.ratio}) stopped it at epoch ${r.earlyBirdStop.epoch}, iteration ${r.earlyBirdStop.iteration}`
            : ''),
      );
    },
  };
}
