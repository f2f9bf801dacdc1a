/**
 * When a setting has an effect, and which of its values make no sense: declared with the setting in
 * the settings table (settings.ts), checked when a request is resolved (lottery/resolve.ts) and shown
 * in docs/settings.md. A setting given explicitly where it has no effect is refused rather than
 * recorded as if it had been applied (`--dropout` on a network without dropout layers, `--momentum`
 * with Adam, a rate beside `--target`).
 */
import type { DatasetShape } from './defaults.js';
import type { LayerKind } from './layers.js';

/** What a rule may look at: the resolved configuration, facts of the model and dataset, what was given. */
export interface RuleContext {
  /** The resolved configuration, every setting at its value. */
  config: Record<string, unknown>;
  /**
   * The model as built for the dataset: its prunable layer kinds, whether it has dropout layers and
   * whether it has BatchNorm layers (left out: unknown, taken as none).
   */
  model: { name: string; layerKinds: readonly LayerKind[]; dropout: boolean; batchNorm?: boolean };
  dataset: DatasetShape;
  /** Keys of the settings given explicitly (a flag, a config file, a preset, an API request). */
  given: ReadonlySet<string>;
}

export interface AppliesWhen {
  /** The condition in words, for the docs and errors, e.g. `optimizer.kind is sgd`. */
  readonly text: string;
  readonly holds: (ctx: RuleContext) => boolean;
  /** Why it does not hold in this configuration, e.g. `lenet300 has no dropout layers`. */
  readonly why: (ctx: RuleContext) => string;
  /** What to do instead, e.g. `add --optimizer sgd`. */
  readonly fix: string;
}

/** A value the setting's schema allows but that makes no sense (with the rest of the configuration). */
export interface Refusal<T = unknown> {
  /** What is refused, in words for the docs, e.g. `larger than the training set`. */
  readonly text: string;
  readonly refuses: (value: T, ctx: RuleContext) => boolean;
  /** Why, in words that follow the setting and its value, e.g. `prunes every remaining weight`. */
  readonly why: (value: T, ctx: RuleContext) => string;
  readonly fix: (value: T, ctx: RuleContext) => string;
}

const valueAt = (config: Record<string, unknown>, path: string): unknown =>
  path
    .split('.')
    .reduce<unknown>(
      (v, p) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined),
      config,
    );

/** Applies when the setting at `path` (e.g. `reset`) has one of `values`. */
export function whenSetting(path: string, values: readonly string[], fix: string): AppliesWhen {
  const list =
    values.length > 1 ? `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}` : values[0];
  const text = `${path} is ${list}`;
  return {
    text,
    holds: (ctx) => values.includes(String(valueAt(ctx.config, path))),
    why: (ctx) => `${path} is ${String(valueAt(ctx.config, path))}`,
    fix,
  };
}

/** Applies when the list setting at `path` is not empty (e.g. `--gamma` needs `--milestones`). */
export function whenNotEmpty(path: string, fix: string): AppliesWhen {
  return {
    text: `${path} is not empty`,
    holds: (ctx) => {
      const v = valueAt(ctx.config, path);
      return Array.isArray(v) && v.length > 0;
    },
    why: () => `${path} is empty`,
    fix,
  };
}

/** Applies unless the setting `key` was given (it overrides this one, e.g. `--target` sets every rate). */
export function unlessGiven(key: string, overrides: string, fix: string): AppliesWhen {
  return { text: `${key} is not given`, holds: (ctx) => !ctx.given.has(key), why: () => overrides, fix };
}

/** Applies when the model (as built for the dataset) has what `holds` asks for. */
export function whenModel(
  text: string,
  holds: (model: RuleContext['model']) => boolean,
  why: (model: RuleContext['model']) => string,
  fix: string,
): AppliesWhen {
  return { text, holds: (ctx) => holds(ctx.model), why: (ctx) => why(ctx.model), fix };
}

/** Applies when the dataset has what `holds` asks for. */
export function whenDataset(
  text: string,
  holds: (dataset: DatasetShape) => boolean,
  why: (dataset: DatasetShape) => string,
  fix: string,
): AppliesWhen {
  return { text, holds: (ctx) => holds(ctx.dataset), why: (ctx) => why(ctx.dataset), fix };
}

/** Training examples left once the validation examples are held out (undefined: size unknown). */
export function trainingExamples(ctx: RuleContext): number | undefined {
  const total = ctx.dataset.trainCount;
  return total === undefined ? undefined : total - Number(ctx.config.validationSize);
}
