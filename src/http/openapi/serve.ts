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
  // Built on the first request, not with the app: most apps (tests, a till that nobody asks) never serve it.
  let built: { json: string; html: string } | undefined;
  const documents = () => {
    if (!built) {
      const json = JSON.stringify(openApiDocument(api));
      built = { json, html: apiDocsHtml(JSON.parse(json)) };
    }
    return built;
  };
  app.get('/openapi.json', (c) =>
    c.body(documents().json, 200, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-cache',
    }),
  );
  app.get('/docs', (c) =>
    c.body(documents().html, 200, { ...PAGE_HEADERS, 'content-type': 'text/html; charset=utf-8' }),
  );
}
