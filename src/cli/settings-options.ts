/**
 * The CLI flags of the settings table: each setting with a flag becomes a commander option whose
 * parser, choices and help (with the default) come from the table. No option has a commander default,
 * so an absent flag is undefined and the setting takes its value from a config file or its default.
 */
import { InvalidArgumentError, Option } from 'commander';
import type { z } from 'zod';
import { datasetNames } from '../data/registry.js';
import { CONFIG_LEAVES, defaultContext } from '../lottery/resolve.js';
import { modelNames } from '../models/registry.js';
import { describeDefault, describeIssue, describeType } from '../spec/describe.js';
import { isDurationKey, isDurationString } from '../spec/durations.js';
import { settingsReference } from '../spec/reference.js';
import { INPUT_SETTINGS } from '../spec/settings.js';
import type { AnySetting, CommandName } from '../spec/table.js';

/** Settings with a flag for `command`: the config's settings, then the inputs (target, threads). */
export function flagSettings(command: CommandName): AnySetting[] {
  return [...CONFIG_LEAVES.map((l) => l.setting), ...Object.values(INPUT_SETTINGS)].filter(
    (s) => s.flag !== undefined && s.commands.includes(command),
  );
}

type Def = { type: string; element?: z.ZodType; entries?: Record<string, string> };
const defOf = (schema: z.ZodType): Def => schema.def as unknown as Def;

/** The allowed values of an enum or a registry-backed setting (none for free values). */
export function choicesOf(s: AnySetting): string[] | undefined {
  if (s.choicesFrom === 'models') return modelNames();
  if (s.choicesFrom === 'datasets') return datasetNames();
  const def = defOf(s.schema);
  if (def.type === 'enum') return Object.values(def.entries ?? {});
  return undefined;
}

/** Parses one flag value for a setting and validates it with the setting's schema. */
function parserFor(s: AnySetting): (value: string) => unknown {
  const def = defOf(s.schema);
  const check = (value: unknown, raw: string): unknown => {
    const r = s.schema.safeParse(value);
    if (!r.success) throw new InvalidArgumentError(describeIssue(r.error.issues[0], raw));
    return r.data;
  };
  // durations with a unit ('160ep', '2ep500it') pass as given; resolving turns them into iterations
  const withUnit = (raw: string) => isDurationKey(s.key) && isDurationString(raw) && /[a-z]/.test(raw);
  const scalar = (schema: z.ZodType, raw: string): unknown => {
    if (withUnit(raw)) return raw.trim();
    // a name or a number (`--mask-from final|300`): digits are the number
    if (defOf(schema).type === 'union' && /^\d+$/.test(raw.trim())) return Number(raw);
    if (defOf(schema).type !== 'number') return raw.trim();
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) {
      const int = (schema as { format?: string | null }).format?.includes('int');
      throw new InvalidArgumentError(`expected ${int ? 'an integer' : 'a number'}, got "${raw}"`);
    }
    return n;
  };
  if (def.type === 'array') {
    const element = def.element!;
    const allowed = defOf(element).type === 'enum' ? Object.values(defOf(element).entries ?? {}) : undefined;
    return (raw) => {
      if (allowed && raw === 'none') return [];
      const items = raw.split(',').map((v) => v.trim());
      for (const item of items) {
        if (allowed && !allowed.includes(item)) {
          throw new InvalidArgumentError(`"${item}" is not one of ${allowed.join(', ')}, none`);
        }
      }
      const values = items.map((v) => scalar(element, v));
      return items.some(withUnit) ? values : check(values, raw);
    };
  }
  if (def.type === 'union')
    return (raw) => {
      if (withUnit(raw)) return raw.trim();
      const r = s.schema.safeParse(scalar(s.schema, raw));
      if (r.success) return r.data;
      const durations = isDurationKey(s.key) ? ' (iterations, or epochs: 30ep)' : '';
      throw new InvalidArgumentError(`expected ${describeType(s.schema)}${durations}, got "${raw}"`);
    };
  return (raw) => (withUnit(raw) ? raw.trim() : check(scalar(s.schema, raw), raw));
}

/** One default context per registered model (on its default dataset), for "from the model" defaults. */
export function registeredModelContexts(): ReturnType<typeof defaultContext>[] {
  return modelNames().flatMap((m) => {
    try {
      return [defaultContext(m)];
    } catch {
      return []; // a plugin's model whose dataset is unknown: resolving it will say so
    }
  });
}

/** The commander option of a setting. */
export function settingOption(s: AnySetting): Option {
  const help = `${s.help} (default: ${describeDefault(s, registeredModelContexts())})`;
  const option = new Option(s.flag!, help);
  // commander gives a `--no-x` flag the value true when absent; null keeps a config file's value
  if (option.negate) return option.default(null);
  if (defOf(s.schema).type === 'boolean') return option;
  const choices = choicesOf(s);
  if (choices && defOf(s.schema).type !== 'array') return option.choices(choices);
  return option.argParser(parserFor(s));
}

/** The commander attribute a setting's flag is stored under (`--lr` → `lr`). */
export function attributeOf(s: AnySetting): string {
  return new Option(s.flag!).attributeName();
}

/** The settings given on the command line, by their keys. */
export function flagValues(command: CommandName, opts: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of flagSettings(command)) {
    const v = opts[attributeOf(s)];
    if (v !== undefined && v !== null) out[s.key] = v;
  }
  return out;
}

/** docs/settings.md for the models registered now (the built-in ones unless plugins were loaded). */
export function settingsReferenceForRegisteredModels(): string {
  return settingsReference(registeredModelContexts());
}
