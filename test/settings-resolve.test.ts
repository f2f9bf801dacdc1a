/**
 * The settings table changes no resolved configuration: every preset and eleven command lines resolve
 * to exactly what they resolved to before it (test/fixtures/resolved-configs-before.json, recorded
 * from the CLI and resolveConfig of commit fdeb1ad), and the config schema is the one it was.
 * Deliberate preset changes since are edited into the fixture: LeNet quick scale (issue 12) trains
 * 10,000 iterations per level, 2 trials, with fewer controls.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { criterionNames, scopeNames } from '../src/prune/index.js';
import { buildProgram } from '../src/cli/main.js';
import { requestFromCommandLine } from '../src/cli/commands/lottery.js';
import { PRESETS } from '../src/experiments/presets.js';
import { type LotteryConfig, lotteryConfigSchema } from '../src/lottery/config.js';
import { resolveConfig } from '../src/lottery/resolve.js';
import { UserError } from '../src/util/errors.js';
import { ADDED_PRUNING, ADDED_TOP, withoutAdded } from './helpers/added-settings.js';
import { resets } from '../src/lottery/resets.js';

const before = JSON.parse(readFileSync('test/fixtures/resolved-configs-before.json', 'utf8')) as {
  presets: Record<string, unknown>;
  cli: Record<string, unknown>;
};

test('every preset resolves to the configuration it resolved to before the settings table', () => {
  const now: Record<string, unknown> = {};
  // the presets that existed before the settings table; later ones have no "before"
  const earlier = new Set(Object.keys(before.presets).map((k) => k.split('/')[0]));
  for (const [name, p] of Object.entries(PRESETS)) {
    if (!earlier.has(name)) continue;
    for (const scale of ['quick', 'paper'] as const) {
      for (const dataset of [undefined, ...p.datasets.filter((d) => d !== 'default')]) {
        for (const r of p.runs({ scale, dataset }))
          now[`${name}/${scale}/${dataset ?? '-'}/${r.name}`] = withoutAdded(resolveConfig(r.request));
      }
    }
  }
  assert.equal(Object.keys(now).length, 40);
  assert.deepEqual(now, before.presets);
});

/** The configuration a command line resolves to, without running it. */
async function resolvedFromArgs(args: string[]): Promise<LotteryConfig> {
  const program = buildProgram();
  let config: LotteryConfig | undefined;
  for (const kind of ['train', 'lottery'] as const) {
    program.commands
      .find((c) => c.name() === kind)!
      .action(async (o: Record<string, unknown>) => {
        config = resolveConfig((await requestFromCommandLine(kind, o)).request);
      });
  }
  await program.parseAsync(['node', 'ticketlab', ...args]);
  return config!;
}

// Since issue 11 a setting that would be ignored is refused: this line gives --dropout to
// lenet300, which has no dropout layers (and --augment to it on colour data, which is fine).
const NOW_REFUSED =
  'train --model lenet300 --dataset cifar10 --normalization unit --augment --dropout 0.5 --init kaiming_uniform --validation-size 1000 --train-eval-size 500';

test('command lines resolve to the configurations they resolved to before the settings table', async () => {
  assert.equal(Object.keys(before.cli).length, 11);
  for (const [line, expected] of Object.entries(before.cli)) {
    if (line === NOW_REFUSED) {
      await assert.rejects(
        resolvedFromArgs(line.split(' ')),
        (e) => e instanceof UserError && /--dropout 0\.5 is refused/.test(e.message),
      );
      const without = line.replace(' --dropout 0.5', '');
      assert.deepEqual(withoutAdded(await resolvedFromArgs(without.split(' '))), {
        ...(expected as object),
        dropout: 0,
      });
      continue;
    }
    assert.deepEqual(withoutAdded(await resolvedFromArgs(line.split(' '))), expected, line);
  }
});

