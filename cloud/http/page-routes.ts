// The cloud's pages: the HQ dashboard at `/`, the operator console at exactly `/admin`, and their
// assets under `/assets/` (the pages' own scripts and styles, and uPlot from node_modules): every
// byte served by the cloud itself, nothing from a CDN. Pages hold no data: their scripts call the
// JSON API with the user's own token, so they add no way around its authentication.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Context, Hono } from 'hono';
import { PAGE_HEADERS } from '../../src/pages/shell.ts';
import { consoleHtml } from '../pages/console-page.ts';
import { dashboardHtml } from '../pages/dashboard-page.ts';

const own = (name: string) => fileURLToPath(new URL(`../pages/assets/${name}`, import.meta.url));
/** The stylesheet and helpers the edge's register page shares (src/pages/assets/). */
const shared = (name: string) => fileURLToPath(new URL(`../../src/pages/assets/${name}`, import.meta.url));
const uplotDir = dirname(createRequire(import.meta.url).resolve('uplot'));

const TYPES = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' } as const;

/** Every asset by its path under /assets/, read once: a fixed list, so no path reaches the disk. */
const ASSET_FILES: Record<string, string> = {
  'pages.css': shared('pages.css'),
  'common.js': shared('common.js'),
  'charts.js': own('charts.js'),
  'dashboard.js': own('dashboard.js'),
  'console.js': own('console.js'),
  'vendor/uPlot.esm.js': join(uplotDir, 'uPlot.esm.js'),
  'vendor/uPlot.min.css': join(uplotDir, 'uPlot.min.css'),
};

export const ASSET_NAMES = Object.keys(ASSET_FILES);

export function createPageRoutes(): Hono {
  const assets = new Map(
    Object.entries(ASSET_FILES).map(([name, file]) => {
      const type = TYPES[name.endsWith('.css') ? 'css' : 'js'];
      return [name, { body: readFileSync(file, 'utf8'), type }];
    }),
  );
  const app = new Hono();
  const html = (body: string) => ({ body, type: 'text/html; charset=utf-8' });
  const page = (p: { body: string; type: string }) => (c: Context) =>
    c.body(p.body, 200, { ...PAGE_HEADERS, 'content-type': p.type });

  app.get('/', page(html(dashboardHtml)));
  app.get('/admin', page(html(consoleHtml)));
  app.get('/assets/*', (c) => {
    const asset = assets.get(c.req.path.slice('/assets/'.length));
    if (!asset) return c.notFound();
    return page(asset)(c);
  });
  return app;
}
