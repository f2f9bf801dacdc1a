/**
 * What a reader must know before trusting a number: whether a run is a reduced quick-scale preset,
 * whether its dataset stands in for the paper's, and how experiments are named on a page.
 */
import type { LotteryConfig } from '../lottery/config.js';
import { conditionsAt } from '../lottery/plan.js';
import type { PaperReference } from './paper.js';
import type { RunSummary } from './schema.js';

export interface RunLabels {
  /** Unique display name of the experiment on the page. */
  label: string;
  /** File-name-safe, unique. */
  slug: string;
  scale?: 'quick' | 'paper' | 'custom';
  /** e.g. 'fashion-mnist standing in for cifar10'. */
  standIn?: string;
  /** True when the stand-in was inferred (the run did not say). */
  standInInferred: boolean;
  /** Warnings to show wherever the run's numbers appear (banners, figure subtitles). */
  warnings: string[];
  /** Set when the run's plan has units not done yet: finished and planned unit counts. */
  partial?: { done: number; planned: number };
}

/**
 * Units done and planned (trial × level × condition, as the lottery plan lists them), when the
 * summary's config says how many there are; undefined when it does not (a summary from elsewhere).
 */
export function progressOf(summary: RunSummary): { done: number; planned: number } | undefined {
  const c = summary.config as Partial<LotteryConfig>;
  if (!Number.isInteger(c.trials) || !Number.isInteger(c.levels) || !Array.isArray(c.controls))
    return undefined;
  let perTrial = 0;
  for (let level = 0; level <= c.levels!; level++) perTrial += conditionsAt(c as LotteryConfig, level).length;
  const done = new Set(summary.results.map((r) => `${r.trial}/${r.level}/${r.condition}`)).size;
  return { done, planned: c.trials! * perTrial };
}

/** "partial: 3 of 43 units", or undefined for a finished run. */
export function partialLabel(partial: RunLabels['partial']): string | undefined {
  return partial ? `partial: ${partial.done} of ${partial.planned} units` : undefined;
}

const SCALES = ['quick', 'paper', 'custom'] as const;

export function scaleOf(summary: RunSummary): RunLabels['scale'] {
  if (summary.scale) return summary.scale;
  const s = summary.config.scale;
  return typeof s === 'string' && (SCALES as readonly string[]).includes(s)
    ? (s as RunLabels['scale'])
    : undefined;
}

const DATASET_ALIASES: Record<string, string> = {
  'cifar-10': 'cifar10',
  cifar: 'cifar10',
  fashion: 'fashion-mnist',
  fashion_mnist: 'fashion-mnist',
  fashionmnist: 'fashion-mnist',
};

export function normalizeDataset(name: string): string {
  const n = name.trim().toLowerCase();
  return DATASET_ALIASES[n] ?? n;
}

/**
 * The stand-in label: the run's own (`standIn`, or `config.standIn`), else inferred when a conv
 * net the paper trains on CIFAR-10 was trained on another dataset (the project's documented
 * stand-in, as CIFAR-10 is not available on its machines).
 */
export function standInOf(summary: RunSummary, ref?: PaperReference): { text?: string; inferred: boolean } {
  if (summary.standIn) return { text: summary.standIn, inferred: false };
  const c = summary.config.standIn;
  if (typeof c === 'string' && c.trim()) return { text: c, inferred: false };
  if (ref && ref.dataset === 'cifar10' && normalizeDataset(summary.dataset) !== 'cifar10') {
    return { text: `${summary.dataset} standing in for cifar10`, inferred: true };
  }
  return { inferred: false };
}

function slugify(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'run';
}

/** Labels for each summary of a page; names repeated across summaries get their hash appended. */
export function labelRuns(
  summaries: readonly RunSummary[],
  refs: readonly (PaperReference | undefined)[],
): RunLabels[] {
  const counts = new Map<string, number>();
  for (const s of summaries) counts.set(s.name, (counts.get(s.name) ?? 0) + 1);
  const slugs = new Set<string>();
  return summaries.map((s, i) => {
    let label = (counts.get(s.name) ?? 0) > 1 ? `${s.name}-${s.hash}` : s.name;
    let slug = slugify(label);
    for (let k = 2; slugs.has(slug); k++) {
      slug = `${slugify(label)}-${k}`;
      label = `${s.name} (${k})`;
    }
    slugs.add(slug);
    const scale = scaleOf(s);
    const standIn = standInOf(s, refs[i]);
    const warnings: string[] = [];
    const progress = progressOf(s);
    const partial = progress && progress.done < progress.planned ? progress : undefined;
    if (partial) {
      warnings.push(
        `PARTIAL: ${partial.done} of ${partial.planned} units done (an unfinished run; rerun its command to finish it)`,
      );
    }
    if (scale === 'quick')
      warnings.push('QUICK SCALE: a reduced preset (fewer iterations, levels or trials than the paper)');
    if (standIn.text)
      warnings.push(`STAND-IN DATASET: ${standIn.text}${standIn.inferred ? ' (inferred)' : ''}`);
    // units not trained normally (lottery/summary.ts `state`): named, never shown as plain results
    const units = (state: string) =>
      s.results
        .filter((r) => r.state === state)
        .map((r) => `trial ${r.trial} level ${r.level} ${r.condition}`);
    if (units('diverged').length)
      warnings.push(`DIVERGED: ${units('diverged').join(', ')} (curves end at the divergence)`);
    if (units('collapsed').length)
      warnings.push(`COLLAPSED TO CHANCE: ${units('collapsed').join(', ')} (accuracy at chance at the end)`);
    return {
      label,
      slug,
      scale,
      standIn: standIn.text,
      standInInferred: standIn.inferred,
      warnings,
      ...(partial ? { partial } : {}),
    };
  });
}

/** Most experiments a figure's subtitle names one by one; beyond it the legend names them. */
const SUBTITLE_EXPERIMENTS = 3;

/**
 * The subtitle of a figure over all experiments. With many experiments (a preset of 15 conditions)
 * naming each one and repeating the same warning per experiment made a subtitle wider than the
 * figure, so they are summarised: the distinct networks and datasets, and each warning once.
 */
export function allExperimentsSubtitle(
  experiments: readonly { summary: RunSummary; labels: RunLabels }[],
): string[] {
  if (experiments.length <= SUBTITLE_EXPERIMENTS) {
    const warnings = experiments.flatMap((e) => e.labels.warnings.map((x) => `${e.labels.label}: ${x}`));
    return [
      experiments.map((e) => `${e.labels.label} (${e.summary.model} on ${e.summary.dataset})`).join(' · '),
      ...new Set(warnings),
    ];
  }
  const nets = [...new Set(experiments.map((e) => `${e.summary.model} on ${e.summary.dataset}`))];
  const warnings = [...new Set(experiments.flatMap((e) => e.labels.warnings))].map((w) => {
    const n = experiments.filter((e) => e.labels.warnings.includes(w)).length;
    return n === experiments.length
      ? `all experiments: ${w}`
      : `${n} of ${experiments.length} experiments: ${w}`;
  });
  return [`${experiments.length} experiments (see the legend) · ${nets.join(' · ')}`, ...warnings];
}
