/**
 * The dashboard's server (`ticketlab serve`): a small hono app that reads the run store directly —
 * nothing is uploaded anywhere — and serves one page (./page.ts), the vega libraries from
 * node_modules, and two JSON endpoints: the runs with their progress (polled for live progress) and
 * one row per finished unit (src/sweep/table.ts), which the page filters and draws.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { RunStore } from '../store/index.js';
import { unitRows } from '../sweep/table.js';
import { dashboardPage } from './page.js';

/** The browser builds of the vega libraries: beside each package's entry, in its build/ folder. */
const VENDOR: Record<string, [string, string]> = {
  'vega.js': ['vega', 'vega.min.js'],
  'vega-lite.js': ['vega-lite', 'vega-lite.min.js'],
  'vega-embed.js': ['vega-embed', 'vega-embed.min.js'],
};

export function dashboardApp(root?: string): Hono {
  const app = new Hono();
  app.get('/', (c) => c.html(dashboardPage()));
  app.get('/vendor/:file', (c) => {
    const entry = VENDOR[c.req.param('file')];
    if (!entry) return c.notFound();
    const [pkg, file] = entry;
    const path = join(dirname(fileURLToPath(import.meta.resolve(pkg))), file);
    return c.body(readFileSync(path, 'utf8'), 200, {
      'content-type': 'text/javascript; charset=utf-8',
    });
  });
  app.get('/api/runs', (c) =>
    c.json(
      new RunStore({ root }).list().map((r) => ({
        name: r.name,
        hash: r.hash,
        done: r.progress.done,
        planned: r.progress.planned,
        active: r.active,
        problem: r.problem ?? null,
      })),
    ),
  );
  app.get('/api/rows', (c) => c.json(unitRows(root)));
  return app;
}

/** Serves the dashboard on 127.0.0.1:`port` (0: any free port); resolves with its URL and a stop function. */
export function startDashboard(opts: { root?: string; port?: number; host?: string }): Promise<{
  url: string;
  close(): Promise<void>;
}> {
  const app = dashboardApp(opts.root);
  const host = opts.host ?? '127.0.0.1';
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: opts.port ?? 0, hostname: host }, (info) => {
      resolve({
        url: `http://${host}:${info.port}/`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}
