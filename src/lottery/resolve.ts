/**
 * From what a user asked for (flags, a config file, a preset) to a fully resolved LotteryConfig: every
 * setting left out takes its default from the settings table — a constant, or the model's or the
 * dataset's value — so the stored config is complete. Also the run identity: the settings that change
 * results, less those at their defaults.
 */
import { datasetNamed } from '../data/registry.js';
import { modelNamed } from '../models/registry.js';
import type { ModelEntry } from '../models/types.js';
import { rateForTarget } from '../prune/index.js';
import type { DefaultContext } from '../spec/defaults.js';
import { inputShapeOf } from '../spec/defaults.js';
import { describeIssue } from '../spec/describe.js';
import { INPUT_SETTINGS, LOTTERY_SETTINGS } from '../spec/settings.js';
import { iterationsPerEpoch, resolveDurations } from '../spec/durations.js';
import {
  type Leaf,
  constantDefault,
  defaultOf,
  getPath,
  leafApplies,
  leavesOf,
  setPath,
  storedBaseline,
} from '../spec/table.js';
import { UserError } from '../util/errors.js';
import { type LotteryConfig, type LotteryRequest, lotteryConfigSchema } from './config.js';
import { checkSettingRules, modelFacts } from './setting-rules.js';
// the registries that provide the choices of `reset` and `controls` (prune's come with rateForTarget)
import './controls.js';
import './resets.js';
// the registries of the kept- and pruned-weights actions
import './actions/registry.js';
// the gradual schedules' names are --gradual's choices and checked here; train/gradual.ts uses them
import '../prune/sparsity-schedules/registry.js';

export type { LotteryRequest } from './config.js';

/** Every setting of a LotteryConfig with its path, in table order. */
export const CONFIG_LEAVES: readonly Leaf[] = leavesOf(LOTTERY_SETTINGS);

export function modelEntry(name: string): ModelEntry {
  return modelNamed(name);
}

/** The input shape a model sees for a dataset: MLPs take flat vectors, conv nets NCHW images. */
export function inputShapeFor(entry: ModelEntry, dataset: string): number[] {
  return inputShapeOf(entry.input, datasetNamed(dataset));
}

/** What the defaults of a run depend on: its model, dataset, optimizer and iterations. */
export function defaultContext(
  model: string,
  dataset?: string,
  optimizerKind?: string,
  iterations?: number,
): DefaultContext {
  const entry = modelNamed(model);
  const d = datasetNamed(dataset ?? entry.defaults.dataset);
  const kind = optimizerKind ?? entry.defaults.optimizer.kind;
  if (kind !== 'adam' && kind !== 'sgd') throw new UserError(`unknown optimizer "${kind}"`);
  return {
    model: { name: entry.name, input: entry.input, defaults: entry.defaults },
    dataset: {
      name: d.name,
      channels: d.channels,
      height: d.height,
      width: d.width,
      classes: d.classes,
      ...(d.defaultValidationSize !== undefined ? { defaultValidationSize: d.defaultValidationSize } : {}),
    },
    optimizerKind: kind,
    iterations: iterations ?? entry.defaults.iterations,
  };
}

const REQUEST_KEYS = new Map<string, Leaf>(CONFIG_LEAVES.map((l) => [l.setting.key, l]));

/** Checks each requested value against its setting, so a mistake names the setting. */
function checkRequest(req: LotteryRequest): void {
  for (const [key, value] of Object.entries(req)) {
    if (value === undefined) continue;
    const leaf = REQUEST_KEYS.get(key);
    const s = leaf?.setting ?? (INPUT_SETTINGS as Record<string, Leaf['setting'] | undefined>)[key];
    if (!s) throw new UserError(`unknown setting "${key}"`);
    if (s.derived) throw new UserError(`${key} cannot be set: it follows from the model and the dataset`);
    const parsed = s.schema.safeParse(value);
    if (!parsed.success) {
      throw new UserError(
        `invalid setting ${leaf ? leaf.path.join('.') : key}: ${describeIssue(parsed.error.issues[0], value)}`,
      );
    }
  }
}

/** Iterations in an epoch of the requested run: its training examples (less validation) per batch. */
function epochLength(req: LotteryRequest): number {
  const entry = modelNamed(req.model ?? constantDefault(LOTTERY_SETTINGS.model));
  const d = datasetNamed(req.dataset ?? entry.defaults.dataset);
  const validation =
    req.validationSize ??
    (defaultOf(LOTTERY_SETTINGS.validationSize, defaultContext(entry.name, d.name)) as number);
  return iterationsPerEpoch(d.trainCount - validation, req.batchSize ?? entry.defaults.batchSize);
}

