/**
 * The dashboard in a real browser: Debian's chromium driven by playwright-core loads the page over a
 * run store made here, lists its runs, draws the parallel-coordinates and accuracy figures, and a
 * filter by a setting narrows the runs and what is drawn. Skipped, visibly, without /usr/bin/chromium.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startDashboard } from '../src/serve/app.js';
import { runSmallLottery, smallConfig } from './helpers/small-lottery.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install -y chromium)`;

test(
  'dashboard: runs, parallel coordinates and accuracy drawn; a filter narrows them',
  { skip },
  async () => {
    const root = mkdtempSync(join(tmpdir(), 'ticketlab-serve-'));
    const dashboard = await (async () => {
      await runSmallLottery(root, smallConfig({ levels: 1, strategy: 'magnitude' }));
      await runSmallLottery(
        root,
        smallConfig({ levels: 1, strategy: 'random', controls: ['random-reinit'] }),
      );
      return startDashboard({ root, port: 0 });
    })();
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(dashboard.url);
      await page.waitForSelector('body[data-ready=yes]', { timeout: 60_000 });
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
    } finally {
      await browser.close();
      await dashboard.close();
      rmSync(root, { recursive: true, force: true });
    }
  },
);
