/**
 * Early-bird tickets (You et al., ICLR 2020; GATECH-EIC/Early-Bird-Tickets main.py): at the start of
 * every epoch (epoch 0 = the initialization, before any step) the channel mask of prune ratio p is
 * drawn from the BatchNorm scales — all BatchNorm |γ| pooled, sorted ascending, thre = sorted[⌊total·p⌋],
 * kept = |γ| > thre — and pushed into a first-in-first-out window of the last 5. Once the window is
 * full, the distance of the newest mask to each of the 4 others is the normalized Hamming distance
 * 1 − #(equal entries)/C; an early-bird ticket is found when all 4 are at most ε = 0.1. The earliest
 * possible is epoch 4. Several ratios are watched at once (the reference watches 0.3, 0.5 and 0.7);
 * training stops when the chosen one fires.
 */
import { referenceThreshold } from '../prune/structured/select.js';
import type { TrainCallback, TrainContext } from './types.js';

export const EARLY_BIRD_RATIOS = [0.3, 0.5, 0.7] as const;

/** Normalized Hamming distance: the fraction of entries where two masks differ. */
export function maskDistance(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`masks of ${a.length} and ${b.length} entries`);
  let differ = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differ++;
  return a.length === 0 ? 0 : differ / a.length;
}

/** The last `size` masks, oldest first, and whether the newest is within ε of every other. */
export class MaskWindow {
  readonly masks: Uint8Array[] = [];
  readonly epochs: number[] = [];

  constructor(
    readonly size = 5,
    readonly epsilon = 0.1,
  ) {}

  push(epoch: number, mask: Uint8Array): void {
    this.masks.push(mask);
    this.epochs.push(epoch);
    if (this.masks.length > this.size) {
      this.masks.shift();
      this.epochs.shift();
    }
  }

  get full(): boolean {
    return this.masks.length === this.size;
  }

  /** Distances of the newest mask to each older one in the window (oldest first). */
  newestDistances(): number[] {
    const newest = this.masks.at(-1)!;
    return this.masks.slice(0, -1).map((m) => maskDistance(newest, m));
  }

  /** An early bird: the window is full and the newest mask is within ε of each of the others. */
  converged(): boolean {
    return this.full && this.newestDistances().every((d) => d <= this.epsilon);
  }

  /** Every pairwise distance in the window (the reference's plotted matrix). */
  matrix(): number[][] {
    return this.masks.map((a) => this.masks.map((b) => maskDistance(a, b)));
  }
}

/** The Early-Bird channel mask of ratio p over every BatchNorm γ of the engine (no channel kept by force). */
export function bnChannelMask(gammas: Float32Array[], ratio: number): Uint8Array {
  const all = new Float32Array(gammas.reduce((n, g) => n + g.length, 0));
  let o = 0;
  for (const g of gammas) for (const v of g) all[o++] = Math.abs(v);
  const thre = referenceThreshold(all, ratio);
  return Uint8Array.from(all, (v) => (v > thre ? 1 : 0));
}

/** The BatchNorm scales of the engine's model, in declaration order. */
export function engineGammas({ engine }: TrainContext): Float32Array[] {
  return engine.params.filter((p) => p.role === 'bn_scale').map((p) => engine.getParam(p.name));
}

export interface EarlyBirdFound {
  ratio: number;
  /** The epoch whose start (before its training) the ticket was drawn at. */
  epoch: number;
  iteration: number;
  mask: number[];
  /** The window's distance matrix when it fired (oldest mask first), and its epochs. */
  matrix: number[][];
  epochs: number[];
}

export interface EarlyBirdOptions {
  /** Steps per epoch: masks are drawn at iterations 0, e, 2e, … */
  epochIterations: number;
  ratios?: readonly number[];
  /** Stop training when this ratio's ticket is found (undefined: only record). */
  stopAt?: number;
  window?: number;
  epsilon?: number;
  /** The BatchNorm scales (replaceable for tests with synthetic masks). */
  gammas?: (context: TrainContext) => Float32Array[];
  /** The mask of ratio p from the scales (replaceable for tests). */
  maskOf?: (gammas: Float32Array[], ratio: number, epoch: number) => Uint8Array;
}

export interface EarlyBirdDetector extends TrainCallback {
  /** The first early-bird ticket of each ratio found so far. */
  readonly found: ReadonlyMap<number, EarlyBirdFound>;
  /** The current window of each ratio. */
  readonly windows: ReadonlyMap<number, MaskWindow>;
}

/** The detector as a trainer callback; records `early-bird:<p>:max-distance` at every epoch once full. */
export function earlyBirdDetector(options: EarlyBirdOptions): EarlyBirdDetector {
  const ratios = options.ratios ?? EARLY_BIRD_RATIOS;
  if (options.stopAt !== undefined && !ratios.includes(options.stopAt))
    throw new Error(`early bird: stop ratio ${options.stopAt} is not among ${ratios.join(', ')}`);
  if (!(options.epochIterations >= 1)) throw new Error('early bird: epochIterations must be at least 1');
  const fresh = () =>
    new Map(ratios.map((p) => [p, new MaskWindow(options.window ?? 5, options.epsilon ?? 0.1)]));
  let windows = fresh();
  const found = new Map<number, EarlyBirdFound>();
  const gammasOf = options.gammas ?? engineGammas;
  const maskOf = options.maskOf ?? ((g: Float32Array[], p: number) => bnChannelMask(g, p));
  return {
    name: 'early-bird',
    found,
    get windows() {
      return windows;
    },
    onIteration(iteration, context) {
      if (iteration % options.epochIterations !== 0) return 'continue';
      const epoch = iteration / options.epochIterations;
      const gammas = gammasOf(context);
      for (const p of ratios) {
        const w = windows.get(p)!;
        w.push(epoch, maskOf(gammas, p, epoch));
        if (w.full) context.record(`early-bird:${p}:max-distance`, Math.max(...w.newestDistances()));
        if (!found.has(p) && w.converged())
          found.set(p, {
            ratio: p,
            epoch,
            iteration,
            mask: [...w.masks.at(-1)!],
            matrix: w.matrix(),
            epochs: [...w.epochs],
          });
      }
      return options.stopAt !== undefined && found.get(options.stopAt)?.iteration === iteration
        ? 'stop'
        : 'continue';
    },
    save(checkpoint) {
      checkpoint.callbacks ??= {};
      checkpoint.callbacks['early-bird'] = {
        json: {
          found: [...found.values()],
          windows: [...windows].map(([p, w]) => ({ p, epochs: w.epochs, masks: w.masks.map((m) => [...m]) })),
        },
      };
    },
    restore(checkpoint) {
      windows = fresh();
      found.clear();
      const state = checkpoint.callbacks?.['early-bird']?.json as
        | { found: EarlyBirdFound[]; windows: { p: number; epochs: number[]; masks: number[][] }[] }
        | undefined;
      if (!state) return;
      for (const f of state.found) found.set(f.ratio, f);
      for (const { p, epochs, masks } of state.windows)
        masks.forEach((m, i) => windows.get(p)?.push(epochs[i], Uint8Array.from(m)));
    },
  };
}
