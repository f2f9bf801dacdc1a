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
import { exportDashboard } from '../src/serve/export.js';
import { unitRows, type Row } from '../src/sweep/table.js';
import {
  chromiumSkip as skip,
  count,
  dragOnAxis,
  drawn,
  lastLevels,
  launchChromium,
  openDashboardPage,
  FAILED_KEY,
  FAILED_MESSAGE,
  lineKey,
  makeDashboardRuns,
} from './helpers/dashboard.js';

let root: string;
let dashboard: { url: string; close(): Promise<void> };
let browser: Browser;
let rows: Row[];
let dirs: { magnitude: string; random: string };

before(async () => {
  if (skip) return;
  root = mkdtempSync(join(tmpdir(), 'ticketlab-serve-'));
  dirs = await makeDashboardRuns(root);
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

const openPage = (url = dashboard.url) => openDashboardPage(browser, url);

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

const cells = (page: Page, table: string) =>
  page
    .locator(`${table} tbody tr`)
    .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
const percent = (f: unknown) => `${(100 * (f as number)).toFixed(2)}%`;

/** The run view of the random run, checked against its rows and its failed unit. */
async function assertRunView(page: Page): Promise<void> {
  await page.waitForSelector('body[data-run-ready=yes]');
  assert.equal(await page.textContent('#run-title'), dirs.random);
  assert.ok(await page.isHidden('#overview'));
  const summary = (await page.textContent('#run-summary')) ?? '';
  assert.match(summary, /units: 3 done, 1 failed/);
  assert.match(summary, /levels done: 2\/2 · .* threads 1 · ticketlab \d/);
  const mine = rows.filter((r) => r.run === dirs.random);
  // every finished unit: its fraction remaining, early-stop iteration and test accuracy, as the rows say
  const levels = await cells(page, '#run-levels');
  assert.equal(levels.length, mine.length);
  for (const r of mine) {
    const row = levels.find(
      (c) => c[0] === String(r.trial) && c[1] === String(r.level) && c[2] === r.condition,
    );
    assert.ok(row, `${r.condition} level ${r.level}`);
    assert.deepEqual(row.slice(3, 6), [
      percent(r.fractionRemaining),
      String(r.earlyStopIteration),
      percent(r.testAccuracyAtEarlyStop),
    ]);
  }
  const units = await cells(page, '#run-units');
  assert.deepEqual(units.map((u) => u[1]).sort(), ['done', 'done', 'done', 'failed']);
  assert.deepEqual(units.find((u) => u[0] === FAILED_KEY)?.slice(1, 2), ['failed']);
  assert.match(units.find((u) => u[0] === FAILED_KEY)![4], new RegExp(FAILED_MESSAGE.slice(0, 20)));
  const settings = await cells(page, '#run-settings');
  assert.deepEqual(
    settings.find((c) => c[0] === 'pruning.strategy'),
    ['pruning.strategy', 'random'],
  );
  // the ticket's curves: one line and one early-stop mark per level, one sparsity row per level
  const ticketLevels = mine.filter((r) => r.condition === 'ticket' && r.trial === 0).length;
  assert.equal(await page.inputValue('#run-condition'), 'ticket');
  assert.equal(await count(page, '#run-curves g.curves_marks path'), ticketLevels);
  assert.equal(await count(page, '#run-curves g.stops_marks path'), ticketLevels);
  const sparsity = await cells(page, '#run-sparsity');
  assert.equal(sparsity.length, ticketLevels);
  assert.deepEqual(
    sparsity.map((c) => c[1]),
    mine.filter((r) => r.condition === 'ticket').map((r) => percent(r.fractionRemaining)),
  );
  // the first layer's mask per level: a 28 × 28 picture of the input per level
  const pictures = await page
    .locator('#run-masks g.mark-rect.role-mark')
    .evaluateAll((gs) => gs.map((g) => g.querySelectorAll('path').length));
  assert.deepEqual(pictures, Array(ticketLevels).fill(28 * 28));
  // smoothing redraws the curves with other values; the control has its one pruned level
  const shape = () =>
    page
      .locator('#run-curves g.curves_marks path')
      .evaluateAll((ps) => ps.map((p) => p.getAttribute('d')).join());
  const raw = await shape();
  await page.check('#smooth');
  await page.waitForFunction(
    `[...document.querySelectorAll('#run-curves g.curves_marks path')].map((p) => p.getAttribute('d')).join() !== ${JSON.stringify(raw)}`,
  );
  assert.notEqual(await shape(), raw);
  await page.selectOption('#run-condition', 'random-reinit');
  await page.waitForFunction("document.querySelectorAll('#run-curves g.curves_marks path').length === 1");
  assert.equal(await count(page, '#run-masks g.mark-rect.role-mark'), 1);
}

test(
  'dashboard: a click on a run opens its view — levels, curves (smoothed on demand), masks, units, settings, provenance',
  { skip },
  async () => {
    const { page, errors } = await openPage();
    await page.click(`#runs tr[data-run="${dirs.random}"] a`);
    await assertRunView(page);
    await page.click('text=← all runs');
    await page.waitForSelector('#overview:not([hidden])');
    // a link to the run view opens it directly
    const direct = await openPage(`${dashboard.url}#run=${dirs.random}`);
    await assertRunView(direct.page);
    assert.deepEqual([...errors, ...direct.errors], []);
    await page.close();
    await direct.page.close();
  },
);

test(
  'dashboard: the static export opens from file:// without a server, with the same views',
  { skip },
  async () => {
    const out = join(root, '..', `${root.split('/').pop()}-export`);
    try {
      const written = exportDashboard(root, out);
      assert.deepEqual({ runs: written.runs, units: written.units }, { runs: 2, units: rows.length });
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const requests: string[] = [];
      const errors: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      page.on('pageerror', (e) => errors.push(e.message));
      await dashboard.close(); // no server behind the export
      await page.goto(`file://${written.index}`);
      await page.waitForSelector('body[data-ready=yes]', { timeout: 60_000 });
      assert.equal(await page.textContent('#count'), `${rows.length} of ${rows.length} units`);
      assert.equal(await count(page, '#runs tbody tr'), 2);
      assert.equal(await count(page, '#parallel g.mark-line path'), lastLevels(rows).size);
      await dragOnAxis(page, 'pruning.strategy', 0, 0.3);
      assert.equal(await count(page, '#parallel g.selected_marks path'), 2);
      await page.click(`#runs tr[data-run="${dirs.random}"] a`);
      await assertRunView(page);
      assert.deepEqual(
        requests.filter((u) => !u.startsWith('file://')),
        [],
        'nothing fetched from the network',
      );
      assert.deepEqual(errors, []);
      await page.close();
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  },
);
