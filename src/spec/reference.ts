/** docs/settings.md, generated from the settings table (`npm run docs:settings`; a test checks it is current). */
import type { DefaultContext } from './defaults.js';
import { describeDefault, describeType } from './describe.js';
import { INPUT_SETTINGS, LOTTERY_SETTINGS } from './settings.js';
import { type AnySetting, leavesOf } from './table.js';

const cell = (s: string): string => s.replace(/\|/g, '\\|');

/** The settings reference as Markdown; `models` gives "from the model" defaults their values. */
export function settingsReference(models: readonly DefaultContext[]): string {
  const row = (path: string, s: AnySetting, variant?: string): string => {
    const flag = s.flag ? `\`${s.flag.split(' ')[0]}\`` : '';
    const type = s.choicesFrom ? `a registered ${s.choicesFrom.replace(/s$/, '')}` : describeType(s.schema);
    const refused = s.refuse.map((r) => r.text).join('; ');
    const help = `${s.help}${s.derived ? ' (derived, not settable)' : ''}${refused ? `; refused: ${refused}` : ''}`;
    const plainDefault = s.optional && s.default.kind === 'constant' ? 'none' : describeDefault(s, models);
    const defaultText =
      s.absentMeans === undefined
        ? plainDefault
        : `${plainDefault}; ${String(s.absentMeans)} in runs stored before it existed and where it does not apply`;
    const when = [...(variant ? [variant] : []), ...s.appliesWhen.map((c) => c.text)].join(' and ');
    const applies = when ? `${when}${s.requiredWhenApplies ? ' (and then required)' : ''}` : '';
    return `| \`${path}\` | ${flag} | ${cell(type)} | ${cell(defaultText)} | ${s.affectsResults ? 'yes' : 'no'} | ${cell(applies)} | ${cell(help)} |`;
  };
  const header = [
    '| path | flag | type | default | identity | applies when | what it does |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  const config = leavesOf(LOTTERY_SETTINGS).map((l) =>
    row(
      l.path.join('.'),
      l.setting,
      l.variant ? `${l.variant.path.join('.')} is ${l.variant.value}` : undefined,
    ),
  );
  const inputs = Object.entries(INPUT_SETTINGS).map(([name, s]) => row(name, s));
  return [
    '<!-- Generated from src/spec/settings.ts by `npm run docs:settings`; do not edit. -->',
    '',
    '# Settings',
    '',
    'Every setting of a lottery run, from the settings table (`src/spec/settings.ts`). A run takes each',
    'setting from, in order: its flag, a `--config` file (JSON or YAML, the setting by its path, nested',
    'as in a run\'s `config.json` or dotted: `{"pruning": {"rates": {"fc": 0.3}}}` or',
    '`{"pruning.rates.fc": 0.3}`), its default. A default "from the model" is the model\'s own value; the',
    'values below are those of the built-in models.',
    '',
    '"identity": the setting changes results, so it is part of the run identity, which names the run',
    'directory. Settings left at their defaults are left out of it, and levels, trials, controls and',
    'checkpointing are never in it: more levels, trials or controls reuse the units already done.',
    'A setting whose default is not what runs did before it existed (the warmup rule) is left out at',
    'that former value instead, so old runs keep their names and new runs at its default get new ones.',
    '',
    '"applies when": a setting has an effect only then. Given (by its flag or in a config file) where it',
    'has none, it is refused with a message saying why, rather than recorded as if it had been applied;',
    'a value equal to its default is accepted (a run\'s own `config.json` holds every setting). "refused":',
    'values that make no sense with the rest of the configuration.',
    '',
    '## Configuration (`config.json` of a run)',
    '',
    ...header,
    ...config,
    '',
    '## Inputs that are not stored as such',
    '',
    '`target` sets every pruning rate; `threads` is recorded with each unit (it changes the order of',
    'floating-point sums, so runs at another count differ slightly).',
    '',
    ...header,
    ...inputs,
    '',
  ].join('\n');
}
