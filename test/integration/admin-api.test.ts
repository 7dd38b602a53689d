// The operator API through app.request(): bearer token, error shapes and status codes, and the same
// lifecycle as the CLI. Runs on every engine.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCloudApp } from '../../cloud/http/app.ts';
import { createCloudMetrics } from '../../cloud/metrics/cloud-metrics.ts';
import { createTenantResolver, type TenantResolver } from '../../cloud/resolver/tenant-resolver.ts';
import { createTestPlatform, engineNames, type TestPlatform, uniqueId } from '../helpers/engines.ts';
import { documented } from '../helpers/openapi.ts';

const TOKEN = 'mpa_test_token_0123456789abcdef';

/** Response bodies are checked by the assertions that read them. */
// biome-ignore lint/suspicious/noExplicitAny: a test reads arbitrary JSON and asserts on its shape.
const json = async (res: Response): Promise<any> => res.json();

describe.each(engineNames)('admin API on %s', (engine) => {
  let p: TestPlatform;
  let resolver: TenantResolver;
  let app: Hono;
  // Each answer is checked against the cloud's OpenAPI document (test/helpers/openapi.ts).
  const call = async (method: string, path: string, body?: unknown, token: string | null = TOKEN) =>
    documented(
      app,
      method,
      path,
      await app.request(path, {
        method,
        headers: {
          ...(token === null ? {} : { authorization: `Bearer ${token}` }),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      }),
    );
  const orgCount = async () => (await p.control.query('SELECT id FROM organizations')).length;

  beforeAll(async () => {
    p = await createTestPlatform(engine);
    resolver = createTenantResolver({ control: p.control, engine: p.engine, keyring: p.tenants.keyring });
    const metrics = createCloudMetrics({ tenants: p.tenants, resolver });
    app = createCloudApp({ tenants: p.tenants, adminToken: TOKEN, metrics });
  });
  afterAll(async () => {
    await resolver?.close();
    await p?.destroy();
  });

  it('serves health, readiness and Prometheus metrics', async () => {
    expect(await json(await call('GET', '/healthz', undefined, null))).toEqual({ status: 'ok' });
    expect((await call('GET', '/readyz', undefined, null)).status).toBe(200);
    // Metrics name every tenant: the operator's token, as for /admin.
    expect((await call('GET', '/metrics', undefined, null)).status).toBe(401);
    const metrics = await (await call('GET', '/metrics')).text();
    expect(metrics).toMatch(/modernpos_tenants\{status="active"\} \d+/);
    expect(metrics).toContain('modernpos_tenant_pools');
    expect(metrics).toContain('modernpos_migration_backlog');
    expect(metrics).toContain('modernpos_control_plane_up 1');
  });

  it('answers a missing or wrong admin token with 401 and the error shape', async () => {
    for (const token of [null, 'wrong', `${TOKEN}x`, '']) {
      const res = await call('GET', '/admin/tenants', undefined, token);
      expect(res.status).toBe(401);
      expect(await json(res)).toEqual({
        error: { code: 'unauthorized', message: 'missing or wrong admin token' },
      });
    }
    expect((await call('POST', '/admin/tenants', { orgId: uniqueId(), name: 'x' }, 'wrong')).status).toBe(
      401,
    );
  });

  it.each(['x;drop database postgres', 'A', 'a-b', '../x', '', 'a'.repeat(49)])(
    'answers org id %j with 400 and creates nothing',
    async (orgId) => {
      const before = await orgCount();
      const res = await call('POST', '/admin/tenants', { orgId, name: 'Bad' });
      expect(res.status).toBe(400);
      expect((await json(res)).error.code).toBe('invalid_input');
      expect(await orgCount()).toBe(before);
    },
  );

  // These were 500s: Postgres refuses NUL in text, after the org's row was being written.
  it.each([
    ['NUL in the name', { name: 'Ac\u0000me' }, 'name'],
    ['NUL in the owner email', { name: 'Acme', ownerEmail: 'own\u0000er@acme.example' }, 'ownerEmail'],
    ['an escape in the name', { name: 'Acme\u001b[2J' }, 'name'],
    [
      'a C1 control in the owner email',
      { name: 'Acme', ownerEmail: 'owner\u0085@acme.example' },
      'ownerEmail',
    ],
    ['an unknown key with NUL', { name: 'Acme', 'ev\u0000il': 1 }, 'body'],
  ])('answers %s with 400 naming the field and creates nothing', async (_, fields, named) => {
    const orgId = uniqueId();
    const before = await orgCount();
    const res = await call('POST', '/admin/tenants', { orgId, ...fields });
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.error.code).toBe('invalid_input');
    expect(body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: named })]));
    // The message quotes nothing raw: no control character reaches an answer or a log line.
    expect([...body.error.message].some((c) => c.charCodeAt(0) < 0x20)).toBe(false);
    expect(await orgCount()).toBe(before);
    expect((await call('GET', `/admin/tenants/${orgId}`)).status).toBe(404);
  });

  it('answers malformed JSON, unknown fields and oversized bodies with 400/413', async () => {
    const bad = await call('POST', '/admin/tenants', '{"orgId":');
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.message).toMatch(/not valid JSON/);
    const extra = await call('POST', '/admin/tenants', { orgId: uniqueId(), name: 'x', evil: true });
    expect(extra.status).toBe(400);
    const huge = await call('POST', '/admin/tenants', {
      orgId: uniqueId(),
      name: 'x'.repeat(2 * 1024 * 1024),
    });
    expect(huge.status).toBe(413);
  });

  it('onboards (201), conflicts (409), lists, shows, migrates, exports and offboards', async () => {
    const orgId = uniqueId();
    const created = await call('POST', '/admin/tenants', { orgId, name: 'API Shop', currency: 'EUR' });
    expect(created.status).toBe(201);
    const body = await json(created);
    expect(body).toMatchObject({
      orgId,
      database: `modernpos_org_${orgId}`,
      ownerEmail: 'owner@example.com',
    });
    expect(typeof body.ownerPassword).toBe('string');

    const dup = await call('POST', '/admin/tenants', { orgId, name: 'Again' });
    expect(dup.status).toBe(409);
    expect((await json(dup)).error.code).toBe('conflict');

    const list = await json(await call('GET', '/admin/tenants'));
    expect(list.tenants.map((t: { orgId: string }) => t.orgId)).toContain(orgId);
    const shown = await call('GET', `/admin/tenants/${orgId}`);
    expect(await json(shown)).toMatchObject({
      orgId,
      status: 'active',
      schemaVersion: p.tenants.tenantMigrations.migrations.length,
    });
    expect((await call('GET', `/admin/tenants/${uniqueId()}`)).status).toBe(404);
    expect((await call('GET', '/admin/tenants/BAD-ID')).status).toBe(400);

    const migrated = await call('POST', `/admin/tenants/${orgId}/migrate`);
    expect(await json(migrated)).toMatchObject({ orgId, ok: true, applied: [] });

    const exported = await call('GET', `/admin/tenants/${orgId}/export`);
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-type')).toBe('application/gzip');
    const file = join(p.dataDir, 'api-export.tar.gz');
    writeFileSync(file, Buffer.from(await exported.arrayBuffer()));
    expect(execFileSync('tar', ['tzf', file], { encoding: 'utf8' })).toContain('manifest.json');
    expect((await call('GET', `/admin/tenants/${uniqueId()}/export`)).status).toBe(404);

    const unconfirmed = await call('POST', `/admin/tenants/${orgId}/offboard`, {});
    expect(unconfirmed.status).toBe(400);
    expect((await call('GET', `/admin/tenants/${orgId}`)).status).toBe(200);
    const off = await call('POST', `/admin/tenants/${orgId}/offboard`, { confirm: true });
    expect(off.status).toBe(200);
    expect(await json(off)).toMatchObject({ orgId, status: 'offboarded' });
    expect(await json(await call('GET', `/admin/tenants/${orgId}`))).toMatchObject({
      status: 'offboarded',
      sizeBytes: null,
    });
    expect((await call('POST', `/admin/tenants/${uniqueId()}/offboard`, { confirm: true })).status).toBe(404);
  });

  it('reports across tenant databases, carrying on past a failing one', async () => {
    const [shop, broken, paused] = [uniqueId('fa'), uniqueId('fb'), uniqueId('fc')];
    for (const orgId of [shop, broken, paused]) {
      expect(
        (await call('POST', '/admin/tenants', { orgId, name: `Fleet ${orgId}`, currency: 'EUR' })).status,
      ).toBe(201);
    }
    const db = p.engine.openDatabase(`modernpos_org_${shop}`, 1);
    try {
      // Two sales and a refund today on the branch's own clock, one sale yesterday, one device
      // last acknowledged (synced) before it was last heard from.
      await db.query(
        `INSERT INTO devices (id, branch_id, name, token_hash, created_at, last_sync_at, last_seen_at)
         SELECT 'd1', id, 'Till', 'h', now(), '2026-01-02T03:04:05Z', '2026-01-02T03:09:00Z'
         FROM branches WHERE code = 'MAIN'`,
      );
      await db.query(
        `INSERT INTO sales (id, receipt_no, kind, branch_code, terminal, currency, subtotal_minor, discount_minor,
           tax_minor, total_minor, change_minor, occurred_at, business_date, flags)
         SELECT v.id, v.id, v.kind, 'MAIN', 'T1', 'EUR', v.total, 0, 0, v.total, 0, now(),
           (now() AT TIME ZONE b.time_zone)::date - v.days_ago, '[]'
         FROM branches b, (VALUES ('s1', 'sale', 1000, 0), ('s2', 'sale', 500, 0), ('r1', 'refund', 200, 0),
           ('s0', 'sale', 9999, 1)) AS v (id, kind, total, days_ago)
         WHERE b.code = 'MAIN'`,
      );
      // A tenant whose schema is broken fails alone.
      const bad = p.engine.openDatabase(`modernpos_org_${broken}`, 1);
      await bad.query('DROP TABLE sales CASCADE').finally(() => bad.close());
    } finally {
      await db.close();
    }
    await p.control.query("UPDATE organizations SET status = 'suspended' WHERE id = $1", [paused]);

    const res = await call('GET', '/admin/reports/tenants');
    expect(res.status).toBe(200);
    const body = await json(res);
    const of = (orgId: string) => body.tenants.find((t: { orgId: string }) => t.orgId === orgId);
    expect(of(shop)).toMatchObject({
      status: 'active',
      schemaVersion: p.tenants.tenantMigrations.migrations.length,
      latestSchemaVersion: p.tenants.tenantMigrations.migrations.length,
      sizeBytes: expect.any(Number),
      currency: 'EUR',
      salesToday: { count: 2, netMinor: 1300 },
      devices: 1,
      lastSyncAt: '2026-01-02T03:04:05.000Z',
      lastSeenAt: '2026-01-02T03:09:00.000Z',
    });
    expect(of(shop).error).toBeUndefined();
    expect(of(broken)).toMatchObject({
      status: 'active',
      salesToday: null,
      error: { code: 'tenant_unavailable' },
    });
    expect(of(broken).error.message).toMatch(/sales/);
    expect(of(paused)).toMatchObject({ status: 'suspended', salesToday: { count: 0, netMinor: 0 } });
    expect(body.failed).toContain(broken);
    expect(body.failed).not.toContain(shop);
    expect((await call('GET', '/admin/reports/tenants', undefined, 'wrong')).status).toBe(401);
  });

  it('answers unknown routes with 404 in the error shape', async () => {
    const res = await call('GET', '/nope');
    expect(res.status).toBe(404);
    expect((await json(res)).error.code).toBe('not_found');
  });
});