test('the config schema is the one from before, but for constant defaults and registry-derived choices', () => {
  const old = JSON.parse(readFileSync('test/fixtures/config-json-schema-before.json', 'utf8'));
  const now = z.toJSONSchema(lotteryConfigSchema, { io: 'output' });
  // The schema now fills constant defaults (so configs stored before a setting existed still read),
  // a dataset is any registered name rather than a fixed list, and the pruning scope's choices are
  // the scope registry's names (which added 'per-kind').
  const normalize = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(normalize);
    if (v === null || typeof v !== 'object') return v;
    const entries = Object.entries(v)
      .filter(([k]) => k !== 'default')
      .map(([k, x]) => [k, k === 'required' ? [...(x as string[])].sort() : normalize(x)] as const);
    return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : 1)));
  };
  const oldNormalized = normalize(old) as {
    properties: { dataset: unknown; pruning: { properties: { scope: { enum: string[] } } } };
  };
  oldNormalized.properties.dataset = { type: 'string' };
  assert.deepEqual(oldNormalized.properties.pruning.properties.scope.enum, ['layerwise', 'global']);
  oldNormalized.properties.pruning.properties.scope.enum = scopeNames();
  // a rate of 1 (every remaining weight pruned at the first level) is refused since issue 11
  const rates = (oldNormalized.properties.pruning.properties as unknown as Record<string, unknown>).rates as {
    properties: Record<string, Record<string, unknown>>;
  };
  for (const r of Object.values(rates.properties)) {
    assert.equal(r.maximum, 1);
    delete r.maximum;
    r.exclusiveMaximum = 1;
  }
  // Settings added since (deep networks): BatchNorm γ init, the shortcut rate, torchvision's init,
  // the durations as given with units.
  const nowNormalized = normalize(now) as {
    properties: Record<string, { properties?: Record<string, unknown>; enum?: string[] }> & {
      pruning: {
        properties: Record<string, unknown> & { rates: { properties: Record<string, unknown> } };
        required: string[];
      };
    };
  };
  delete nowNormalized.properties.bnInit;
  delete nowNormalized.properties.durations;
  for (const key of Object.keys(ADDED_TOP)) delete nowNormalized.properties[key];
  // pruning during training (issue 14)
  delete nowNormalized.properties.gradual;
  const top = nowNormalized as unknown as { required: string[] };
  top.required = top.required.filter((k) => !(k in ADDED_TOP) && k !== 'gradual');
  // the resets are the reset registry's names (issue 15 added Renda et al.'s retraining methods)
  const oldReset = (oldNormalized.properties as unknown as Record<string, { enum: string[] }>).reset;
  assert.deepEqual(oldReset.enum, ['init', 'rewind', 'reinit', 'none']);
  oldReset.enum = resets.names();
  delete nowNormalized.properties.pruning.properties.rates.properties.shortcut;
  // where warmup starts (issue 12): absent in configs stored before, which meant first-step
  const nowSchedule = nowNormalized.properties.schedule as {
    properties: Record<string, unknown>;
    required: string[];
  };
  delete nowSchedule.properties.warmupFrom;
  nowSchedule.required = nowSchedule.required.filter((k) => k !== 'warmupFrom');
  assert.deepEqual(nowNormalized.properties.init.enum?.pop(), 'kaiming_normal_fan_out');
  // the criteria are the criterion registry's names (Zhou et al.'s were added)
  const oldPruning = oldNormalized.properties.pruning.properties as unknown as Record<
    string,
    { enum: string[] }
  >;
  assert.deepEqual(oldPruning.strategy.enum, ['magnitude', 'random']);
  oldPruning.strategy.enum = criterionNames();
  const nowPruning = nowNormalized.properties.pruning;
  for (const key of Object.keys(ADDED_PRUNING)) delete nowPruning.properties[key];
  nowPruning.required = nowPruning.required.filter((k) => !(k in ADDED_PRUNING));
  assert.deepEqual(nowNormalized, oldNormalized);
});
