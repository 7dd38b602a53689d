// `/openapi.json` and `/docs` for an app: the document built once from the app's operations. The
// operations are kept per app, so tests can check any answer of the app against its document.
import type { Hono } from 'hono';
import { PAGE_HEADERS } from '../../pages/shell.ts';
import { apiDocsHtml } from './docs-page.ts';
import { openApiDocument } from './document.ts';
import type { ApiDescription } from './operations.ts';

/** The routes this module adds (served, not documented in the document itself). */
export const API_DOCS_ROUTES = ['GET /openapi.json', 'GET /docs'] as const;

const described = new WeakMap<Hono, ApiDescription>();

/** The description an app's documents come from (undefined for an app that serves none). */
export function apiDescriptionOf(app: Hono): ApiDescription | undefined {
  return described.get(app);
}

export function mountApiDocs(app: Hono, api: ApiDescription): void {
  described.set(app, api);
  const json = JSON.stringify(openApiDocument(api));
  const html = apiDocsHtml(JSON.parse(json));
  app.get('/openapi.json', (c) =>
    c.body(json, 200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache' }),
  );
  app.get('/docs', (c) => c.body(html, 200, { ...PAGE_HEADERS, 'content-type': 'text/html; charset=utf-8' }));
}
