// The register page at `/` and its assets under `/assets/`, served by the edge itself so a till
// sells with the cloud down and no network beyond the shop: every byte comes from this process
// (the shared stylesheet and helpers from src/pages/assets/, the register's own from
// edge/pages/assets/), nothing from a CDN. The page holds no data: its script calls the cashier API
// with the signed-in cashier's session.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Context, Hono } from 'hono';
import { PAGE_HEADERS } from '../../src/pages/shell.ts';
import { registerHtml } from '../pages/register-page.ts';

const own = (name: string) => fileURLToPath(new URL(`../pages/assets/${name}`, import.meta.url));
const shared = (name: string) => fileURLToPath(new URL(`../../src/pages/assets/${name}`, import.meta.url));

/** Every asset by its path under /assets/, read once: a fixed list, so no path reaches the disk. */
const ASSET_FILES: Record<string, string> = {
  'pages.css': shared('pages.css'),
  'common.js': shared('common.js'),
  'register.css': own('register.css'),
  'register.js': own('register.js'),
};

export const REGISTER_ASSET_NAMES = Object.keys(ASSET_FILES);

const TYPES = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' } as const;

export function mountRegisterPage(app: Hono): void {
  const assets = new Map(
    Object.entries(ASSET_FILES).map(([name, file]) => {
      const type = TYPES[name.endsWith('.css') ? 'css' : 'js'];
      return [name, { body: readFileSync(file, 'utf8'), type }];
    }),
  );
  const send = (c: Context, body: string, type: string) =>
    c.body(body, 200, { ...PAGE_HEADERS, 'content-type': type });
  app.get('/', (c) => send(c, registerHtml, 'text/html; charset=utf-8'));
  app.get('/assets/*', (c) => {
    const asset = assets.get(c.req.path.slice('/assets/'.length));
    if (!asset) return c.notFound();
    return send(c, asset.body, asset.type);
  });
}
