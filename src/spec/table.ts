/**
 * The machinery of the settings table (the table itself is settings.ts). A setting is declared once,
 * with its validation, default, flag, help and whether it affects results; its position in a nested
 * table is its path in the configuration. From the table come the zod schema and TypeScript type of
 * the configuration, the flat request type, the CLI flags, the settings reference and the run identity.
 */
import { z } from 'zod';
import type { DefaultContext } from './defaults.js';
import type { AppliesWhen, Refusal } from './rules.js';

export type CommandName = 'train' | 'lottery' | 'reproduce';

/** Where a setting's default comes from: a constant, or the model or dataset of the run. */
export type Default<T> =
  | { kind: 'constant'; value: T }
  | { kind: 'derived'; from: 'model' | 'dataset'; value: (ctx: DefaultContext) => T | undefined };

export interface Setting<T = unknown, K extends string = string, O extends boolean = boolean> {
  readonly node: 'setting';
  /** The setting's flat name: its key in a request (presets, `resolveConfig`). */
  readonly key: K;
  /** May be absent from a configuration (e.g. the conv rate of a network without conv layers). */
  readonly optional: O;
  readonly schema: z.ZodType<T>;
  readonly default: Default<T>;
  readonly help: string;
  /** Commander flag, e.g. `--lr <rate>`; none: settable only in a config file. */
  readonly flag?: string;
  /** Commands that take the flag. */
  readonly commands: readonly CommandName[];
  /** Changes a unit's results, so it is part of the run identity. */
  readonly affectsResults: boolean;
  /** Computed from other settings, never given (the input shape). */
  readonly derived: boolean;
  /** The valid values are the names in a registry (checked when resolving). */
  readonly choicesFrom?: 'models' | 'datasets';
  /** When it has an effect (all must hold); given explicitly where it has none, it is refused (rules.ts). */
  readonly appliesWhen: readonly AppliesWhen[];
  /** Must be given explicitly whenever it applies: no default makes sense (k of `--reset rewind`). */
  readonly requiredWhenApplies: boolean;
  /** Values the schema allows that make no sense with the rest of the configuration. */
  readonly refuse: readonly Refusal<T>[];
  /**
   * For a setting whose default is not what runs did before it existed (the warmup rule): the value a
   * configuration stored without it meant. It fills such configurations, the run identity leaves out
   * this value (not the default), so old runs keep their names and new runs at the default get new
   * ones, and it is the value stored where the setting does not apply (so those runs keep theirs too).
   */
  readonly absentMeans?: T;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySetting = Setting<any, string, boolean>;

export interface Group<C extends Shape = Shape> {
  readonly node: 'group';
  readonly children: C;
}

/** One object among variants told apart by a discriminator setting (the optimizer's `kind`). */
export interface OneOf<
  D extends string = string,
  KS extends AnySetting = AnySetting,
  C extends Shape = Shape,
  V extends Record<string, Shape> = Record<string, Shape>,
> {
  readonly node: 'oneOf';
  readonly discriminator: D;
  readonly kind: KS;
  readonly common: C;
  readonly variants: V;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Node = AnySetting | Group<any> | OneOf<any, any, any, any>;
export type Shape = { readonly [name: string]: Node };

export interface SettingInit<T, K extends string, O extends boolean> {
  key: K;
  schema: z.ZodType<T>;
  /** A constant (any plain value), or fromModel()/fromDataset(). */
  default: NoInfer<T> | Default<NoInfer<T>> | (O extends true ? undefined : never);
  help: string;
  optional?: O;
  flag?: string;
  commands?: readonly CommandName[];
  affectsResults: boolean;
  derived?: boolean;
  choicesFrom?: 'models' | 'datasets';
  appliesWhen?: AppliesWhen | readonly AppliesWhen[];
  requiredWhenApplies?: boolean;
  refuse?: readonly Refusal<NoInfer<T>>[];
  absentMeans?: NoInfer<T>;
}

function isDefault<T>(d: unknown): d is Default<T> {
  return (
    typeof d === 'object' && d !== null && 'kind' in d && (d.kind === 'constant' || d.kind === 'derived')
  );
}

export function setting<T, const K extends string, const O extends boolean = false>(
  init: SettingInit<T, K, O>,
): Setting<T, K, O> {
  return {
    node: 'setting',
    key: init.key,
    optional: (init.optional ?? false) as O,
    schema: init.schema,
    default: isDefault<T>(init.default) ? init.default : { kind: 'constant', value: init.default as T },
    help: init.help,
    flag: init.flag,
    commands: init.commands ?? (init.flag ? ['train', 'lottery'] : []),
    affectsResults: init.affectsResults,
    derived: init.derived ?? false,
    choicesFrom: init.choicesFrom,
    appliesWhen: init.appliesWhen === undefined ? [] : [init.appliesWhen].flat(),
    requiredWhenApplies: init.requiredWhenApplies ?? false,
    refuse: init.refuse ?? [],
    ...(init.absentMeans !== undefined ? { absentMeans: init.absentMeans } : {}),
  };
}

export const fromModel = <T>(value: (ctx: DefaultContext) => T | undefined): Default<T> => ({
  kind: 'derived',
  from: 'model',
  value,
});
export const fromDataset = <T>(value: (ctx: DefaultContext) => T | undefined): Default<T> => ({
  kind: 'derived',
  from: 'dataset',
  value,
});

export const group = <const C extends Shape>(children: C): Group<C> => ({ node: 'group', children });

export function oneOf<
  const D extends string,
  KS extends AnySetting,
  const C extends Shape,
  const V extends Record<string, Shape>,
>(discriminator: D, kind: KS, common: C, variants: V): OneOf<D, KS, C, V> {
  return { node: 'oneOf', discriminator, kind, common, variants };
}

// ---- types derived from a table ----

type Simplify<T> = { [K in keyof T]: T[K] } & {};
// The types below match on the `node` tag and read a setting's type with z.output: structural matches
// against zod's deep types would exceed the compiler's instantiation depth.
type OptionalKeys<C extends Shape> = {
  [K in keyof C]: C[K] extends { node: 'setting'; optional: true } ? K : never;
}[keyof C];

/** The configuration value a table (shape) describes. */
export type ShapeValue<C extends Shape> = Simplify<
  { -readonly [K in Exclude<keyof C, OptionalKeys<C>>]: ValueOf<C[K]> } & {
    -readonly [K in OptionalKeys<C>]?: ValueOf<C[K]>;
  }
>;

export type ValueOf<N> = N extends { node: 'setting'; schema: infer S extends z.ZodType }
  ? z.output<S>
  : N extends { node: 'group'; children: infer C extends Shape }
    ? ShapeValue<C>
    : N extends {
          node: 'oneOf';
          discriminator: infer D extends string;
          common: infer C extends Shape;
          variants: infer V extends Record<string, Shape>;
        }
      ? { [VK in keyof V & string]: Simplify<{ [P in D]: VK } & ShapeValue<C> & ShapeValue<V[VK]>> }[keyof V &
          string]
      : never;

type LeavesOf<N> = N extends { node: 'setting' }
  ? N
  : N extends { node: 'group'; children: infer C extends Shape }
    ? LeavesOf<C[keyof C]>
    : N extends { node: 'oneOf'; kind: infer KS; common: infer C extends Shape; variants: infer V }
      ? KS | LeavesOf<C[keyof C]> | LeavesOfShape<V[keyof V]>
      : never;
/** Distributes over a union of shapes (the variants of a oneOf). */
type LeavesOfShape<S> = S extends Shape ? LeavesOf<S[keyof S]> : never;

/** Every setting of a table by its flat key, all optional: what a preset or a user asks for. */
export type RequestOf<C> = RequestOfLeaves<LeavesOf<C[keyof C]>>;
type RequestOfLeaves<L> = {
  [K in L extends { key: infer K extends string } ? K : never]?: ValueOf<Extract<L, { key: K }>>;
};

// ---- the table at run time ----

export interface Leaf {
  setting: AnySetting;
  path: string[];
  /** Present only in this variant of a oneOf: the discriminator's path and value. */
  variant?: { path: string[]; value: string };
}

/** Every setting of a table with its path, in table order. */
export function leavesOf(shape: Shape, prefix: string[] = [], variant?: Leaf['variant']): Leaf[] {
  const out: Leaf[] = [];
  for (const [name, n] of Object.entries(shape)) {
    const path = [...prefix, name];
    if (n.node === 'setting') out.push({ setting: n, path, variant });
    else if (n.node === 'group') out.push(...leavesOf(n.children as Shape, path, variant));
    else {
      const o = n as OneOf;
      out.push({ setting: o.kind, path: [...path, o.discriminator], variant });
      out.push(...leavesOf(o.common, path, variant));
      for (const [value, v] of Object.entries(o.variants)) {
        out.push(...leavesOf(v, path, { path: [...path, o.discriminator], value }));
      }
    }
  }
  return out;
}

/**
 * A setting's schema as stored: optional ones may be absent, constant defaults (or `absentMeans`) fill old configs. The
 * wrappers take the setting's schema itself (not a copy made now), so a `registeredChoice` keeps
 * following its registry's names.
 */
function leafSchema(s: AnySetting): z.ZodType {
  if (s.optional) return z.optional(s.schema);
  if (s.absentMeans !== undefined) {
    const meant: unknown = s.absentMeans;
    return z._default(s.schema, () => structuredClone(meant));
  }
  const d = s.default;
  if (d.kind === 'constant' && d.value !== undefined) {
    const value: unknown = d.value;
    return z._default(s.schema, () => structuredClone(value));
  }
  return s.schema;
}

function shapeSchemas(shape: Shape): Record<string, z.ZodType> {
  return Object.fromEntries(Object.entries(shape).map(([name, n]) => [name, nodeSchema(n)]));
}

function nodeSchema(n: Node): z.ZodType {
  if (n.node === 'setting') return leafSchema(n);
  if (n.node === 'group') return z.strictObject(shapeSchemas(n.children as Shape));
  const o = n as OneOf;
  const options = Object.entries(o.variants).map(([value, v]) =>
    z.strictObject({ [o.discriminator]: z.literal(value), ...shapeSchemas(o.common), ...shapeSchemas(v) }),
  );
  return z.discriminatedUnion(o.discriminator, options as [z.ZodObject, ...z.ZodObject[]]);
}

/** The zod schema of the configuration a table describes (strict at every level). */
export function schemaOf<const C extends Shape>(shape: C): z.ZodType<ShapeValue<C>> {
  return z.strictObject(shapeSchemas(shape)) as unknown as z.ZodType<ShapeValue<C>>;
}

export function getPath(obj: unknown, path: readonly string[]): unknown {
  let v: unknown = obj;
  for (const p of path)
    v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}

export function setPath(obj: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let o = obj;
  for (const p of path.slice(0, -1)) o = (o[p] ??= {}) as Record<string, unknown>;
  o[path[path.length - 1]] = value;
}

/** Whether a leaf exists in `config` given the variants it chose (momentum only with SGD). */
export function leafApplies(leaf: Leaf, config: unknown): boolean {
  return !leaf.variant || getPath(config, leaf.variant.path) === leaf.variant.value;
}

/** The default of a setting for a model and dataset (undefined: absent). */
export function defaultOf(s: AnySetting, ctx: DefaultContext): unknown {
  return s.default.kind === 'constant' ? s.default.value : s.default.value(ctx);
}

/**
 * The value of a setting that every run stored before it existed had: the one the run identity leaves
 * out (its default, unless it declares another with `absentMeans`).
 */
export function storedBaseline(s: AnySetting, ctx: DefaultContext): unknown {
  return s.absentMeans !== undefined ? s.absentMeans : defaultOf(s, ctx);
}

/** The default of a setting whose default is a constant. */
export function constantDefault<T>(s: Setting<T, string, boolean>): T {
  if (s.default.kind !== 'constant') throw new Error(`setting ${s.key} has no constant default`);
  return s.default.value;
}
