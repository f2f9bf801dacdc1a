/**
 * Every setting either applies or is refused: the checks of the settings table's rules (spec/rules.ts)
 * against a resolved configuration. A setting given explicitly where it has no effect (a variant it is
 * not part of, an `appliesWhen` that does not hold) is a UserError naming it, why, and the fix; so is
 * a setting required where it applies but left out, and a value one of its refusals rejects.
 */
import { discover } from '../engine/build-context.js';
import type { ModelEntry } from '../models/types.js';
import type { DefaultContext } from '../spec/defaults.js';
import { formatValue } from '../spec/describe.js';
import type { LayerKind } from '../spec/layers.js';
import type { RuleContext } from '../spec/rules.js';
import { type Leaf, getPath, leafApplies, storedBaseline } from '../spec/table.js';
import { UserError } from '../util/errors.js';

const factsCache = new Map<string, RuleContext['model']>();

/**
 * What rules need to know of a model: its prunable layer kinds, whether it has dropout and BatchNorm layers,
 * learned by building its forward pass once (no ONNX session, nothing trained).
 */
export function modelFacts(entry: ModelEntry, inputShape: number[], classes: number): RuleContext['model'] {
  const key = `${entry.name}|${inputShape.join('x')}|${classes}`;
  let facts = factsCache.get(key);
  if (!facts) {
    // a positive rate, so that dropout layers show themselves (at rate 0 they are the identity)
    const built = discover(entry.create({ inputShape, classes, dropout: 0.5 }), 1);
    const kinds = new Set<LayerKind>();
    for (const p of built.params) if (p.decl.layerKind) kinds.add(p.decl.layerKind);
    facts = {
      name: entry.name,
      layerKinds: [...kinds],
      dropout: built.dropouts.length > 0,
      batchNorm: built.params.some((p) => p.decl.role === 'bn_scale'),
    };
    factsCache.set(key, facts);
  }
  return facts;
}

/** How errors name a setting: its flag, with its path when the path reads differently. */
function labelOf(leaf: Leaf): string {
  const path = leaf.path.join('.');
  const flag = leaf.setting.flag?.split(' ')[0];
  if (!flag) return path;
  const plain = (s: string) => s.replace(/[^a-z]/gi, '').toLowerCase();
  return plain(flag) === plain(path) ? flag : `${flag} (${path})`;
}

const sameValue = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Refuses what would be silently ignored or makes no sense. `requested` holds the values asked for by
 * key (before defaults); `config` is the resolved configuration.
 */
export function checkSettingRules(
  leaves: readonly Leaf[],
  config: Record<string, unknown>,
  requested: Record<string, unknown>,
  rules: RuleContext,
  defaults: DefaultContext,
): void {
  for (const leaf of leaves) {
    const s = leaf.setting;
    const given = rules.given.has(s.key);
    const label = labelOf(leaf);
    const asked = requested[s.key];
    if (!leafApplies(leaf, config)) {
      // a variant's setting (SGD's momentum) is not even stored under another variant
      if (given) {
        const variant = leaf.variant!;
        const at = variant.path.join('.');
        throw new UserError(
          `${label} ${formatValue(asked)} is refused: it applies only when ${at} is ${variant.value}, ` +
            `and ${at} is ${formatValue(getPath(config, variant.path))}`,
          `add --${variant.path[0]} ${variant.value}, or leave ${label} out`,
        );
      }
      continue;
    }
    const failing = s.appliesWhen.find((cond) => !cond.holds(rules));
    if (failing) {
      // a value equal to the default (or to absentMeans, stored where such a setting does not apply)
      // is what a run's own config.json holds: harmless, accepted
      if (given && !sameValue(asked, storedBaseline(s, defaults))) {
        throw new UserError(
          `${label} ${formatValue(asked)} is refused: it applies only when ${failing.text}, ` +
            `and ${failing.why(rules)}`,
          failing.fix,
        );
      }
      continue;
    }
    if (s.requiredWhenApplies && !given) {
      const when = s.appliesWhen.map((c) => c.text).join(' and ');
      throw new UserError(
        `${label} must be given when ${when}: ${s.help}`,
        `add ${s.flag ?? `${leaf.path.join('.')} to the config file`}`,
      );
    }
    const value = getPath(config, leaf.path);
    if (value === undefined) continue;
    for (const refusal of s.refuse) {
      if (refusal.refuses(value, rules)) {
        throw new UserError(
          `${label} ${formatValue(value)} ${refusal.why(value, rules)}`,
          refusal.fix(value, rules),
        );
      }
    }
  }
}
