/**
 * What Frankle & Carbin (ICLR 2019, arXiv:1803.03635v5) report for the settings ticketlab
 * reproduces, and the same quantities computed from a run, side by side.
 *
 * Each claim names the quantity (a ratio of early-stopping iterations, a difference of test
 * accuracies in percentage points, or the level where accuracy falls below the dense network's),
 * the percent of weights remaining the paper measured it at, and the paper's value. Ours is
 * computed at the run's level nearest that percent (by ratio); a level more than 1.5× away is
 * reported as missing rather than stretched to fit.
 */
import { denseBaseline, isFull, nearestLevel, type LevelAggregate } from './stats.js';

export type ClaimMetric =
  /** (1 − ES(ticket at P) / ES(dense)) × 100: "% earlier". */
  | { kind: 'earlyStopReductionVsDense'; percent: number }
  /** ES(dense) / ES(ticket at P): "× faster". */
  | { kind: 'earlyStopSpeedupVsDense'; percent: number }
  /** max over levels of ES(dense) / ES(ticket). */
  | { kind: 'bestEarlyStopSpeedupVsDense' }
  /** acc(ticket at P) − acc(dense), percentage points (test accuracy at early stop). */
  | { kind: 'accuracyDeltaVsDense'; percent: number }
  /** max over levels of acc(ticket) − acc(dense). */
  | { kind: 'bestAccuracyDeltaVsDense' }
  /** ES(control at P) / ES(ticket at P). */
  | { kind: 'earlyStopSpeedupVsControl'; control: string; percent: number }
  /** acc(ticket at P) − acc(control at P), points. */
  | { kind: 'accuracyDeltaVsControl'; control: string; percent: number }
  /** The densest pruned level from which `condition`'s mean test accuracy stays below the dense network's. */
  | { kind: 'firstLevelBelowDense'; condition: string };

export interface PaperClaim {
  id: string;
  /** The claim in words. */
  text: string;
  /** Where in the paper. */
  source: string;
  metric: ClaimMetric;
  /** The paper's number (unit given by the metric) and how to read it. */
  paper: { value: number; relation: '=' | '>' | '≈'; text: string };
}

export interface PaperReference {
  id: string;
  citation: string;
  /** ticketlab model names this reference applies to. */
  model: string;
  /** The paper's dataset for this model. */
  dataset: string;
  /** The condition that is the lottery ticket in runs (default 'ticket'). */
  ticketCondition?: string;
  claims: PaperClaim[];
}

const CITATION = 'Frankle & Carbin, "The Lottery Ticket Hypothesis", ICLR 2019 (arXiv:1803.03635v5)';

const LENET: PaperReference = {
  id: 'lenet300-mnist',
  citation: CITATION,
  model: 'lenet300',
  dataset: 'mnist',
  claims: [
    {
      id: 'es-earlier-21',
      text: 'winning ticket reaches minimum validation loss earlier than the dense network',
      source: 'Section 2, Figure 4a',
      metric: { kind: 'earlyStopReductionVsDense', percent: 21.1 },
      paper: { value: 38, relation: '=', text: '38% earlier' },
    },
    {
      id: 'acc-above-dense-13',
      text: 'test accuracy at early stop above the dense network',
      source: 'Section 2, Figure 4b',
      metric: { kind: 'accuracyDeltaVsDense', percent: 13.5 },
      paper: { value: 0.3, relation: '>', text: 'more than +0.3 points' },
    },
    {
      id: 'acc-back-to-dense-3.6',
      text: 'accuracy returns to the dense network’s',
      source: 'Section 2, Figures 3 and 4b',
      metric: { kind: 'accuracyDeltaVsDense', percent: 3.6 },
      paper: { value: 0, relation: '≈', text: '≈ 0 points (back to dense)' },
    },
    {
      id: 'es-vs-reinit-21',
      text: 'ticket reaches minimum validation loss sooner than random re-initialization',
      source: 'Section 2, random reinitialization',
      metric: { kind: 'earlyStopSpeedupVsControl', control: 'random-reinit', percent: 21.1 },
      paper: { value: 2.51, relation: '=', text: '2.51× sooner' },
    },
    {
      id: 'acc-vs-reinit-21',
      text: 'ticket more accurate than random re-initialization',
      source: 'Section 2, random reinitialization',
      metric: { kind: 'accuracyDeltaVsControl', control: 'random-reinit', percent: 21.1 },
      paper: { value: 0.5, relation: '=', text: '+0.5 points' },
    },
    {
      id: 'reinit-below-dense',
      text: 'random re-initialization falls below dense accuracy from',
      source: 'Section 2, random reinitialization',
      metric: { kind: 'firstLevelBelowDense', condition: 'random-reinit' },
      paper: { value: 21.1, relation: '=', text: '21.1% remaining' },
    },
    {
      id: 'ticket-below-dense',
      text: 'winning ticket falls below dense accuracy from',
      source: 'Section 2, random reinitialization',
      metric: { kind: 'firstLevelBelowDense', condition: 'ticket' },
      paper: { value: 2.9, relation: '=', text: '2.9% remaining' },
    },
  ],
};

