/**
 * The dashboard's server (`ticketlab serve`): a small hono app that reads the run store directly —
 * nothing is uploaded anywhere — and serves one page (./page.ts), the vega libraries from
 * node_modules, and JSON: the runs and the sweeps with their progress (polled for live progress), one row per
 * finished unit (src/sweep/table.ts), which the page filters and draws, and one run in detail.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { unitRows } from '../sweep/table.js';
import { UserError } from '../util/errors.js';
import { checkRunsRoot, listRunsForDashboard, listSweepsForDashboard, runDetail } from './data.js';
import { dashboardPage } from './page.js';

/** The browser builds of the vega libraries: beside each package's entry, in its build/ folder. */
export const VENDOR: Record<string, [string, string]> = {
  'vega.js': ['vega', 'vega.min.js'],
  'vega-lite.js': ['vega-lite', 'vega-lite.min.js'],
  'vega-embed.js': ['vega-embed', 'vega-embed.min.js'],
};

export function vendorPath(file: string): string | undefined {
  const entry = VENDOR[file];
  if (!entry) return undefined;
  const [pkg, name] = entry;
  return join(dirname(fileURLToPath(import.meta.resolve(pkg))), name);
}

export function dashboardApp(root?: string): Hono {
  const app = new Hono();
  app.get('/', (c) => c.html(dashboardPage()));
  app.get('/vendor/:file', (c) => {
    const path = vendorPath(c.req.param('file'));
    if (!path) return c.notFound();
    return c.body(readFileSync(path, 'utf8'), 200, {
      'content-type': 'text/javascript; charset=utf-8',
    });
  });
  app.get('/api/runs', (c) => c.json(listRunsForDashboard(root)));
  app.get('/api/sweeps', (c) => c.json(listSweepsForDashboard(root)));
  app.get('/api/rows', (c) => c.json(unitRows(root)));
  app.get('/api/run/:dir', (c) => {
    const detail = runDetail(root, c.req.param('dir'));
    return detail ? c.json(detail) : c.json({ error: 'no such run' }, 404);
  });
  return app;
}

/**
 * Serves the dashboard on `host`:`port` (0: any free port); resolves with its URL and a stop
 * function. A missing runs directory or a port in use is a UserError.
 */
export async function startDashboard(opts: { root?: string; port?: number; host?: string }): Promise<{
  url: string;
  close(): Promise<void>;
}> {
  checkRunsRoot(opts.root);
  const app = dashboardApp(opts.root);
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 0;
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port, hostname: host }, (info) => {
      resolve({
        url: `http://${host}:${info.port}/`,
        close: () =>
          new Promise<void>((done) => {
            (server as { closeAllConnections?: () => void }).closeAllConnections?.();
            server.close(() => done());
          }),
      });
    });
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE')
        reject(
          new UserError(
            `port ${port} on ${host} is in use`,
            'pick another with --port <n> (0: any free port)',
          ),
        );
      else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND')
        reject(new UserError(`cannot listen on ${host}`, 'pass an address of this machine with --host'));
      else reject(error);
    });
  });
}
