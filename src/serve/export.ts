/**
 * The static export (`ticketlab serve --export <dir>`): the dashboard as a self-contained folder for
 * sharing — index.html (the same page the server sends), data.js (the runs, the sweeps, the rows and every run's
 * detail, which the page reads instead of asking a server) and vendor/ (the vega libraries copied
 * from node_modules, no CDN). It opens from file:// with no server.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../util/errors.js';
import { VENDOR, vendorPath } from './app.js';
import { checkRunsRoot, dashboardData, runDetail } from './data.js';
import { dashboardPage } from './page.js';

export interface ExportSummary {
  dir: string;
  index: string;
  runs: number;
  sweeps: number;
  units: number;
}

/** Writes the export of the runs under `root` into `outDir`, which must be new or empty. */
export function exportDashboard(root: string | undefined, outDir: string): ExportSummary {
  checkRunsRoot(root);
  const dir = resolve(outDir);
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory())
      throw new UserError(`--export ${outDir}: ${dir} is a file`, 'name a new or empty directory');
    if (readdirSync(dir).length > 0)
      throw new UserError(
        `--export ${outDir}: ${dir} is not empty`,
        'name a new or empty directory (the export does not overwrite or mix with other files)',
      );
  }
  const data = dashboardData(root);
  const details = Object.fromEntries(data.runs.map((r) => [r.dir, runDetail(root, r.dir) ?? null]));
  mkdirSync(join(dir, 'vendor'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), dashboardPage({ exported: true }));
  writeFileSync(
    join(dir, 'data.js'),
    `// ticketlab dashboard export of ${checkRunsRoot(root)}, ${new Date().toISOString()}\n` +
      `window.TICKETLAB_STATIC = ${JSON.stringify({ ...data, details })};\n`,
  );
  for (const file of Object.keys(VENDOR)) copyFileSync(vendorPath(file)!, join(dir, 'vendor', file));
  return {
    dir,
    index: join(dir, 'index.html'),
    runs: data.runs.length,
    sweeps: data.sweeps.length,
    units: data.rows.length,
  };
}