function convReference(
  model: string,
  label: string,
  fast: { speedup: number; percent: number },
  acc: { delta: number; percent: number },
): PaperReference {
  return {
    id: `${model}-cifar10`,
    citation: CITATION,
    model,
    dataset: 'cifar10',
    claims: [
      {
        id: 'es-speedup-at-paper-level',
        text: `${label}: ticket reaches minimum validation loss faster than the dense network (at the paper's level)`,
        source: 'Section 3, Figure 5',
        metric: { kind: 'earlyStopSpeedupVsDense', percent: fast.percent },
        paper: { value: fast.speedup, relation: '=', text: `${fast.speedup}× faster (the paper's best)` },
      },
      {
        id: 'es-speedup-best',
        text: `${label}: best early-stopping speedup over the dense network at any level`,
        source: 'Section 3, Figure 5',
        metric: { kind: 'bestEarlyStopSpeedupVsDense' },
        paper: { value: fast.speedup, relation: '=', text: `${fast.speedup}× at ${fast.percent}%` },
      },
      {
        id: 'acc-delta-at-paper-level',
        text: `${label}: test accuracy above the dense network (at the paper's level)`,
        source: 'Section 3, Figure 5',
        metric: { kind: 'accuracyDeltaVsDense', percent: acc.percent },
        paper: { value: acc.delta, relation: '=', text: `+${acc.delta} points (the paper's best)` },
      },
      {
        id: 'acc-delta-best',
        text: `${label}: best test-accuracy gain over the dense network at any level`,
        source: 'Section 3, Figure 5',
        metric: { kind: 'bestAccuracyDeltaVsDense' },
        paper: { value: acc.delta, relation: '=', text: `+${acc.delta} points at ${acc.percent}%` },
      },
    ],
  };
}

/** The paper's reported values, by reference id. */
export const PAPER_REFERENCES: readonly PaperReference[] = [
  LENET,
  convReference('conv2', 'Conv-2', { speedup: 3.5, percent: 8.8 }, { delta: 3.4, percent: 4.6 }),
  convReference('conv4', 'Conv-4', { speedup: 3.5, percent: 9.2 }, { delta: 3.5, percent: 11.1 }),
  convReference('conv6', 'Conv-6', { speedup: 2.5, percent: 15.1 }, { delta: 3.3, percent: 26.4 }),
];

/**
 * What the paper reports for networks whose numbers compare runs (learning rates, warmup, layer-wise
 * vs global) in absolute CIFAR-10 accuracy rather than within one run: the report quotes them and
 * computes no per-run comparison.
 */
export const ACROSS_RUN_NUMBERS: Readonly<Record<string, string>> = {
  resnet20:
    `${CITATION}, Section 4 and Figure 8, ResNet-18 (ticketlab's resnet20, global pruning) on CIFAR-10: ` +
    'winning tickets appear only at the lower learning rate or with warmup. Dense 90.5% at lr 0.1; at lr 0.01 ' +
    'tickets reach 89.5% for 41.7% ≥ Pm ≥ 21.9%; at lr 0.03 with 20,000 iterations of warmup, 90.5% at Pm = 27.1% ' +
    'and tickets while Pm ≥ 11.8%. These numbers compare runs, so no comparison is computed within this one.',
  vgg19:
    `${CITATION}, Section 4 and Figure 7, VGG-19 on CIFAR-10: winning tickets appear only at the lower learning ` +
    'rate or with warmup (10,000 iterations at lr 0.1); with warmup, global pruning keeps tickets while Pm ≥ 1.5% ' +
    'and layer-wise pruning while Pm ≥ 6.9%. These numbers compare runs, so no comparison is computed within this one.',
};

const MODEL_ALIASES: Record<string, string> = {
  lenet: 'lenet300',
  'lenet-300-100': 'lenet300',
  lenet300100: 'lenet300',
  'conv-2': 'conv2',
  'conv-4': 'conv4',
  'conv-6': 'conv6',
};

