/**
 * The dashboard in a real browser: Debian's chromium driven by playwright-core loads the page over a
 * run store made here, lists its runs, draws the parallel-coordinates and accuracy figures, and a
 * filter by a setting narrows the runs and what is drawn. Brushes are dragged with the mouse along
 * the parallel-coordinates axes, and the lines, rows, runs and accuracy points that remain are
 * counted against the rows the server serves. Skipped, visibly, without /usr/bin/chromium.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startDashboard } from '../src/serve/app.js';
import { unitRows, type Row } from '../src/sweep/table.js';
import {
  chromiumSkip as skip,
  count,
  dragOnAxis,
  drawn,
  lastLevels,
  launchChromium,
  lineKey,
  makeDashboardRuns,
} from './helpers/dashboard.js';

let root: string;
let dashboard: { url: string; close(): Promise<void> };
let browser: Browser;
let rows: Row[];

before(async () => {
  if (skip) return;
  root = mkdtempSync(join(tmpdir(), 'ticketlab-serve-'));
  await makeDashboardRuns(root);
  rows = unitRows(root).rows;
  dashboard = await startDashboard({ root, port: 0 });
  browser = await launchChromium();
});
after(async () => {
  if (skip) return;
  await browser.close();
  await dashboard.close();
  rmSync(root, { recursive: true, force: true });
});

async function openPage(): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(dashboard.url);
  await page.waitForSelector('body[data-ready=yes]', { timeout: 60_000 });
  return { page, errors };
}

test(
  'dashboard: runs, parallel coordinates and accuracy drawn; a filter narrows them',
  { skip },
  async () => {
    const { page, errors } = await openPage();
    assert.equal(await page.locator('#runs tbody tr').count(), 2);
    assert.match((await page.textContent('#count')) ?? '', /^5 of 5 units$/);
    // one line per (run, trial, condition) at its last level: magnitude ticket, random ticket and control
    await page.waitForSelector('#parallel svg');
    assert.equal(await page.locator('#parallel g.mark-line path').count(), 3);
    const axes = await page.locator('#parallel g.mark-text text').allTextContents();
    assert.ok(axes.includes('random') && axes.includes('magnitude'), axes.join(' '));
    assert.ok((await page.locator('#accuracy g.mark-line path').count()) >= 1);

    await page.fill('#filter', 'pruning.strategy=random');
    await page.press('#filter', 'Enter');
    await page.waitForFunction("document.getElementById('count').textContent === '3 of 5 units'");
    await page.waitForFunction("document.querySelectorAll('#runs tbody tr').length === 1");
    await page.waitForFunction("document.querySelectorAll('#parallel g.mark-line path').length === 2");
    const groups = await page.locator('#group option').allTextContents();
    assert.ok(groups.includes('pruning.strategy') && groups.includes('condition'));
    assert.deepEqual(errors, []);
    await page.close();
  },
);

/** What the page shows against what the rows say for the selected lines `keys`. */
async function assertFollows(page: Page, keys: Set<string>, total: number): Promise<void> {
  assert.equal(await count(page, '#parallel g.selected_marks path'), keys.size, 'selected lines');
  assert.equal(await count(page, '#parallel g.context_marks path'), total - keys.size, 'greyed lines');
  const visible = rows.filter((r) => keys.has(lineKey(r)));
  assert.equal(await page.textContent('#count'), `${visible.length} of ${rows.length} units`);
  const runs = await page
    .locator('#runs tbody tr')
    .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-run')));
  assert.deepEqual(runs.sort(), [...new Set(visible.map((r) => r.run as string))].sort());
  // the accuracy figure: one point per (group = condition, fraction remaining) of the visible rows
  const points = new Set(visible.map((r) => `${r.condition}/${r.fractionRemaining}`));
  assert.equal(await count(page, '#accuracy g.mark-symbol.role-mark path'), points.size, 'accuracy points');
}

const ranges = async (page: Page) =>
  JSON.parse((await page.getAttribute('#brushes', 'data-ranges')) ?? '{}') as Record<
    string,
    { values?: string[]; min?: number; max?: number }
  >;

test(
  'dashboard: brushing parallel-coordinates axes with the mouse narrows the other views; clearing restores them',
  { skip },
  async () => {
    const { page, errors } = await openPage();
    const lines = lastLevels(rows);
    assert.equal(lines.size, 3);
    await assertFollows(page, new Set(lines.keys()), lines.size);

    // strategies are sorted bottom to top (magnitude, random): a drag from above the top takes random in
    await dragOnAxis(page, 'pruning.strategy', 0, 0.3);
    assert.deepEqual((await ranges(page))['pruning.strategy'], { values: ['random'] });
    const random = [...lines].filter(([, r]) => r['pruning.strategy'] === 'random').map(([k]) => k);
    assert.equal(random.length, 2);
    await assertFollows(page, new Set(random), lines.size);

    // a second axis: the top of best validation accuracy; the lines kept are those in both ranges
    await dragOnAxis(page, 'maxValidationAccuracy', 0, 0.15);
    const accuracy = (await ranges(page)).maxValidationAccuracy;
    assert.ok(accuracy.min !== undefined && accuracy.max !== undefined, JSON.stringify(accuracy));
    const inRange = (r: Row) =>
      (r.maxValidationAccuracy as number) >= accuracy.min! &&
      (r.maxValidationAccuracy as number) <= accuracy.max!;
    const both = random.filter((k) => inRange(lines.get(k)!));
    assert.ok(both.length >= 1, 'the line at the top of the axis is in its range');
    await assertFollows(page, new Set(both), lines.size);

    // a click (no drag) on an axis clears that axis only
    await dragOnAxis(page, 'pruning.strategy', 0.5, 0.5);
    assert.deepEqual(Object.keys(await ranges(page)), ['maxValidationAccuracy']);
    const accuracyOnly = [...lines].filter(([, r]) => inRange(r)).map(([k]) => k);
    await assertFollows(page, new Set(accuracyOnly), lines.size);

    // the clear button: every line, row and run again
    await page.click('#clear-brushes');
    await drawn(page);
    assert.deepEqual(await ranges(page), {});
    await assertFollows(page, new Set(lines.keys()), lines.size);
    assert.deepEqual(errors, []);
    await page.close();
  },
);
