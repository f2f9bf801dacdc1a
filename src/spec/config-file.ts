/**
 * A config file's content (parsed JSON or YAML) as a request: any setting by its path, nested like
 * config.json (`{"pruning": {"rates": {"fc": 0.3}}}`) or dotted (`{"pruning.rates.fc": 0.3}`).
 * Unknown keys and invalid values are errors naming the key.
 */
import { UserError } from '../util/errors.js';
import { describeIssue } from './describe.js';
import { INPUT_SETTINGS, LOTTERY_SETTINGS } from './settings.js';
import { type AnySetting, leavesOf } from './table.js';

const BY_PATH = new Map<string, AnySetting>([
  ...leavesOf(LOTTERY_SETTINGS).map((l) => [l.path.join('.'), l.setting] as const),
  ...Object.entries(INPUT_SETTINGS).map(([name, s]) => [name, s] as const),
]);
const GROUPS = new Set(
  [...BY_PATH.keys()].flatMap((p) => p.split('.').map((_, i, parts) => parts.slice(0, i).join('.'))),
);

/** The settings a config file gives, by key (as in a request), validated. */
export function requestFromConfigFile(content: unknown, source: string): Record<string, unknown> {
  if (content === null || typeof content !== 'object' || Array.isArray(content)) {
    throw new UserError(`${source}: a config file must hold one object of settings`);
  }
  const out: Record<string, unknown> = {};
  const visit = (obj: Record<string, unknown>, prefix: string): void => {
    for (const [name, value] of Object.entries(obj)) {
      const path = prefix ? `${prefix}.${name}` : name;
      const s = BY_PATH.get(path);
      if (s) {
        if (s.derived) {
          throw new UserError(`${source}: ${path} cannot be set, it follows from the model and the dataset`);
        }
        const r = s.schema.safeParse(value);
        if (!r.success) throw new UserError(`${source}: ${path}: ${describeIssue(r.error.issues[0], value)}`);
        out[s.key] = r.data;
      } else if (GROUPS.has(path) && value !== null && typeof value === 'object' && !Array.isArray(value)) {
        visit(value as Record<string, unknown>, path);
      } else {
        throw new UserError(
          `${source}: unknown setting "${path}"`,
          'every setting and its path is listed in docs/settings.md',
        );
      }
    }
  };
  visit(content as Record<string, unknown>, '');
  return out;
}