/** What the paper says across runs about a model (ACROSS_RUN_NUMBERS), if anything. */
export function acrossRunNumbersFor(model: string): string | undefined {
  const m = model.trim().toLowerCase();
  return ACROSS_RUN_NUMBERS[MODEL_ALIASES[m] ?? m];
}

/** The reference for a model (by ticketlab name or a common alias), if the paper reports on it. */
export function paperReferenceFor(model: string): PaperReference | undefined {
  const m = model.trim().toLowerCase();
  const name = MODEL_ALIASES[m] ?? m;
  return PAPER_REFERENCES.find((r) => r.model === name);
}

export function paperReferenceById(id: string): PaperReference | undefined {
  return PAPER_REFERENCES.find((r) => r.id === id);
}

/** One row of the comparison table. */
export interface ComparisonRow {
  claim: PaperClaim;
  /** Our value, in the metric's unit; undefined when it cannot be computed. */
  ours?: number;
  oursText: string;
  /** The percent remaining the paper used, if the claim is at a level. */
  paperPercent?: number;
  /** The percent remaining of the level we used. */
  ourPercent?: number;
  /** 'exact': our level within 10% of the paper's; 'nearest': within 1.5×; 'missing': no value. */
  status: 'exact' | 'nearest' | 'missing';
  note?: string;
}

/** Ratio beyond which our nearest level is too far from the paper's to compare. */
const MAX_LEVEL_RATIO = 1.5;
const EXACT_LEVEL_RATIO = 1.1;

export function formatPercentRemaining(p: number): string {
  return p >= 1 ? `${p.toFixed(1)}%` : `${p.toPrecision(2)}%`;
}

function signed(x: number, digits: number): string {
  const s = x.toFixed(digits);
  return x >= 0 && !s.startsWith('-') ? `+${s}` : s;
}

/**
 * Computes our side of each claim from per-level aggregates (see aggregateLevels): means across
 * trials; early-stop ratios are ratios of means.
 */
