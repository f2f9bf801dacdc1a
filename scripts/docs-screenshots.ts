// The README's dashboard screenshots (docs/dashboard-*.png), made from a small real run store:
// `npm run docs:screenshots [-- runs-dir]`. Without a runs directory it runs the sweep
// examples/sweeps/dashboard-demo.yaml (LeNet-300-100 on MNIST, 56 units; needs $TICKETLAB_DATA or the
// dataset cache) into $TMPDIR/ticketlab-dashboard-demo — again a no-op once done — then opens the
// dashboard in Debian's chromium through playwright-core and takes the overview, a brushed
// parallel-coordinates plot and one run's view.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { startDashboard } from '../src/serve/app.js';

const CHROMIUM = '/usr/bin/chromium';
const SPEC = 'examples/sweeps/dashboard-demo.yaml';
const OUT = 'docs';

async function drag(page: Page, axis: string, from: number, to: number): Promise<void> {
  const box = await page.locator(`#brush-layer rect.handle[data-axis="${axis}"]`).boundingBox();
  if (!box) throw new Error(`no axis ${axis} in the parallel-coordinates plot`);
  const x = box.x + box.width / 2;
  await page.mouse.move(x, box.y + from * box.height);
  await page.mouse.down();
  await page.mouse.move(x, box.y + to * box.height, { steps: 8 });
  await page.mouse.up();
  await page.waitForSelector('body[data-drawn=yes]');
  await page.mouse.move(0, 0); // no hover highlight in the picture
}

/** The element `selector` with a margin around it. */
async function shoot(page: Page, selector: string, path: string): Promise<void> {
  const box = (await page.locator(selector).boundingBox())!;
  const m = 12;
  await page.screenshot({
    path,
    fullPage: true,
    clip: {
      x: Math.max(0, box.x - m),
      y: Math.max(0, box.y - m),
      width: box.width + 2 * m,
      height: box.height + 2 * m,
    },
  });
}

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is not installed (apt-get install -y chromium)`);
  const given = process.argv[2];
  const root = given ?? join(tmpdir(), 'ticketlab-dashboard-demo');
  if (!given) {
    console.log(`running ${SPEC} into ${root} (a no-op when done)`);
    const sweep = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/serve/entry.ts', 'sweep', 'run', SPEC, '--runs-dir', root],
      { stdio: 'inherit' },
    );
    if (sweep.status !== 0) throw new Error(`the sweep failed (exit ${sweep.status})`);
  }
  const dashboard = await startDashboard({ root, port: 0 });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    mkdirSync(OUT, { recursive: true });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    await page.goto(dashboard.url);
    await page.waitForSelector('body[data-ready=yes]', { timeout: 120_000 });
    await page.selectOption('#group', 'pruning.strategy');
    await page.waitForTimeout(500); // the accuracy figure's redraw
    await shoot(page, '#overview', `${OUT}/dashboard-overview.png`);
    // brush: the random runs whose best validation accuracy is in the top half of the axis
    await drag(page, 'pruning.strategy', 0, 0.3);
    await drag(page, 'maxValidationAccuracy', 0, 0.5);
    await shoot(page, '#overview', `${OUT}/dashboard-brushing.png`);
    const first = await page.locator('#runs tbody tr a').first().getAttribute('href');
    await page.goto(`${dashboard.url}${first}`);
    await page.waitForSelector('body[data-run-ready=yes]');
    await page.check('#smooth');
    await page.waitForTimeout(500);
    const top = await page.locator('#run').boundingBox();
    const units = await page.locator('#run .columns').boundingBox();
    await page.screenshot({
      path: `${OUT}/dashboard-run.png`,
      fullPage: true,
      clip: { x: 0, y: top!.y, width: 1280, height: units!.y - top!.y },
    });
    console.log(
      `wrote ${OUT}/dashboard-overview.png, dashboard-brushing.png, dashboard-run.png from ${root}`,
    );
  } finally {
    await browser.close();
    await dashboard.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
