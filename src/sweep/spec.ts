/**
 * A sweep spec: a base configuration and axes over any setting of the settings table, expanded into
 * one lottery request per run. Axes are a grid (every combination), zips (paired lists, one value
 * of each per step) and random samples drawn from a seed; derived settings are arithmetic over the
 * axes and the run's other settings (e.g. a per-round rate from a target and a number of rounds).
 * Every key and value is validated through the settings table when the spec is read, so a mistake is
 * one message naming the spec, the axis and the setting, before any work starts.
 *
 *   base:    { model: lenet300, iterations: 1000 }          # any setting, nested or dotted
 *   grid:    { pruning.strategy: [magnitude, random], seed: [0, 1] }
 *   zip:     { levels: [1, 5], pruning.schedule: [one-shot, iterative] }   # or a list of such groups
 *   random:  { samples: 4, seed: 7, axes: { learningRate: { logUniform: [1e-4, 1e-2] } } }
 *   derived: { pruning.rates.fc: "1 - (1 - prune)^(1/levels)" }
 *
 * An axis over a name that is not a setting (`prune` above) is a parameter of the derived settings.
 */
import { z } from 'zod';
import type { LotteryRequest } from '../lottery/config.js';
import { CONFIG_LEAVES, resolveConfig } from '../lottery/resolve.js';
import { requestFromConfigFile } from '../spec/config-file.js';
import { INPUT_SETTINGS } from '../spec/settings.js';
import { readYamlOrJson } from '../util/yaml-or-json.js';
import { getPath } from '../spec/table.js';
import { UserError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { evaluate, parseExpression, variablesOf } from './expression.js';

/** Setting key by dotted path (`pruning.rates.fc` → `rateFc`), for every setting a spec may give. */
const KEY_BY_PATH = new Map<string, string>([
  ...CONFIG_LEAVES.map((l) => [l.path.join('.'), l.setting.key] as const),
  ...Object.entries(INPUT_SETTINGS).map(([name, s]) => [name, s.key] as const),
]);

const distributionSchema = z.union([
  z.strictObject({ uniform: z.tuple([z.number(), z.number()]) }),
  z.strictObject({ logUniform: z.tuple([z.number().positive(), z.number().positive()]) }),
  z.strictObject({ int: z.tuple([z.number().int(), z.number().int()]) }),
  z.strictObject({ choice: z.array(z.unknown()).min(1) }),
]);
export type Distribution = z.infer<typeof distributionSchema>;

const axesSchema = z.record(z.string(), z.array(z.unknown()).min(1));

export const sweepSpecSchema = z.strictObject({
  /** A label for the sweep (its runs are named by their settings, see runName). */
  name: z.string().optional(),
  /** Readable part of every run directory's name; default `<model>-<dataset>-lottery`, as `ticketlab lottery`. */
  runName: z.string().optional(),
  /** onnxruntime threads per unit (the command line's --threads overrides it). */
  threads: z.number().int().min(1).optional(),
  base: z.record(z.string(), z.unknown()).default({}),
  grid: axesSchema.default({}),
  zip: z.union([axesSchema, z.array(axesSchema)]).default([]),
  random: z
    .strictObject({
      samples: z.number().int().min(1),
      seed: z.number().int().min(0).default(0),
      axes: z.record(z.string(), distributionSchema),
    })
    .optional(),
  derived: z.record(z.string(), z.string()).default({}),
});
export type SweepSpec = z.infer<typeof sweepSpecSchema>;

/** One run of a sweep: the values its axes took, and the request they make with the base. */
export interface SweepPoint {
  /** From 1, in expansion order (grid slowest, then zips, then random samples). */
  index: number;
  /** Axis (and derived) values by path, as given. */
  values: Record<string, unknown>;
  request: LotteryRequest;
}

export interface ExpandedSweep {
  spec: SweepSpec;
  source: string;
  points: SweepPoint[];
}

/** Reads a spec file (YAML or JSON) and expands it. */
export function readSweepSpec(file: string): ExpandedSweep {
  const { path, content } = readYamlOrJson(file, 'sweep spec');
  return expandSweep(content, path);
}

/** Validates a spec's content and expands it into one request per run. */
export function expandSweep(content: unknown, source: string): ExpandedSweep {
  const parsed = sweepSpecSchema.safeParse(content);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(
      `${source}: ${issue.path.join('.') || 'the spec'}: ${issue.message}`,
      'a sweep spec has base, grid, zip, random and derived (see README, "Sweeps")',
    );
  }
  const spec = parsed.data;
  const base = settingsOf(spec.base, `${source}: base`);
  const derived = Object.entries(spec.derived).map(([path, text]) => {
    checkSettingPath(path, `${source}: derived`);
    return { path, expression: parseExpression(text, `${source}: derived ${path}`) };
  });
  const parameters = new Set(derived.flatMap((d) => variablesOf(d.expression)));
  const checkAxis = (path: string, values: unknown[], where: string) => {
    if (KEY_BY_PATH.has(path)) {
      for (const v of values) settingsOf({ [path]: v }, where);
    } else if (parameters.has(path)) {
      if (!values.every((v) => typeof v === 'number'))
        throw new UserError(
          `${where}: ${path} is a parameter of derived settings; its values must be numbers`,
        );
    } else {
      throw new UserError(
        `${where}: unknown setting "${path}"`,
        'every setting and its path is listed in docs/settings.md; a parameter must appear in a derived setting',
      );
    }
  };
  for (const [path, values] of Object.entries(spec.grid)) checkAxis(path, values, `${source}: grid`);
  const zips = Array.isArray(spec.zip) ? spec.zip : [spec.zip];
  for (const group of zips) {
    const lengths = new Set(Object.values(group).map((v) => v.length));
    if (lengths.size > 1) {
      throw new UserError(
        `${source}: zip: the lists ${Object.keys(group).join(', ')} have different lengths (${[...lengths].join(', ')})`,
        'zip pairs the i-th values of its lists: give every list the same length',
      );
    }
    for (const [path, values] of Object.entries(group)) checkAxis(path, values, `${source}: zip`);
  }
  for (const [path, d] of Object.entries(spec.random?.axes ?? {})) {
    checkAxis(path, 'choice' in d ? d.choice : [], `${source}: random`);
  }

  // every combination: grid (product), each zip group (paired), random samples
  let combos: Record<string, unknown>[] = [{}];
  for (const [path, values] of Object.entries(spec.grid)) {
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [path]: v })));
  }
  for (const group of zips) {
    const entries = Object.entries(group);
    if (entries.length === 0) continue;
    const steps = entries[0][1].length;
    combos = combos.flatMap((c) =>
      Array.from({ length: steps }, (_, i) => ({
        ...c,
        ...Object.fromEntries(entries.map(([p, vs]) => [p, vs[i]])),
      })),
    );
  }
  if (spec.random) {
    const samples = drawSamples(spec.random, `${source}: random`);
    combos = combos.flatMap((c) => samples.map((s) => ({ ...c, ...s })));
  }

  const points = combos.map((values, i) => {
    const where = `${source}: run ${i + 1}`;
    const settings = Object.fromEntries(Object.entries(values).filter(([p]) => KEY_BY_PATH.has(p)));
    const request = { ...base, ...settingsOf(settings, where) } as LotteryRequest;
    const all = { ...values };
    if (derived.length > 0) {
      const lookup = variableLookup(values, request, where);
      for (const d of derived) {
        const v = evaluate(d.expression, lookup);
        all[d.path] = v;
        Object.assign(request, settingsOf({ [d.path]: v }, `${where}: derived ${d.path}`));
      }
    }
    return { index: i + 1, values: all, request };
  });
  return { spec, source, points };
}