export function compareWithPaper(aggs: readonly LevelAggregate[], ref: PaperReference): ComparisonRow[] {
  const ticket = ref.ticketCondition ?? 'ticket';
  const dense = denseBaseline(aggs);
  const pruned = (condition: string) =>
    aggs.filter((a) => a.condition === condition && !isFull(a) && a !== dense);

  /** Our level of `condition` for the paper's percent, or a reason there is none. */
  const levelFor = (
    condition: string,
    percent: number,
  ): { agg: LevelAggregate; status: 'exact' | 'nearest' } | { why: string } => {
    const cands = pruned(condition);
    if (cands.length === 0) return { why: `the run has no pruned levels of condition '${condition}'` };
    const agg = nearestLevel(cands, condition, percent)!;
    const ratio = Math.exp(Math.abs(Math.log(agg.percentRemaining / percent)));
    if (ratio > MAX_LEVEL_RATIO) {
      return {
        why: `no '${condition}' level near ${formatPercentRemaining(percent)} (nearest: ${formatPercentRemaining(agg.percentRemaining)})`,
      };
    }
    return { agg, status: ratio <= EXACT_LEVEL_RATIO ? 'exact' : 'nearest' };
  };

  const noDense = 'the run has no dense baseline (no level at 100% remaining)';

  return ref.claims.map((claim): ComparisonRow => {
    const m = claim.metric;
    const missing = (note: string, paperPercent?: number): ComparisonRow => ({
      claim,
      oursText: '—',
      status: 'missing',
      note,
      paperPercent,
    });
    switch (m.kind) {
      case 'earlyStopReductionVsDense':
      case 'earlyStopSpeedupVsDense':
      case 'accuracyDeltaVsDense': {
        if (!dense) return missing(noDense, m.percent);
        const hit = levelFor(ticket, m.percent);
        if ('why' in hit) return missing(hit.why, m.percent);
        const t = hit.agg;
        let ours: number;
        let oursText: string;
        if (m.kind === 'accuracyDeltaVsDense') {
          ours = t.testAccuracyAtEarlyStop.mean - dense.testAccuracyAtEarlyStop.mean;
          oursText = `${signed(ours, 2)} points`;
        } else if (m.kind === 'earlyStopSpeedupVsDense') {
          ours = dense.earlyStopIteration.mean / t.earlyStopIteration.mean;
          oursText = `${ours.toFixed(2)}× faster`;
        } else {
          ours = (1 - t.earlyStopIteration.mean / dense.earlyStopIteration.mean) * 100;
          oursText = ours >= 0 ? `${ours.toFixed(0)}% earlier` : `${(-ours).toFixed(0)}% later`;
        }
        return {
          claim,
          ours,
          oursText,
          paperPercent: m.percent,
          ourPercent: t.percentRemaining,
          status: hit.status,
          note: hit.status === 'nearest' ? 'nearest level; the paper measured at its own level' : undefined,
        };
      }
      case 'bestEarlyStopSpeedupVsDense':
      case 'bestAccuracyDeltaVsDense': {
        if (!dense) return missing(noDense);
        const cands = pruned(ticket);
        if (cands.length === 0) return missing(`the run has no pruned levels of condition '${ticket}'`);
        const value = (a: LevelAggregate) =>
          m.kind === 'bestEarlyStopSpeedupVsDense'
            ? dense.earlyStopIteration.mean / a.earlyStopIteration.mean
            : a.testAccuracyAtEarlyStop.mean - dense.testAccuracyAtEarlyStop.mean;
        let best = cands[0];
        for (const a of cands) if (value(a) > value(best)) best = a;
        const ours = value(best);
        return {
          claim,
          ours,
          oursText:
            m.kind === 'bestEarlyStopSpeedupVsDense'
              ? `${ours.toFixed(2)}× at ${formatPercentRemaining(best.percentRemaining)}`
              : `${signed(ours, 2)} points at ${formatPercentRemaining(best.percentRemaining)}`,
          ourPercent: best.percentRemaining,
          status: 'exact',
          note: `best of ${cands.length} pruned level${cands.length === 1 ? '' : 's'}`,
        };
      }
      case 'earlyStopSpeedupVsControl':
      case 'accuracyDeltaVsControl': {
        const hit = levelFor(ticket, m.percent);
        if ('why' in hit) return missing(hit.why, m.percent);
        const t = hit.agg;
        const c = aggs.find((a) => a.condition === m.control && a.level === t.level);
        if (!c) {
          return missing(
            `the run has no '${m.control}' control at level ${t.level} (${formatPercentRemaining(t.percentRemaining)})`,
            m.percent,
          );
        }
        const ours =
          m.kind === 'earlyStopSpeedupVsControl'
            ? c.earlyStopIteration.mean / t.earlyStopIteration.mean
            : t.testAccuracyAtEarlyStop.mean - c.testAccuracyAtEarlyStop.mean;
        return {
          claim,
          ours,
          oursText:
            m.kind === 'earlyStopSpeedupVsControl'
              ? `${ours.toFixed(2)}× sooner`
              : `${signed(ours, 2)} points`,
          paperPercent: m.percent,
          ourPercent: t.percentRemaining,
          status: hit.status,
          note: hit.status === 'nearest' ? 'nearest level; the paper measured at its own level' : undefined,
        };
      }
      case 'firstLevelBelowDense': {
        if (!dense) return missing(noDense);
        const cands = pruned(m.condition).sort((a, b) => b.percentRemaining - a.percentRemaining);
        if (cands.length === 0) return missing(`the run has no pruned levels of condition '${m.condition}'`);
        const isBelow = (a: LevelAggregate) =>
          a.testAccuracyAtEarlyStop.mean < dense.testAccuracyAtEarlyStop.mean;
        // "falls below from P": below dense at P and at every sparser level, so a one-level dip
        // within noise (then back above) is not read as the fall; the first dip is named in the note
        let from = cands.length;
        while (from > 0 && isBelow(cands[from - 1])) from--;
        const firstDip = cands.find(isBelow);
        const dipNote =
          firstDip && firstDip !== cands[from]
            ? `; first dipped below dense at ${formatPercentRemaining(firstDip.percentRemaining)}, then rose above again`
            : '';
        const lowest = cands[cands.length - 1];
        if (from === cands.length) {
          return {
            claim,
            oursText: `not below dense down to ${formatPercentRemaining(lowest.percentRemaining)}`,
            ourPercent: lowest.percentRemaining,
            status: 'exact',
            note: `the run's sparsest '${m.condition}' level is ${formatPercentRemaining(lowest.percentRemaining)}${dipNote}`,
          };
        }
        const below = cands[from];
        return {
          claim,
          ours: below.percentRemaining,
          oursText: `${formatPercentRemaining(below.percentRemaining)} remaining`,
          ourPercent: below.percentRemaining,
          status: 'exact',
          note: `mean accuracy below dense at this level and every sparser one (of ${cands.length} pruned levels)${dipNote}`,
        };
      }
    }
  });
}
