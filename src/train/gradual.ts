/**
 * Pruning during one training run (fasterai's SparsifyCallback, v0.2.4): a registered sparsity
 * schedule gives the target sparsity at every iteration inside a window of training; whenever it
 * changes (or every `every` iterations), each pool of the registered scope is pruned to it by the
 * registered criterion. Sparsity is cumulative: weights pruned earlier stay pruned (only a falling
 * schedule, dsd, lets weights grow back, at 0). After each pruning step the survivors can be reset to
 * θ₀ (`lth`) or to θ_k (`rewind`), and at the end the final mask can be put on θ₀ (`resetEnd`).
 *
 * Differences from fasterai, on purpose: counts follow ticketlab's rounding rule (round half up of
 * s × pool size) instead of a quantile threshold, so a layer keeps exactly what the schedule says;
 * every parameter (biases too) is reset, not only modules' `.weight`; the schedule's position is
 * iteration / iterations (fasterai rounds it to 3 decimals); pruning happens after a step, not before.
 */
import { criterionNamed } from '../prune/criteria/registry.js';
import { countOnes } from '../prune/count.js';
import { checkApplies } from '../prune/granularities/layout.js';
import { granularityNamed, isPerWeight } from '../prune/granularities/registry.js';
import { nmMasksAtSparsity, poolCounter } from '../prune/granularities/sparsity.js';
import { layerSize, pruneMasks } from '../prune/masks.js';
import { scopeNamed } from '../prune/scopes/registry.js';
import {
  type ScheduleWindow,
  sparsityAtFraction,
  sparsityScheduleNamed,
} from '../prune/sparsity-schedules/registry.js';
import { prunedCount } from '../prune/schedule.js';
import { LAYER_KINDS, type Masks, type PrunableLayer, type PruneRates } from '../prune/types.js';
import type { TrainingEngine } from '../engine/engine.js';
import { UserError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { evaluateAll } from './callbacks.js';
import type { TrainCallback, TrainContext, WeightSnapshot } from './types.js';

export type GradualReset = 'none' | 'lth' | 'rewind';
/** What BatchNorm gets on a reset: its initial values (fasterai) or the snapshot's values. */
export type BatchNormReset = 'reinit' | 'rewind';

export interface GradualOptions {
  /** A registered sparsity schedule (`sparsityScheduleNames()`). */
  schedule: string;
  /** The sparsity the schedule ends at (fraction pruned of the pruned layers, per pool). */
  sparsity: number;
  /** Sparsity before the window (default 0). */
  initialSparsity?: number;
  /** Window as fractions of training (default: the schedule's start, and 1). */
  start?: number;
  end?: number;
  /** Steps of the iterative schedule (default 3). */
  steps?: number;
  /** Prune only every this many iterations (0 = whenever the schedule's value changes). */
  every?: number;
  /** The layers pruned during training. */
  layers: PrunableLayer[];
  /** Registered criterion and scope (as `pruning.strategy`, `pruning.scope`). */
  strategy: string;
  scope: string;
  /** What is pruned together (`granularityNamed`; default weight). */
  granularity?: string;
  globalLayers?: string[];
  /** Seed of random criteria. */
  seed: number;
  reset?: GradualReset;
  /** The iteration θ_k is taken at (reset 'rewind'); must be no later than the first pruning step. */
  rewindIteration?: number;
  batchNorm?: BatchNormReset;
  /** Put the final mask on θ₀ at the end and evaluate it untrained (fasterai's reset_end). */
  resetEnd?: boolean;
  /** With resetEnd: put the trained weights back after that evaluation (a lottery unit keeps them). */
  keepTrained?: boolean;
  /** θ₀ (default: the engine's weights and buffers at iteration 0). */
  initial?: WeightSnapshot;
  /** Told after every pruning step (progress output). */
  onPrune?(event: PruneEvent): void;
}

export interface LayerSparsity {
  layer: string;
  kept: number;
  total: number;
}

export interface PruneEvent {
  iteration: number;
  /** The schedule's sparsity at this iteration. */
  target: number;
  layers: LayerSparsity[];
  /** Which weights the survivors were reset to, if any. */
  reset?: 'theta0' | 'rewind';
}

export interface GradualPruning extends TrainCallback {
  readonly events: readonly PruneEvent[];
  /** The reset_end evaluation of the final mask on θ₀, before any training. */
  readonly resetEndAccuracy: { validation: number; test: number } | null;
}

/** The name of the record of one layer's sparsity (fraction pruned) in TrainResult.records. */
export const sparsityRecord = (layer: string): string => `sparsity:${layer}`;

/** Settings that cannot work, refused before training (one message each). */
export function checkGradualOptions(o: GradualOptions, iterations: number): void {
  sparsityScheduleNamed(o.schedule);
  scopeNamed(o.scope);
  const criterion = criterionNamed(o.strategy);
  if (criterion.needs?.includes('gradient'))
    throw new UserError(
      `pruning criterion "${o.strategy}" needs the gradient at θ₀, which pruning during training does not compute`,
      'choose a criterion that scores weights (large_final, movement, …)',
    );
  if (criterion.needs?.includes('rewind') && o.reset !== 'rewind')
    throw new UserError(
      `pruning criterion "${o.strategy}" needs θ_k, which is only taken with --gradual-reset rewind`,
      'choose another criterion, or rewind',
    );
  if (!(o.sparsity >= 0 && o.sparsity < 1))
    throw new UserError(`gradual sparsity must be in [0, 1), got ${o.sparsity}`);
  if (o.reset === 'rewind') {
    if (o.rewindIteration === undefined)
      throw new UserError(
        '--gradual-reset rewind needs the iteration to rewind to',
        'add --gradual-rewind-iteration k (or 1ep)',
      );
    const first = firstPruneIteration(o, iterations);
    if (first !== undefined && o.rewindIteration > first)
      throw new UserError(
        `θ_k is taken at iteration ${o.rewindIteration}, after the first pruning step (iteration ${first})`,
        'rewind to an iteration no later than the start of the pruning window (fasterai asserts the same)',
      );
  }
  if (o.layers.length === 0)
    throw new UserError('pruning during training found no layers of the chosen kinds to prune');
  checkGranularity(o);
}

/** The granularity applies to every pruned layer, and N:M ends where the schedule does. */
function checkGranularity(o: GradualOptions): void {
  const granularity = granularityNamed(o.granularity ?? 'weight');
  if (isPerWeight(granularity)) return;
  for (const layer of o.layers) checkApplies(granularity, layer);
  const nm = granularity.nm;
  if (nm && prunedCount(o.sparsity, nm.m) !== nm.m - nm.n)
    throw new UserError(
      `--granularity ${granularity.name} prunes ${nm.m - nm.n} of every ${nm.m} weights, and the gradual sparsity is ${o.sparsity}`,
      `add --gradual-sparsity ${Number(((nm.m - nm.n) / nm.m).toFixed(4))}`,
    );
}

const windowOf = (o: GradualOptions): ScheduleWindow => ({
  start: o.start ?? sparsityScheduleNamed(o.schedule).defaultStart,
  end: o.end ?? 1,
});
const shapeOf = (o: GradualOptions) => ({
  initial: o.initialSparsity ?? 0,
  final: o.sparsity,
  steps: o.steps ?? 3,
});

/** The schedule's target sparsity after `iteration` of `iterations` steps. */
export function gradualTarget(o: GradualOptions, iteration: number, iterations: number): number {
  return sparsityAtFraction(
    sparsityScheduleNamed(o.schedule),
    iteration / iterations,
    windowOf(o),
    shapeOf(o),
  );
}

/** Whether `iteration` may prune (every N iterations when `every` is set). */
const mayPrune = (o: GradualOptions, iteration: number) =>
  iteration > 0 && (!o.every || iteration % o.every === 0);

/** The first iteration whose target differs from the initial sparsity, if any. */
export function firstPruneIteration(o: GradualOptions, iterations: number): number | undefined {
  const initial = o.initialSparsity ?? 0;
  for (let i = 1; i <= iterations; i++)
    if (mayPrune(o, i) && gradualTarget(o, i, iterations) !== initial) return i;
  return undefined;
}

/**
 * New masks with each pool pruned to `target` (a fraction of the pool, rounded half up, in the
 * granularity's units: weights, or groups of them): more units pruned by the criterion among the
 * survivors, or (a falling schedule) the first pruned units of the pool grown back. N:M instead brings
 * every block to the schedule's share of M (see `nmMasksAtSparsity`). Returns null when no count changes.
 */
export function masksAtSparsity(
  o: Pick<GradualOptions, 'strategy' | 'scope' | 'globalLayers' | 'layers' | 'granularity'>,
  target: number,
  weights: Map<string, Float32Array>,
  masks: Masks,
  sources: { initial?: Map<string, Float32Array>; rewind?: Map<string, Float32Array> },
  rng: Rng,
): Masks | null {
  const granularity = granularityNamed(o.granularity ?? 'weight');
  if (granularity.nm)
    return nmMasksAtSparsity(
      { strategy: o.strategy, layers: o.layers, nm: granularity.nm },
      target,
      weights,
      masks,
      { initial: sources.initial, rewind: sources.rewind },
      rng,
    );
  const counter = poolCounter(granularity);
  const everyKind = Object.fromEntries(LAYER_KINDS.map((k) => [k, 0.5])) as PruneRates;
  const pools = scopeNamed(o.scope).pools(o.layers, {
    strategy: o.strategy,
    scope: o.scope,
    rates: everyKind,
    globalLayers: o.globalLayers,
  });
  let out: Masks | null = null;
  for (const pool of pools) {
    const { total, kept } = counter.sizes(pool.layers, out ?? masks);
    const wanted = prunedCount(target, total);
    const pruned = total - kept;
    if (wanted === pruned) continue;
    // the input's arrays until a pool changes them: pruneMasks returns new ones, regrow gets copies
    out ??= new Map(masks);
    if (wanted < pruned) {
      for (const l of pool.layers) out.set(l.name, out.get(l.name)!.slice());
      counter.regrow(pool.layers, out, pruned - wanted);
      continue;
    }
    const rate = (wanted - pruned) / kept;
    const rates = Object.fromEntries(LAYER_KINDS.map((k) => [k, Math.min(1, rate)])) as PruneRates;
    // only the pool's masks: pruneMasks copies every mask it is given
    const next = pruneMasks(
      pool.layers,
      weights,
      new Map(pool.layers.map((l) => [l.name, out!.get(l.name)!])),
      {
        strategy: o.strategy,
        scope: pool.layers.length === 1 ? 'layerwise' : 'global',
        rates,
        globalLayers: pool.layers.map((l) => l.name),
        sources: { initial: sources.initial, rewind: sources.rewind },
        ...(o.granularity ? { granularity: o.granularity } : {}),
      },
      rng,
    );
    for (const l of pool.layers) out.set(l.name, next.get(l.name)!);
  }
  if (out) for (const [name, m] of out) if (m === masks.get(name)) out.set(name, m.slice());
  return out;
}

function layerSparsity(layers: PrunableLayer[], masks: Masks): LayerSparsity[] {
  return layers.map((l) => ({ layer: l.name, kept: countOnes(masks.get(l.name)!), total: layerSize(l) }));
}

/**
 * Survivors to `source`'s values (the mask zeroes the pruned ones); BatchNorm's γ, β and running
 * statistics to θ₀ / their initial values ('reinit') or to `source` ('rewind').
 */
function resetTo(
  engine: TrainingEngine,
  source: WeightSnapshot,
  initial: WeightSnapshot,
  bn: BatchNormReset,
): void {
  const weights = new Map<string, Float32Array>();
  for (const p of engine.params) {
    const isBn = p.role === 'bn_scale' || p.role === 'bn_shift';
    weights.set(p.name, (isBn && bn === 'reinit' ? initial : source).weights.get(p.name)!);
  }
  const buffers = new Map<string, Float32Array>();
  for (const b of engine.buffers)
    buffers.set(
      b.name,
      bn === 'reinit'
        ? new Float32Array(b.shape.reduce((a, c) => a * c, 1)).fill(b.init)
        : source.buffers.get(b.name)!,
    );
  engine.setWeights(weights, buffers);
}

const PREFIX = { initial: 'theta0/', rewind: 'rewind/' } as const;

/** The gradual-pruning callback (name `gradual`); see the file comment. */
export function gradualPruning(o: GradualOptions): GradualPruning {
  let applied = o.initialSparsity ?? 0;
  let initial: WeightSnapshot | null = o.initial ?? null;
  let rewind: WeightSnapshot | null = null;
  const events: PruneEvent[] = [];
  let resetEndAccuracy: GradualPruning['resetEndAccuracy'] = null;
  let checked = false;
  const take = (engine: TrainingEngine): WeightSnapshot => ({
    weights: engine.getWeights(),
    buffers: engine.getBuffers(),
  });
  const recordLayers = (ctx: TrainContext, masks: Masks) => {
    for (const s of layerSparsity(o.layers, masks)) ctx.record(sparsityRecord(s.layer), 1 - s.kept / s.total);
  };

  return {
    name: 'gradual',
    get events() {
      return events;
    },
    get resetEndAccuracy() {
      return resetEndAccuracy;
    },
    async onIteration(iteration, ctx) {
      const { engine, options } = ctx;
      if (!checked) {
        checkGradualOptions(o, options.iterations);
        checked = true;
      }
      if (iteration === 0) {
        initial ??= take(engine);
        recordLayers(ctx, engine.getMasks());
      }
      if (o.reset === 'rewind' && iteration === o.rewindIteration) rewind = take(engine);
      if (!mayPrune(o, iteration)) return;
      const target = gradualTarget(o, iteration, options.iterations);
      if (target === applied) return;
      applied = target;
      // views of θ and of the masks, read before setMasks changes them: no copies
      const masks = engine.maskViews();
      const next = masksAtSparsity(
        o,
        target,
        engine.weightViews(),
        masks,
        { initial: initial?.weights, rewind: rewind?.weights },
        Rng.derive(o.seed, 'gradual', iteration),
      );
      if (!next) return;
      await engine.setMasks(next, { reusePrograms: true });
      const event: PruneEvent = { iteration, target, layers: layerSparsity(o.layers, next) };
      if (o.reset === 'lth' || o.reset === 'rewind') {
        const source = o.reset === 'lth' ? initial! : rewind!;
        resetTo(engine, source, initial!, o.batchNorm ?? 'reinit');
        event.reset = o.reset === 'lth' ? 'theta0' : 'rewind';
      }
      events.push(event);
      recordLayers(ctx, next);
      o.onPrune?.(event);
    },
    async onEnd(_iteration, ctx) {
      if (!o.resetEnd || !initial) return;
      const trained = o.keepTrained ? take(ctx.engine) : null;
      resetTo(ctx.engine, initial, initial, 'reinit');
      const point = await evaluateAll(ctx.engine, ctx.data, _iteration);
      if (trained) ctx.engine.setWeights(trained.weights, trained.buffers);
      resetEndAccuracy = { validation: point.validationAccuracy, test: point.testAccuracy };
      ctx.record('reset_end:validation_accuracy', point.validationAccuracy);
      ctx.record('reset_end:test_accuracy', point.testAccuracy);
    },
    save(c) {
      const tensors = new Map<string, Float32Array>();
      const put = (prefix: string, s: WeightSnapshot | null) => {
        if (!s) return;
        for (const [k, v] of s.weights) tensors.set(`${prefix}w/${k}`, v);
        for (const [k, v] of s.buffers) tensors.set(`${prefix}b/${k}`, v);
      };
      put(PREFIX.initial, o.initial ? null : initial);
      put(PREFIX.rewind, rewind);
      c.callbacks ??= {};
      c.callbacks.gradual = { json: { applied, events: structuredClone(events) }, tensors };
    },
    restore(c) {
      const state = c.callbacks?.gradual;
      if (!state) return;
      const json = state.json as { applied: number; events: PruneEvent[] };
      applied = json.applied;
      events.splice(0, events.length, ...json.events);
      const take = (prefix: string): WeightSnapshot | null => {
        const weights = new Map<string, Float32Array>();
        const buffers = new Map<string, Float32Array>();
        for (const [k, v] of state.tensors ?? []) {
          if (k.startsWith(`${prefix}w/`)) weights.set(k.slice(prefix.length + 2), v);
          if (k.startsWith(`${prefix}b/`)) buffers.set(k.slice(prefix.length + 2), v);
        }
        return weights.size ? { weights, buffers } : null;
      };
      if (!o.initial) initial = take(PREFIX.initial);
      rewind = take(PREFIX.rewind);
    },
  };
}
