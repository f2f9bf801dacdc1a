/** Settings in words: their defaults and their validation errors, for the CLI's help, errors and the docs. */
import { z } from 'zod';
import type { DefaultContext } from './defaults.js';
import { type AnySetting, defaultOf } from './table.js';

export function formatValue(v: unknown): string {
  if (v === undefined) return 'none';
  if (Array.isArray(v)) return v.length ? v.map(formatValue).join(',') : 'none';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/**
 * A setting's default in words. `models` holds one context per registered model on its default
 * dataset, so a default "from the model" lists each model's value, e.g. `0.0012 (lenet300, lenet5)`.
 */
export function describeDefault(s: AnySetting, models: readonly DefaultContext[]): string {
  if (s.default.kind === 'constant') return formatValue(s.default.value);
  const byValue = new Map<string, string[]>();
  for (const ctx of models) {
    const v = formatValue(defaultOf(s, ctx));
    byValue.set(v, [...(byValue.get(v) ?? []), ctx.model.name]);
  }
  if (byValue.size === 1 && models.length > 1)
    return `from the ${s.default.from}, ${[...byValue.keys()][0]} for all`;
  const values = [...byValue].map(([v, names]) => `${v} (${names.join(', ')})`).join('; ');
  return `from the ${s.default.from}${values ? `: ${values}` : ''}`;
}

/** Whether a bound's issue carries the table's own explanation (zod's default messages start "Too "). */
const explained = (issue: z.core.$ZodIssue): boolean =>
  (issue.code === 'too_big' || issue.code === 'too_small') &&
  !issue.inclusive &&
  !/^Too /.test(issue.message);

/** One validation issue as a short phrase, e.g. `must be at least 1`. */
export function describeIssue(issue: z.core.$ZodIssue, raw?: unknown): string {
  const got = raw === undefined ? '' : `, got ${JSON.stringify(raw)}`;
  switch (issue.code) {
    case 'invalid_type':
      if (issue.expected === 'int') return `expected an integer${got}`;
      return `expected ${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}${got}`;
    // a bound the table explains in its own words (a rate of 1) keeps them
    case 'too_small':
      if (explained(issue)) return `must be greater than ${String(issue.minimum)}: ${issue.message}`;
      return `must be ${issue.inclusive ? 'at least' : 'greater than'} ${String(issue.minimum)}`;
    case 'too_big':
      if (explained(issue)) return `must be less than ${String(issue.maximum)}: ${issue.message}`;
      return `must be ${issue.inclusive ? 'at most' : 'less than'} ${String(issue.maximum)}`;
    case 'invalid_value':
      return `${JSON.stringify(raw)} is not one of ${issue.values.map(String).join(', ')}`;
    default:
      return issue.message;
  }
}

/** A number schema's bounds in words, read from its JSON Schema (e.g. `integer ≥ 1`, `number in [0, 1)`). */
function describeNumber(schema: z.ZodType): string {
  const j = z.toJSONSchema(schema) as Record<string, number | string | undefined>;
  const kind = j.type === 'integer' ? 'integer' : 'number';
  const bound = (v: number | string | undefined) =>
    typeof v === 'number' && Math.abs(v) < Number.MAX_SAFE_INTEGER ? v : undefined;
  const lo = bound(j.minimum) ?? bound(j.exclusiveMinimum);
  const hi = bound(j.maximum) ?? bound(j.exclusiveMaximum);
  // both bounds on one side (`max(1).lt(1)`): the exclusive one is the tighter
  const loOpen = bound(j.minimum) === undefined || bound(j.exclusiveMinimum) === lo;
  const hiOpen = bound(j.maximum) === undefined || bound(j.exclusiveMaximum) === hi;
  if (lo !== undefined && hi !== undefined)
    return `${kind} in ${loOpen ? '(' : '['}${lo}, ${hi}${hiOpen ? ')' : ']'}`;
  if (lo !== undefined) return `${kind} ${loOpen ? '>' : '≥'} ${lo}`;
  if (hi !== undefined) return `${kind} ${hiOpen ? '<' : '≤'} ${hi}`;
  return kind;
}

/** A schema in words for the reference, e.g. `integer ≥ 1`, `one of: adam, sgd`, `list of integers ≥ 1`. */
export function describeType(schema: z.ZodType): string {
  const def = schema.def as unknown as {
    type: string;
    entries?: Record<string, string>;
    element?: z.ZodType;
  };
  switch (def.type) {
    case 'number':
      return describeNumber(schema);
    case 'enum':
      return `one of: ${Object.values(def.entries ?? {}).join(', ')}`;
    case 'array':
      return `list of ${describeType(def.element!)
        .replace(/^(integer|number|string)/, '$1s')
        .replace(/^one of:/, 'each one of:')}`;
    case 'record':
      return 'object';
    case 'union':
      return (schema.def as unknown as { options: z.ZodType[] }).options.map(describeType).join(', or ');
    default:
      return def.type;
  }
}
