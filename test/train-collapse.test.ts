/** The "collapsed to chance" check (src/train/collapse.ts) on synthetic curves. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COLLAPSE_MARGIN, COLLAPSE_WINDOW, collapsedToChance } from '../src/train/collapse.js';
import type { EvalPoint } from '../src/train/types.js';

/** A curve evaluated every 100 iterations from 0 with these validation accuracies. */
const curve = (accuracies: number[]): EvalPoint[] =>
  accuracies.map((a, i) => ({
    iteration: 100 * i,
    validationLoss: 2.3,
    validationAccuracy: a,
    testLoss: 2.3,
    testAccuracy: a,
  }));

test('stuck at chance over the last evaluations after training started: collapsed', () => {
  // learned, then fell to chance (lr 0.2 with warmup: the rate climbs until training collapses)
  const c = collapsedToChance(curve([0.1, 0.9, 0.6, 0.11, 0.098, 0.1135]), 10);
  assert.deepEqual(c, { sinceIteration: 300, validationAccuracy: 0.1135, chance: 0.1 });
  // never learned at all
  assert.ok(collapsedToChance(curve([0.09, 0.1, 0.1, 0.1]), 10));
  // at the margin's edge (1/classes + margin) still chance; just above it not
  assert.ok(collapsedToChance(curve([0.1, 0.1, 0.1, 0.1 + COLLAPSE_MARGIN]), 10));
  assert.equal(collapsedToChance(curve([0.1, 0.1, 0.1, 0.1 + COLLAPSE_MARGIN + 0.001]), 10), undefined);
  // chance depends on the classes: 55% is chance for 2 classes, well above it for 10
  assert.ok(collapsedToChance(curve([0.5, 0.5, 0.52, 0.55]), 2));
  assert.equal(collapsedToChance(curve([0.5, 0.5, 0.52, 0.55]), 10), undefined);
});

test('not collapsed: learning, recovering at the end, or too few evaluations to judge', () => {
  assert.equal(collapsedToChance(curve([0.1, 0.5, 0.8, 0.9]), 10), undefined);
  // at chance for a while, then recovered within the window
  assert.equal(collapsedToChance(curve([0.1, 0.1, 0.1, 0.1, 0.4]), 10), undefined);
  // the evaluation at iteration 0 is the untrained network: never counted
  assert.equal(COLLAPSE_WINDOW, 3);
  assert.equal(collapsedToChance(curve([0.1, 0.1, 0.1]), 10), undefined);
  assert.equal(collapsedToChance([], 10), undefined);
});
