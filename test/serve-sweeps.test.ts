/**
 * The dashboard's sweeps in a real browser (Debian's chromium through playwright-core), over a run
 * store made by three real `ticketlab sweep run` commands (test/helpers/dashboard-sweeps.ts): each
 * sweep listed with its units done / running / failed / total; a unit's lease taken and released
 * while the page is open shows in the counts at the next poll; selecting a sweep narrows the runs
 * table, the parallel-coordinates plot and the accuracy figure to its own units (a run shared with
 * a larger sweep keeps only this sweep's levels); the static export lists and selects the same.
 * Skipped, visibly, without /usr/bin/chromium or the MNIST files.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startDashboard } from '../src/serve/app.js';
import { exportDashboard } from '../src/serve/export.js';
import { RunStore } from '../src/store/index.js';
import { unitRows, type Row } from '../src/sweep/table.js';
import { chromiumSkip, count, lastLevels, launchChromium, openDashboardPage } from './helpers/dashboard.js';
import { type MadeSweep, type SweepStore, makeSweepStore } from './helpers/dashboard-sweeps.js';
import { NEEDS_DATA } from './helpers/sweep.js';

const skip = chromiumSkip || NEEDS_DATA;
let dir: string;
let runs: string;
let store: SweepStore;
let rows: Row[];
let dashboard: { url: string; close(): Promise<void> };
let browser: Browser;

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'ticketlab-serve-sweeps-'));
  runs = join(dir, 'runs');
  store = await makeSweepStore(dir, runs);
  rows = unitRows(runs).rows;
  dashboard = await startDashboard({ root: runs, port: 0 });
  browser = await launchChromium();
});
after(async () => {
  if (skip) return;
  await browser.close();
  await dashboard.close();
  rmSync(dir, { recursive: true, force: true });
});

const openPage = (url = dashboard.url) => openDashboardPage(browser, url);

/** The sweeps table: name → [runs, done, running, failed, total, state]. */
async function sweepCells(page: Page): Promise<Record<string, string[]>> {
  const cells = await page
    .locator('#sweeps tbody tr')
    .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
  return Object.fromEntries(cells.map((c) => [c[0], c.slice(1, 7)]));
}

const EXPECTED = {
  seeds: ['2', '4', '0', '0', '4', 'done'],
  strategies: ['2', '6', '0', '0', '6', 'done'],
  crashing: ['1', '0', '0', '2', '2', 'failed'],
};

/** The rows of a sweep's units, from the rows the server serves: its runs, and levels up to its own. */
function rowsOf(sweep: MadeSweep, maxLevel: number): Row[] {
  return rows.filter((r) => sweep.dirs.includes(r.run as string) && (r.level as number) <= maxLevel);
}

const runsShown = (page: Page) =>
  page.locator('#runs tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-run')).sort());

/** Selects `sweep` and checks that the runs table, the count and the figures hold its units only. */
async function assertSelected(page: Page, sweep: MadeSweep, mine: Row[]): Promise<void> {
  await page.click(`#sweeps tr[data-sweep^="${sweep.name}-"] button`);
  await page.waitForSelector(`body[data-sweep^="${sweep.name}-"][data-drawn=yes]`);
  assert.deepEqual(await runsShown(page), [...sweep.dirs].sort());
  assert.equal(
    await page.textContent('#count'),
    `${mine.length} of ${mine.length} units of sweep ${sweep.name}`,
  );
  // the plot's lines: one per (run, trial, condition) of the sweep's units, at the sweep's last level
  const lines = lastLevels(mine);
  assert.equal(await count(page, '#parallel g.mark-line path'), lines.size, 'parallel lines');
  const drawnLines = (await page.evaluate('parallel.lines.map((l) => [l.key, l.row.level])')) as [
    string,
    number,
  ][];
  assert.deepEqual(drawnLines.sort(), [...lines].map(([k, r]) => [k, r.level as number]).sort());
  // accuracy vs remaining grouped by strategy: one point per (strategy, fraction remaining) of its rows
  const points = new Set(mine.map((r) => `${r['pruning.strategy']}/${r.fractionRemaining}`));
  assert.equal(await count(page, '#accuracy g.mark-symbol.role-mark path'), points.size, 'accuracy points');
  const legend = await page.locator('#accuracy g.role-legend-label text').allTextContents();
  assert.deepEqual(legend.sort(), [...new Set(mine.map((r) => String(r['pruning.strategy'])))].sort());
}

