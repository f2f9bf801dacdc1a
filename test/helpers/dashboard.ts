/**
 * For the dashboard's browser tests: a run store with two small real lotteries (magnitude; random
 * with a random-reinit control) and one failed unit, Debian's chromium through playwright-core, a
 * drag along a parallel-coordinates axis with the mouse, and the plot's lines recomputed from the
 * rows the server serves (so what is drawn is checked against the data, not against itself).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { Row } from '../../src/sweep/table.js';
import { RunStore } from '../../src/store/index.js';
import { runSmallLottery, smallConfig } from './small-lottery.js';

export const CHROMIUM = '/usr/bin/chromium';
export const chromiumSkip = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is not installed (apt-get install -y chromium)`;

export const FAILED_KEY = 'trial-0/level-02/ticket';
export const FAILED_MESSAGE = 'out of memory while training (written by the test)';

/** The store: run `magnitude` and run `random` (which also holds a failed unit). Returns their directory names. */
export async function makeDashboardRuns(root: string): Promise<{ magnitude: string; random: string }> {
  await runSmallLottery(root, smallConfig({ levels: 1, strategy: 'magnitude' }));
  await runSmallLottery(root, smallConfig({ levels: 1, strategy: 'random', controls: ['random-reinit'] }));
  const dirs = new RunStore({ root }).list().map((r) => ({ dir: `${r.name}-${r.hash}`, config: r.config }));
  const dirOf = (strategy: string) =>
    dirs.find((d) => (d.config as { pruning: { strategy: string } }).pruning.strategy === strategy)!.dir;
  const unitDir = join(root, dirOf('random'), ...FAILED_KEY.split('/'));
  mkdirSync(unitDir, { recursive: true });
  writeFileSync(
    join(unitDir, 'failed.json'),
    JSON.stringify({ message: FAILED_MESSAGE, at: new Date().toISOString(), pid: 1, hostname: 'test' }),
  );
  return { magnitude: dirOf('magnitude'), random: dirOf('random') };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/** The page's script marks body[data-drawn=yes] when a redraw after a brush or filter is finished. */
export async function drawn(page: Page): Promise<void> {
  await page.waitForSelector('body[data-drawn=yes]', { timeout: 30_000 });
}

/**
 * Drags with the mouse along the brush strip of `axis`, from `from` to `to` (fractions of the strip's
 * height from its top; the strip reaches 10 px past both ends of the axis), and waits for the redraw.
 */
export async function dragOnAxis(page: Page, axis: string, from: number, to: number): Promise<void> {
  const box = await page.locator(`#brush-layer rect.handle[data-axis="${axis}"]`).boundingBox();
  if (!box) throw new Error(`no brush strip for axis ${axis}`);
  const x = box.x + box.width / 2;
  await page.mouse.move(x, box.y + from * box.height);
  await page.mouse.down();
  await page.mouse.move(x, box.y + to * box.height, { steps: 8 });
  await page.mouse.up();
  await drawn(page);
}

export const lineKey = (r: Row): string => `${r.run}/${r.trial}/${r.condition}`;

/** The plot's lines, recomputed: the deepest level of each (run, trial, condition). */
export function lastLevels(rows: Row[]): Map<string, Row> {
  const last = new Map<string, Row>();
  for (const r of rows) {
    const seen = last.get(lineKey(r));
    if (!seen || (seen.level as number) < (r.level as number)) last.set(lineKey(r), r);
  }
  return last;
}

/** How many elements match `selector` on the page. */
export const count = (page: Page, selector: string): Promise<number> => page.locator(selector).count();

/** A new page at `url`, once the dashboard says it has drawn; page errors are collected, not thrown. */
export async function openDashboardPage(
  browser: Browser,
  url: string,
): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForSelector('body[data-ready=yes]', { timeout: 60_000 });
  return { page, errors };
}
