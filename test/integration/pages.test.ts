// The cloud's pages over HTTP: the dashboard at `/` and the console at exactly `/admin` are served
// without a token and hold no data (the same bytes whoever asks), every asset they load is served by
// the cloud itself (nothing from another origin), and the page routes take nothing from the JSON
// API: the admin API still wants its token, unknown /v1 and /admin paths still answer 404 JSON.
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCloudApp } from '../../cloud/http/app.ts';
import { ASSET_NAMES } from '../../cloud/http/page-routes.ts';
import { createCloudMetrics } from '../../cloud/metrics/cloud-metrics.ts';
import { createTenantResolver, type TenantResolver } from '../../cloud/resolver/tenant-resolver.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import { call } from '../helpers/edge.ts';
import { createTestPlatform, type TestPlatform, uniqueId } from '../helpers/engines.ts';

const ADMIN_TOKEN = 'mpa_pages_test_token_0123456789abcdef';

/** Every local URL a page or script refers to: `src`/`href` attributes and ES module imports. */
function references(text: string, base: string): string[] {
  const found = [
    ...[...text.matchAll(/\s(?:src|href)="([^"#]+)"/g)].map((m) => m[1]!),
    ...[...text.matchAll(/\bfrom\s+'([^']+)'/g)].map((m) => m[1]!),
    ...[...text.matchAll(/\bimport\s*\(\s*'([^']+)'/g)].map((m) => m[1]!),
  ];
  return found.map((ref) => new URL(ref, `http://cloud${base}`).pathname);
}

describe('the cloud pages over HTTP', () => {
  let p: TestPlatform;
  let resolver: TenantResolver;
  let app: Hono;
  const orgId = uniqueId('pg');
  let owner: { email: string; password: string };

  beforeAll(async () => {
    p = await createTestPlatform('embedded');
    const made = await onboardTenant(p.tenants, {
      orgId,
      name: 'Pages',
      currency: 'EUR',
      timezone: 'Asia/Tokyo',
    });
    owner = { email: made.ownerEmail, password: made.ownerPassword };
    resolver = createTenantResolver({
      control: p.control,
      engine: p.engine,
      keyring: p.tenants.keyring,
      maxPools: 2,
      poolSize: 1,
    });
    app = createCloudApp({
      tenants: p.tenants,
      adminToken: ADMIN_TOKEN,
      metrics: createCloudMetrics({ tenants: p.tenants, resolver }),
      resolver,
    });
  });
  afterAll(async () => {
    await resolver?.close();
    await p?.destroy();
  });

  it.each([
    ['/', '/assets/dashboard.js'],
    ['/admin', '/assets/console.js'],
  ])('serves %s without a token, as HTML with a strict CSP, loading %s', async (path, script) => {
    const res = await app.request(path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const html = await res.text();
    expect(html).toContain(`<script type="module" src="${script}"></script>`);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('loads every asset the pages refer to from the cloud itself, and nothing from elsewhere', async () => {
    const seen = new Set<string>();
    const queue = [
      ...references(await (await app.request('/')).text(), '/'),
      ...references(await (await app.request('/admin')).text(), '/admin'),
    ];
    while (queue.length > 0) {
      const path = queue.shift()!;
      if (seen.has(path)) continue;
      seen.add(path);
      const res = await app.request(path);
      expect(res.status, path).toBe(200);
      const type = res.headers.get('content-type') ?? '';
      expect(type, path).toMatch(path.endsWith('.css') ? /^text\/css/ : /^text\/javascript/);
      const text = await res.text();
      if (path.endsWith('.js')) queue.push(...references(text, path));
      // Our own scripts and styles name no other origin; uPlot's only URLs are in its comments.
      if (!path.includes('/vendor/')) expect(text, path).not.toMatch(/https?:\/\//);
      else expect(text, path).not.toMatch(/(fetch|import)\s*\(\s*['"`]https?:/);
    }
    expect([...seen].sort()).toEqual(ASSET_NAMES.map((n) => `/assets/${n}`).sort());
  });

  it('gives the same page whoever asks: no tenant data is in the HTML', async () => {
    const login = await call(app, 'POST', `/v1/orgs/${orgId}/sessions`, owner);
    expect(login.status).toBe(201);
    const anonymous = await (await app.request('/')).text();
    const signedIn = await (
      await app.request('/', { headers: { authorization: `Bearer ${login.body.token}` } })
    ).text();
    expect(signedIn).toBe(anonymous);
    expect(anonymous).not.toContain(orgId);
  });

  it("answers the session with the tenant's time zone and currency, which the dashboard shows everything in", async () => {
    const login = await call(app, 'POST', `/v1/orgs/${orgId}/sessions`, owner);
    const who = await call(app, 'GET', '/v1/session', undefined, {
      authorization: `Bearer ${login.body.token}`,
    });
    expect(who).toMatchObject({
      status: 200,
      body: { orgId, timeZone: 'Asia/Tokyo', currency: 'EUR', user: { email: owner.email, role: 'owner' } },
    });
  });

  it('leaves the JSON API as it was: the admin API wants its token, unknown routes are 404 JSON', async () => {
    expect(await call(app, 'GET', '/admin/tenants')).toMatchObject({
      status: 401,
      body: { error: { code: 'unauthorized' } },
    });
    expect(
      await call(app, 'GET', '/admin/tenants', undefined, { authorization: `Bearer ${ADMIN_TOKEN}` }),
    ).toMatchObject({
      status: 200,
      body: { tenants: expect.arrayContaining([expect.objectContaining({ orgId })]) },
    });
    for (const path of [
      '/v1/nope',
      '/v1',
      '/assets/nope.js',
      '/assets/../package.json',
      '/assets/vendor/uPlot.cjs.js',
    ]) {
      expect(await call(app, 'GET', path), path).toMatchObject({
        status: 404,
        body: { error: { code: 'not_found' } },
      });
    }
    // Only GET is a page: a POST to / or /admin is no route.
    expect(await call(app, 'POST', '/', {})).toMatchObject({
      status: 404,
      body: { error: { code: 'not_found' } },
    });
    expect((await call(app, 'POST', '/admin', {})).status).toBe(401);
    expect(await call(app, 'GET', '/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
  });
});