export function resolveConfig(input: LotteryRequest): LotteryConfig {
  // durations in epochs become iterations first; the run records what was given (config.durations)
  const { request: req, given: givenDurations } = resolveDurations(input, () => epochLength(input));
  checkRequest(req);
  const model = req.model ?? constantDefault(LOTTERY_SETTINGS.model);
  const ctx = defaultContext(model, req.dataset, req.optimizer, req.iterations as number | undefined);
  const values = req as Record<string, unknown>;
  const config: Record<string, unknown> = {};
  for (const leaf of CONFIG_LEAVES) {
    if (!leafApplies(leaf, config)) continue;
    const value = values[leaf.setting.key] ?? defaultOf(leaf.setting, ctx);
    if (value !== undefined) setPath(config, leaf.path, structuredClone(value));
  }
  config.model = ctx.model.name;
  config.dataset = ctx.dataset.name;
  if (req.target !== undefined) applyTarget(config, req.target);
  if (Object.keys(givenDurations).length > 0) config.durations = givenDurations;
  const parsed = lotteryConfigSchema.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(`invalid setting ${issue.path.join('.')}: ${issue.message}`);
  }
  const c = parsed.data;
  // every setting either applies or is refused (the rules are declared in the settings table)
  const given = new Set(Object.keys(values).filter((k) => values[k] !== undefined));
  const rules = {
    config: c as Record<string, unknown>,
    model: modelFacts(modelNamed(c.model), c.inputShape, ctx.dataset.classes),
    dataset: { ...ctx.dataset, trainCount: datasetNamed(c.dataset).trainCount },
    given,
  };
  checkSettingRules(CONFIG_LEAVES, c as Record<string, unknown>, values, rules, ctx);
  // where a setting with a former rule (absentMeans) has no effect, the run stores that rule, as runs
  // stored before the setting existed do: runs it cannot change keep their identity
  for (const leaf of CONFIG_LEAVES) {
    const meant: unknown = leaf.setting.absentMeans;
    if (meant === undefined || !leafApplies(leaf, c)) continue;
    if (!leaf.setting.appliesWhen.every((cond) => cond.holds(rules)))
      setPath(c as Record<string, unknown>, leaf.path, structuredClone(meant));
  }
  if (c.evalEvery > c.iterations) c.evalEvery = c.iterations;
  return c;
}

/** Every pruned kind's rate becomes p = 1 − target^(1/levels), so `levels` levels leave `target`. */
function applyTarget(config: Record<string, unknown>, target: number): void {
  if (!(target > 0 && target <= 1)) {
    throw new UserError(`--target must be a fraction of weights remaining in (0, 1], got ${target}`);
  }
  const levels = config.levels as number;
  if (levels < 1) throw new UserError('--target needs at least one level (--levels 1 for one-shot)');
  const p = rateForTarget(1 - target, levels);
  const rates = getPath(config, ['pruning', 'rates']) as Record<string, number>;
  for (const kind of Object.keys(rates)) rates[kind] = p;
}

/** The settings that change a unit's results and apply to `config`, with their paths and values. */
function resultLeaves(config: LotteryConfig): { leaf: Leaf; path: string; value: unknown }[] {
  return CONFIG_LEAVES.filter((leaf) => leaf.setting.affectsResults && leafApplies(leaf, config)).map(
    (leaf) => ({ leaf, path: leaf.path.join('.'), value: getPath(config, leaf.path) }),
  );
}

/**
 * Every result-affecting setting with its value, defaults included. The run's name (runIdentity)
 * leaves defaults out so that a new setting renames nothing; comparing these catches the other side
 * of that choice: a model whose defaults changed since a run was made.
 */
export function resultSettings(config: LotteryConfig): Record<string, unknown> {
  return Object.fromEntries(resultLeaves(config).map(({ path, value }) => [path, value]));
}

/**
 * The run identity: the settings that change a unit's results, keyed by path, leaving out those at
 * their default for the run's model and dataset (the model is always in) — or, for a setting whose
 * default differs from what runs did before it existed (absentMeans), at that former value. Levels, trials, controls,
 * checkpointing and threads are not in it, so more of them reuse the units already done; a new
 * setting whose default changes nothing leaves every identity as it was.
 */
export function runIdentity(config: LotteryConfig): Record<string, unknown> {
  const ctx = defaultContext(config.model, config.dataset, config.optimizer.kind, config.iterations);
  const identity: Record<string, unknown> = { model: config.model };
  for (const { leaf, path, value } of resultLeaves(config)) {
    if (path === 'model' || sameValue(value, storedBaseline(leaf.setting, ctx))) continue;
    identity[path] = value;
  }
  // an imported image folder's name says nothing of its content: the stored tensors' digest does
  const digest = datasetNamed(config.dataset).digest;
  if (digest !== undefined) identity.datasetContent = digest;
  return identity;
}

function sameValue(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
