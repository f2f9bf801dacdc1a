/**
 * Durations in epochs or iterations, as OpenLTH writes them: `160ep`, `30000it`, `2ep500it`, or a
 * plain number of iterations. The duration settings (iterations per level, the evaluation interval,
 * warmup, learning-rate milestones, the rewind point) accept either; a run stores the iteration
 * counts they resolve to (so giving iterations changes no run identity) and, in `durations`, what
 * was given in epochs.
 *
 * An epoch is floor(training examples / batch size) iterations, the training examples being the
 * dataset's training set less the validation examples held out of it (CIFAR-10 at batch 64:
 * 45,000 / 64 → 703 iterations, so 160 epochs are the paper's 112,480 iterations).
 */
import { UserError } from '../util/errors.js';

/** Request keys of the settings given as durations (milestones: a list of them). */
export const DURATION_KEYS = [
  'iterations',
  'evalEvery',
  'warmup',
  'rewindIteration',
  'milestones',
  'gradualRewindIteration',
  'saveWeightsAt',
  'maskFrom',
] as const;
export type DurationKey = (typeof DURATION_KEYS)[number];

/** Duration settings that hold a list of durations. */
const LIST_KEYS: ReadonlySet<string> = new Set(['milestones', 'saveWeightsAt']);
/** Duration settings that also take a name for a point of training (`--mask-from final`), kept as given. */
const NAMED_POINTS: ReadonlySet<string> = new Set(['final', 'best']);

export function isDurationKey(key: string): key is DurationKey {
  return (DURATION_KEYS as readonly string[]).includes(key);
}

/** A duration as given: iterations, or a string in epochs and/or iterations. */
export type Duration = number | string;

const PATTERN = /^(?:(\d+)ep)?(?:(\d+)it)?$/;

/** True for a string duration with a unit (`160ep`, `500it`, `2ep500it`). */
export function isDurationString(value: unknown): value is string {
  return typeof value === 'string' && value !== '' && PATTERN.test(value.trim());
}

/** Epochs and iterations of a duration; a plain number or digit string is iterations. */
export function parseDuration(value: Duration, what = 'duration'): { epochs: number; iterations: number } {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0)
      throw new UserError(`${what} must be a whole number of iterations, got ${value}`);
    return { epochs: 0, iterations: value };
  }
  const s = value.trim();
  if (/^\d+$/.test(s)) return { epochs: 0, iterations: Number(s) };
  const m = PATTERN.exec(s);
  if (!s || !m) {
    throw new UserError(
      `${what} "${value}" is not a duration`,
      'give iterations (30000 or 30000it), epochs (160ep) or both (2ep500it)',
    );
  }
  return { epochs: Number(m[1] ?? 0), iterations: Number(m[2] ?? 0) };
}

/** Iterations in one epoch: whole batches of the training examples (at least 1). */
export function iterationsPerEpoch(trainingExamples: number, batchSize: number): number {
  return Math.max(1, Math.floor(trainingExamples / batchSize));
}

/** The iteration count of a duration. */
export function toIterations(value: Duration, perEpoch: number, what?: string): number {
  const d = parseDuration(value, what);
  return d.epochs * perEpoch + d.iterations;
}

/** What the duration settings were given as, when a unit was used (e.g. { iterations: '160ep' }). */
export type GivenDurations = Partial<Record<DurationKey, string | string[]>>;

/**
 * Replaces the duration strings of a request by iterations. `perEpoch` is called only when a string
 * needs it. Returns the converted request and the strings as given (empty when none were).
 */
export function resolveDurations<R extends Record<string, unknown>>(
  request: R,
  perEpoch: () => number,
): { request: R; given: GivenDurations } {
  const out: Record<string, unknown> = { ...request };
  const given: GivenDurations = {};
  const convert = (v: unknown, what: string): unknown =>
    typeof v === 'string' ? toIterations(v, /ep/.test(v) ? perEpoch() : 1, what) : v;
  for (const key of DURATION_KEYS) {
    const v = request[key];
    if (LIST_KEYS.has(key) && Array.isArray(v)) {
      if (v.some((x) => typeof x === 'string')) {
        (given as Record<string, string[]>)[key] = v.map(String);
        out[key] = v.map((x) => convert(x, key === 'milestones' ? 'milestone' : key));
      }
    } else if (typeof v === 'string' && !NAMED_POINTS.has(v)) {
      given[key] = v;
      out[key] = convert(v, key);
    }
  }
  return { request: out as R, given };
}
