/** Label rules: the class of each image file, from where it sits or what it is called. */
import { basename, sep } from 'node:path';
import { UserError } from '../../util/errors.js';
import type { LabelRule } from './types.js';

/** Parses `folder`, `first-letter-case` or `regex:<pattern with one capture group>`. */
export function parseLabelRule(text: string): LabelRule {
  const t = text.trim();
  if (t === 'folder') return { kind: 'folder' };
  if (t === 'first-letter-case') return { kind: 'first-letter-case' };
  if (t.startsWith('regex:')) {
    const pattern = t.slice('regex:'.length);
    let re: RegExp;
    try {
      re = new RegExp(pattern);
    } catch (e) {
      throw new UserError(
        `--labels ${t}: not a regular expression (${(e as Error).message})`,
        'fix the pattern',
      );
    }
    if (new RegExp(`${re.source}|`).exec('')!.length < 2) {
      throw new UserError(
        `--labels ${t}: the pattern has no capture group, so it names no class`,
        'put the part of the file name that is the class in parentheses, e.g. regex:^(.+)_\\d+\\.jpg$',
      );
    }
    return { kind: 'regex', pattern };
  }
  throw new UserError(
    `--labels ${text}: unknown label rule`,
    'use folder (the sub-folder names), first-letter-case (upper/lower, as the fastai pets tutorial) or regex:<pattern>',
  );
}

export function describeLabelRule(rule: LabelRule): string {
  return rule.kind === 'regex' ? `regex:${rule.pattern}` : rule.kind;
}

/**
 * The class of a file at `rel` (path relative to the split's root), or undefined when the rule gives
 * none (a file directly in the root under `folder`, a name the regex does not match).
 */
export function labelOf(rule: LabelRule, rel: string): string | undefined {
  const name = basename(rel);
  switch (rule.kind) {
    case 'folder': {
      const parts = rel.split(sep);
      return parts.length >= 2 ? parts[0] : undefined;
    }
    case 'first-letter-case': {
      const first = name.charAt(0);
      if (first.toUpperCase() === first.toLowerCase()) return undefined; // a digit, '_', …: no case
      return first === first.toUpperCase() ? 'upper' : 'lower';
    }
    case 'regex': {
      const m = new RegExp(rule.pattern).exec(name);
      return m?.[1];
    }
  }
}