test(
  'dashboard: sweeps listed with units done / running / failed / total; selecting one narrows runs and figures to its units',
  { skip },
  async () => {
    const { page, errors } = await openPage();
    assert.deepEqual(await sweepCells(page), EXPECTED);
    assert.equal(rows.length, 8); // seeds: 2 runs × 2 levels; strategies: 2 × 3, 2 of them seeds'
    await page.selectOption('#group', 'pruning.strategy');
    await assertSelected(page, store.strategies, rowsOf(store.strategies, 2));
    // seeds shares strategies' seed-1 magnitude run, but only its levels 0 and 1
    const seeds = rowsOf(store.seeds, 1);
    assert.equal(seeds.length, 4);
    await assertSelected(page, store.seeds, seeds);
    assert.equal(
      await page.getAttribute('#sweeps tr.selected', 'data-sweep'),
      await page.evaluate('selectedSweep'),
    );
    // a run whose units all failed: listed, with nothing to draw
    await page.click(`#sweeps tr[data-sweep^="crashing-"] button`);
    await page.waitForSelector('body[data-sweep^="crashing-"][data-drawn=yes]');
    assert.deepEqual(await runsShown(page), store.crashing.dirs);
    assert.equal(await page.textContent('#count'), '0 of 0 units of sweep crashing');
    // "all runs": every run and unit again
    await page.click('#all-runs');
    await page.waitForSelector('body[data-sweep=""][data-drawn=yes]');
    assert.equal(await page.textContent('#count'), `${rows.length} of ${rows.length} units`);
    assert.equal(await count(page, '#runs tbody tr'), 4);
    assert.equal(await count(page, '#parallel g.mark-line path'), lastLevels(rows).size);
    assert.deepEqual(errors, []);
    await page.close();
  },
);

test(
  'dashboard: sweep progress is live — a unit taken and given back shows at the next poll',
  { skip },
  async () => {
    const { page, errors } = await openPage();
    const [crasherDir] = store.crashing.dirs;
    const stored = new RunStore({ root: runs }).loadRun(crasherDir);
    const run = new RunStore({ root: runs }).openRun(stored.name, stored.identity as object);
    const lease = run.tryLease('trial-0/level-00/ticket');
    assert.ok(lease, 'the lease is free');
    const crashingRow = (cells: string) =>
      `[...document.querySelectorAll('#sweeps tr[data-sweep^="crashing-"] td')].slice(1, 7).map((td) => td.textContent).join() === ${JSON.stringify(cells)}`;
    try {
      await page.waitForFunction(crashingRow('1,0,1,1,2,running'), undefined, { timeout: 30_000 });
    } finally {
      lease.release();
      run.close();
    }
    await page.waitForFunction(crashingRow(EXPECTED.crashing.join()), undefined, { timeout: 30_000 });
    assert.deepEqual(errors, []);
    await page.close();
  },
);

test(
  'dashboard: the static export lists the sweeps and selects them without a server',
  { skip },
  async () => {
    const out = join(dir, 'export');
    const written = exportDashboard(runs, out);
    assert.deepEqual({ runs: written.runs, sweeps: written.sweeps }, { runs: 4, sweeps: 3 });
    const { page, errors } = await openPage(`file://${written.index}`);
    assert.deepEqual(await sweepCells(page), EXPECTED);
    await page.selectOption('#group', 'pruning.strategy');
    await assertSelected(page, store.strategies, rowsOf(store.strategies, 2));
    assert.deepEqual(errors, []);
    await page.close();
  },
);
