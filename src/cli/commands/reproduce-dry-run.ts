/**
 * `ticketlab reproduce <preset> --dry-run`: per run of the preset, its directory and units and what the
 * real invocation would do with them (experiments/dry-run.ts decides, reading the run store only),
 * then the total and the preset's stated time estimate. Nothing is trained, created or written.
 */
import {
  type DryRunCounts,
  type DryRunRun,
  type PresetDryRun,
  countFates,
  dryRunPreset,
  dryRunSupermask,
} from '../../experiments/dry-run.js';
import { type Preset, type PresetOptions, presetRuns } from '../../experiments/presets.js';
import { SUPERMASK_PRESET } from '../../experiments/supermask-preset.js';
import { planSweep } from '../../sweep/plan.js';
import { expandSweep } from '../../sweep/spec.js';
import { planTable } from './sweep.js';

export interface DryRunCliOptions extends PresetOptions {
  runsDir?: string;
  threads?: number;
  shareLevel0?: boolean | null;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** "40 units: 35 to train, 5 copied, 0 done" (blocked and skipped only when there are any). */
export function describeCounts(c: DryRunCounts): string {
  return (
    `${plural(c.units, 'unit')}: ${c.train} to train, ${c.copy} copied, ${c.done} done` +
    (c.blocked ? `, ${c.blocked} blocked (a unit they depend on diverged)` : '') +
    (c.skip ? `, ${c.skip} skipped` : '')
  );
}

const FATE_LABELS = [
  ['train', 'to train'],
  ['copy', 'copied'],
  ['done', 'done'],
  ['blocked', 'blocked'],
  ['skip', 'skipped'],
] as const;

/** The lines of one run: its name, directory, counts and its units by what happens to them. */
function runLines(r: DryRunRun): string[] {
  const where = r.dir
    ? `${r.dir}${r.exists ? '' : ' (new)'}`
    : '(directory named when its source is trained)';
  const lines = [`${r.kind} run ${r.name}`, `  ${where}`, `  ${describeCounts(countFates(r.units))}`];
  if (r.note) lines.push(`  ${r.note}`);
  for (const [fate, label] of FATE_LABELS) {
    const units = r.units.filter((u) => u.fate === fate);
    if (units.length === 0) continue;
    const keys = units.map((u) => {
      const notes = [
        ...(u.from ? [`from ${u.from}`] : []),
        ...(u.resumesAt !== undefined ? [`resumes at iteration ${u.resumesAt}`] : []),
        ...(u.heldBy ? [`being trained now by ${u.heldBy}`] : []),
        ...(u.note ? [u.note] : []),
      ];
      return notes.length ? `${u.key} (${notes.join('; ')})` : u.key;
    });
    lines.push(`    ${label}: ${keys.join(', ')}`);
  }
  return lines;
}

/** Every line a dry run prints: a header, each run, the total, the estimate where the preset states one. */
export function dryRunLines(title: string, d: PresetDryRun, estimate?: string): string[] {
  return [
    `${title}: dry run, nothing is trained or written`,
    ...d.runs.flatMap(runLines),
    `total: ${describeCounts(d.total)}`,
    ...(estimate ? [`estimate: ${estimate}`] : []),
  ];
}

/** Prints what `reproduce <preset>` would do with these options. */
export function reproduceDryRun(preset: Preset | typeof SUPERMASK_PRESET, o: DryRunCliOptions): void {
  const title = `${preset.name} (${o.scale} scale)`;
  if (preset === SUPERMASK_PRESET) {
    const d = dryRunSupermask(SUPERMASK_PRESET.runs(o), o.runsDir);
    for (const line of dryRunLines(title, d)) console.log(line);
    return;
  }
  const p = preset as Preset;
  if (p.sweep) {
    // a sweep's units are listed with what is done; level-0 sharing between its workers is not foreseen
    const plan = planSweep(expandSweep(p.sweep(o), `reproduce ${p.name} --scale ${o.scale}`), o.runsDir);
    console.log(`${title}: dry run of a sweep, nothing is trained or written`);
    console.log(planTable(plan));
    return;
  }
  const runs = presetRuns(p, o);
  const slimRuns = (p.slimRetrainRuns?.(o) ?? []).filter((s) => runs.some((r) => r.name === s.source));
  const d = dryRunPreset(runs, slimRuns, o);
  for (const line of dryRunLines(title, d, p.estimate?.(o))) console.log(line);
}