/** Settings given by path (nested or dotted), validated by the table, by key; threads refused. */
function settingsOf(content: Record<string, unknown>, where: string): Record<string, unknown> {
  const request = requestFromConfigFile(content, where);
  if ('threads' in request) {
    throw new UserError(
      `${where}: threads is how units run, not a setting of a run`,
      'set it with `threads:` at the top of the spec or --threads',
    );
  }
  return request;
}

function checkSettingPath(path: string, where: string): void {
  if (!KEY_BY_PATH.has(path)) {
    throw new UserError(
      `${where}: unknown setting "${path}"`,
      'every setting and its path is listed in docs/settings.md',
    );
  }
}

/** A derived setting's variables: the run's axes and parameters, else its settings (defaults included). */
function variableLookup(
  values: Record<string, unknown>,
  request: LotteryRequest,
  where: string,
): (name: string) => number {
  let resolved: unknown;
  return (name) => {
    let v = values[name];
    if (v === undefined && KEY_BY_PATH.has(name)) {
      const key = KEY_BY_PATH.get(name)!;
      v = (request as Record<string, unknown>)[key];
      if (v === undefined) {
        resolved ??= resolveConfig(request);
        v = getPath(resolved, name.split('.'));
      }
    }
    if (typeof v !== 'number') {
      throw new UserError(
        `${where}: a derived setting reads "${name}", which is ${v === undefined ? 'not given' : `not a number (${JSON.stringify(v)})`}`,
        'derived settings read numeric axes, parameters and settings by their paths',
      );
    }
    return v;
  };
}

function drawSamples(random: NonNullable<SweepSpec['random']>, where: string): Record<string, unknown>[] {
  const rng = new Rng(random.seed);
  return Array.from({ length: random.samples }, () =>
    Object.fromEntries(
      Object.entries(random.axes).map(([path, d]) => [path, draw(rng, d, `${where}: ${path}`)]),
    ),
  );
}

function draw(rng: Rng, d: Distribution, where: string): unknown {
  if ('choice' in d) return d.choice[rng.int(d.choice.length)];
  const [lo, hi] = 'uniform' in d ? d.uniform : 'logUniform' in d ? d.logUniform : d.int;
  if (!(lo <= hi)) throw new UserError(`${where}: the range [${lo}, ${hi}] is empty`);
  if ('uniform' in d) return lo + (hi - lo) * rng.float();
  if ('logUniform' in d) return Math.exp(Math.log(lo) + (Math.log(hi) - Math.log(lo)) * rng.float());
  return lo + rng.int(hi - lo + 1);
}
