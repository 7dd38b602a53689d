// HQ sessions through app.request() on every engine: login gives an opaque token stored hashed with
// an expiry, logout revokes it, every failed login answers the same 401, repeated failures are
// slowed, cashiers are kept out, and a token never reaches another tenant.
import { createHash } from 'node:crypto';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoginThrottle } from '../../cloud/hq/login-throttle.ts';
import { authenticate, SESSION_TTL_MS } from '../../cloud/hq/sessions.ts';
import { createCloudApp } from '../../cloud/http/app.ts';
import { createHqCatalogRoutes } from '../../cloud/http/hq-catalog-routes.ts';
import { createHqRoutes } from '../../cloud/http/hq-routes.ts';
import { createHqSyncRoutes } from '../../cloud/http/hq-sync-routes.ts';
import { createCloudMetrics } from '../../cloud/metrics/cloud-metrics.ts';
import { createTenantResolver, type TenantResolver } from '../../cloud/resolver/tenant-resolver.ts';
import { hashSecret } from '../../cloud/secrets/passwords.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import type { ClosableSqlDatabase } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { call } from '../helpers/edge.ts';
import { createTestPlatform, engineNames, type TestPlatform, uniqueId } from '../helpers/engines.ts';

describe('login throttle', () => {
  it('lets a few failures through, then doubles the wait up to a ceiling, and forgets on success', () => {
    let clock = 0;
    const t = createLoginThrottle({
      freeFailures: 2,
      baseDelayMs: 100,
      maxDelayMs: 500,
      windowMs: 1000,
      now: () => clock,
    });
    const fail = (key: string) => {
      const attempt = t.begin(key);
      if (!attempt.ok) throw new Error(`refused: ${attempt.reason}`);
      attempt.failed();
      return attempt.delayMs;
    };
    const delays = [];
    for (let i = 0; i < 6; i++) delays.push(fail('k'));
    expect(delays).toEqual([0, 0, 100, 200, 400, 500]);
    const success = t.begin('k');
    if (!success.ok) throw new Error('refused');
    success.succeeded();
    expect(t.delayFor('k')).toBe(0);
    for (let i = 0; i < 3; i++) fail('k');
    clock = 2000;
    expect(t.delayFor('k')).toBe(0);
  });
});

describe.each(engineNames)('HQ sessions on %s', (engine) => {
  let p: TestPlatform;
  let resolver: TenantResolver;
  let app: Hono;
  let db: ClosableSqlDatabase;
  const orgA = uniqueId('a');
  const orgB = uniqueId('b');
  let owner: { email: string; password: string };
  const waits: number[] = [];
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });
  const get = (token: string) => app.request('/v1/session', { headers: auth(token) });
  /** A JSON request as the bearer of session `t`: status and parsed body. */
  const as = (t: string, method: string, path: string, body?: unknown) =>
    call(app, method, path, body, auth(t));

  beforeAll(async () => {
    p = await createTestPlatform(engine);
    const a = await onboardTenant(p.tenants, { orgId: orgA, name: 'A', ownerEmail: 'owner@a.example' });
    await onboardTenant(p.tenants, { orgId: orgB, name: 'B', ownerEmail: 'owner@b.example' });
    owner = { email: a.ownerEmail, password: a.ownerPassword };
    db = p.engine.openDatabase(tenantDatabaseName(orgA));
    await db.query(
      `INSERT INTO users (id, email, name, role_id, password_hash, active, created_at, updated_at)
       VALUES ('c1', 'cashier@a.example', 'Cash', 'cashier', $1, true, now(), now()),
              ('v1', 'viewer@a.example', 'View', 'viewer', $2, true, now(), now())`,
      [await hashSecret('cashier-password'), await hashSecret('viewer-password')],
    );
    resolver = createTenantResolver({
      control: p.control,
      engine: p.engine,
      keyring: p.tenants.keyring,
      maxPools: 4,
      poolSize: 1,
    });
    const metrics = createCloudMetrics({ tenants: p.tenants, resolver });
    app = createCloudApp({
      tenants: p.tenants,
      adminToken: 'mpa_test_token_0123456789abcdef',
      metrics,
    });
    app.route('/v1', createHqSyncRoutes({ resolver }));
    app.route('/v1', createHqCatalogRoutes({ resolver }));
    app.route(
      '/v1',
      createHqRoutes({
        resolver,
        throttle: createLoginThrottle({ freeFailures: 3, baseDelayMs: 10, maxDelayMs: 40 }),
        sleep: async (ms) => {
          waits.push(ms);
        },
      }),
    );
  });
  afterAll(async () => {
    await db?.close();
    await resolver?.close();
    await p?.destroy();
  });

  it('logs the owner in with an opaque token, stored only hashed, that logout revokes', async () => {
    const res = await call(app, 'POST', `/v1/orgs/${orgA}/sessions`, owner);
    expect(res).toMatchObject({
      status: 201,
      body: { token: expect.stringMatching(new RegExp(`^mph_${orgA}_`)), expiresAt: expect.any(String) },
    });
    const token: string = res.body.token;
    expect(Date.parse(res.body.expiresAt) - Date.now()).toBeGreaterThan(SESSION_TTL_MS - 60_000);
    const [stored] = await db.query<{ token_hash: string }>('SELECT token_hash FROM hq_sessions');
    expect(stored!.token_hash).toBe(createHash('sha256').update(token.slice(-32)).digest('hex'));
    expect(await (await get(token)).json()).toMatchObject({
      orgId: orgA,
      user: { email: owner.email, role: 'owner' },
    });
    expect((await app.request('/v1/session', { method: 'DELETE', headers: auth(token) })).status).toBe(204);
    expect((await get(token)).status).toBe(401);
  });

  it('answers the same 401 whether the org, the email or the password is wrong, and slows repeats', async () => {
    const attempts = [
      [`/v1/orgs/${orgA}/sessions`, { ...owner, password: 'wrong' }],
      [`/v1/orgs/${orgA}/sessions`, { email: 'nobody@a.example', password: owner.password }],
      [`/v1/orgs/nosuchorg/sessions`, owner],
      [`/v1/orgs/Not-An-Org!/sessions`, owner],
      [`/v1/orgs/${orgB}/sessions`, owner],
    ] as const;
    const bodies = [];
    for (const [path, body] of attempts) {
      const res = await call(app, 'POST', path, body);
      expect(res.status).toBe(401);
      bodies.push(res.body);
    }
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
    waits.length = 0;
    for (let i = 0; i < 5; i++)
      await call(app, 'POST', `/v1/orgs/${orgA}/sessions`, { ...owner, password: 'again' });
    // One failure above and five here: from the third failure on, each attempt waits, doubling to the ceiling.
    expect(waits).toEqual([10, 20, 40]);
    expect((await call(app, 'POST', `/v1/orgs/${orgA}/sessions`, owner)).status).toBe(201);
  });

  it('keeps cashiers out of HQ and sessions out of other tenants, and expires them', async () => {
    const cashier = await call(app, 'POST', `/v1/orgs/${orgA}/sessions`, {
      email: 'cashier@a.example',
      password: 'cashier-password',
    });
    expect(cashier).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    const token: string = (await call(app, 'POST', `/v1/orgs/${orgA}/sessions`, owner)).body.token;
    const spliced = token.replace(`mph_${orgA}_`, `mph_${orgB}_`);
    expect((await get(spliced)).status).toBe(401);
    expect((await get(`mph_nosuchorg_${token.slice(-32)}`)).status).toBe(401);
    expect((await get('garbage')).status).toBe(401);
    const later = new Date(Date.now() + SESSION_TTL_MS + 1000);
    expect(await authenticate(db, token, later)).toBeUndefined();
    expect(await authenticate(db, token)).toMatchObject({ role: 'owner' });
  });

  it('refuses malformed login bodies with 400', async () => {
    expect((await call(app, 'POST', `/v1/orgs/${orgA}/sessions`, '{"email":')).status).toBe(400);
    expect((await call(app, 'POST', `/v1/orgs/${orgA}/sessions`, { email: owner.email })).status).toBe(400);
  });

  it('registers devices (token once), lists them without it, revokes them; viewers may only look', async () => {
    const token: string = (await call(app, 'POST', `/v1/orgs/${orgA}/sessions`, owner)).body.token;
    const viewer: string = (
      await call(app, 'POST', `/v1/orgs/${orgA}/sessions`, {
        email: 'viewer@a.example',
        password: 'viewer-password',
      })
    ).body.token;
    const created = await as(token, 'POST', '/v1/devices', { branch: 'MAIN', name: 'Till 9' });
    expect(created.status).toBe(201);
    const device = created.body as { deviceId: string; branch: string; token: string };
    expect(device).toEqual({
      deviceId: expect.any(String),
      branch: 'MAIN',
      token: expect.stringMatching(/^mpd_/),
    });
    expect((await as(viewer, 'POST', '/v1/devices', { branch: 'MAIN', name: 'Nope' })).status).toBe(403);
    expect((await as(token, 'POST', '/v1/devices', { branch: 'NOPE', name: 'x' })).status).toBe(404);
    const listed = (await as(viewer, 'GET', '/v1/devices')).body as { devices: unknown[] };
    expect(listed.devices).toEqual([
      expect.objectContaining({ id: device.deviceId, branch: 'MAIN', revokedAt: null }),
    ]);
    expect(JSON.stringify(listed)).not.toContain(device.token);
    expect((await as(viewer, 'DELETE', `/v1/devices/${device.deviceId}`)).status).toBe(403);
    expect((await as(token, 'DELETE', `/v1/devices/${device.deviceId}`)).body).toEqual({
      revokedAt: expect.any(String),
    });
    const audit = await db.query<{ action: string; actor: string }>(
      "SELECT action, actor FROM audit_logs WHERE entity = 'device' ORDER BY at",
    );
    expect(audit).toEqual([
      { action: 'device.registered', actor: owner.email },
      { action: 'device.revoked', actor: owner.email },
    ]);
  });

  it('lists the quarantine and discards with a reason', async () => {
    const token: string = (await call(app, 'POST', `/v1/orgs/${orgA}/sessions`, owner)).body.token;
    const [device] = await db.query<{ id: string }>('SELECT id FROM devices LIMIT 1');
    await db.query(
      `INSERT INTO sync_quarantine (id, device_id, seq, mutation_id, kind, payload, reason_code, reason, received_at)
       VALUES ('q1', $1, 1, 'm1', 'sale', '{}', 'invalid_payload', 'broken', now())`,
      [device!.id],
    );
    const quarantine = async (query = '') =>
      ((await as(token, 'GET', `/v1/sync/quarantine${query}`)).body as { quarantine: unknown[] }).quarantine;
    expect(await quarantine()).toEqual([
      expect.objectContaining({ id: 'q1', reasonCode: 'invalid_payload', payload: {} }),
    ]);
    expect((await as(token, 'POST', '/v1/sync/quarantine/q1/discard', {})).status).toBe(400);
    expect((await as(token, 'POST', '/v1/sync/quarantine/q1/discard', { reason: 'test data' })).status).toBe(
      204,
    );
    expect(await quarantine()).toEqual([]);
    expect(await quarantine('?unresolved=false')).toHaveLength(1);
    expect((await as(token, 'POST', '/v1/sync/quarantine/q1/replay', {})).status).toBe(409);
  });

  it('manages the catalog through the services that log changes, as the user, with role checks', async () => {
    const token: string = (await call(app, 'POST', `/v1/orgs/${orgA}/sessions`, owner)).body.token;
    const viewer: string = (
      await call(app, 'POST', `/v1/orgs/${orgA}/sessions`, {
        email: 'viewer@a.example',
        password: 'viewer-password',
      })
    ).body.token;
    const changes = async () =>
      (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM change_log'))[0]!.n;
    const before = await changes();
    expect(
      await as(token, 'POST', '/v1/branches', { code: 'B2', name: 'Second', timeZone: 'Asia/Tokyo' }),
    ).toMatchObject({ status: 201 });
    const product = await as(token, 'POST', '/v1/products', { sku: 'TEA', name: 'Tea', priceMinor: 300 });
    expect(product).toMatchObject({ status: 201, body: { sku: 'TEA', priceMinor: 300, active: true } });
    expect(await as(token, 'PATCH', `/v1/products/${product.body.id}`, { name: 'Green tea' })).toMatchObject({
      status: 200,
    });
    expect(
      await as(token, 'POST', '/v1/prices', { productId: product.body.id, priceMinor: 350 }),
    ).toMatchObject({ status: 201 });
    expect((await as(viewer, 'GET', '/v1/products')).body.products).toEqual([
      expect.objectContaining({ sku: 'TEA', name: 'Green tea', priceMinor: 350 }),
    ]);
    expect(
      (await as(viewer, 'GET', '/v1/branches')).body.branches.map((b: { code: string }) => b.code),
    ).toEqual(['B2', 'MAIN']);
    expect((await as(viewer, 'GET', '/v1/tax-rates')).body.taxRates).toHaveLength(1);
    const logged = await changes();
    expect(logged).toBeGreaterThan(before);
    // Viewers may not write; bad input writes nothing.
    expect((await as(viewer, 'POST', '/v1/products', { sku: 'X', name: 'X', priceMinor: 1 })).status).toBe(
      403,
    );
    for (const bad of [
      { sku: '', name: 'X', priceMinor: 1 },
      { sku: 'Y', name: 'Y', priceMinor: -1 },
      { sku: 'Z' },
    ]) {
      expect(await as(token, 'POST', '/v1/products', bad)).toMatchObject({
        status: 400,
        body: { error: { code: 'invalid_input' } },
      });
    }
    expect(
      await as(token, 'POST', '/v1/branches', { code: 'b-3', name: 'x', timeZone: 'Mars/Base' }),
    ).toMatchObject({ status: 400 });
    expect(
      await as(token, 'POST', '/v1/products', { sku: 'TEA', name: 'Again', priceMinor: 1 }),
    ).toMatchObject({ status: 409 });
    expect(await changes()).toBe(logged);
    const [audit] = await db.query<{ actor: string }>(
      "SELECT actor FROM audit_logs WHERE action = 'product.created'",
    );
    expect(audit!.actor).toBe(owner.email);
  });

  it('makes HQ users with passwords: the owner makes managers, managers make viewers and cashiers', async () => {
    const login = async (email: string, password: string) =>
      call(app, 'POST', `/v1/orgs/${orgA}/sessions`, { email, password });
    const ownerToken: string = (await login(owner.email, owner.password)).body.token;
    const manager = await as(ownerToken, 'POST', '/v1/users', {
      role: 'manager',
      name: 'Mia',
      email: 'Mia@A.example',
      password: 'manager-password-1',
    });
    expect(manager).toMatchObject({ status: 201, body: { role: 'manager' } });
    const mia = await login('mia@a.example', 'manager-password-1');
    expect(mia).toMatchObject({ status: 201, body: { user: { role: 'manager' } } });
    const miaToken: string = mia.body.token;
    // A manager may not make or change a manager; the owner is changed by no one here.
    expect(
      await as(miaToken, 'POST', '/v1/users', {
        role: 'manager',
        name: 'Max',
        email: 'max@a.example',
        password: 'manager-password-2',
      }),
    ).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    expect(await as(miaToken, 'PATCH', `/v1/users/${manager.body.id}`, { active: false })).toMatchObject({
      status: 403,
    });
    const [ownerRow] = await db.query<{ id: string }>("SELECT id FROM users WHERE role_id = 'owner'");
    expect(await as(ownerToken, 'PATCH', `/v1/users/${ownerRow!.id}`, { name: 'X' })).toMatchObject({
      status: 404,
    });
    const viewer = await as(miaToken, 'POST', '/v1/users', {
      role: 'viewer',
      name: 'Vic',
      email: 'vic@a.example',
      password: 'viewer-password-1',
    });
    expect(viewer.status).toBe(201);
    expect(await as(miaToken, 'POST', '/v1/users', { name: 'Cal', pin: '2468' })).toMatchObject({
      status: 201,
      body: { role: 'cashier' },
    });
    // Wrong credential for the role, weak passwords, unknown roles: 400 and nothing written.
    const users = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM users'))[0]!.n;
    const before = await users();
    for (const bad of [
      { role: 'viewer', name: 'W', email: 'w@a.example', password: 'short' },
      { role: 'viewer', name: 'W', email: 'w@a.example', pin: '1234' },
      { role: 'viewer', name: 'W', password: 'long-enough-password' },
      { role: 'owner', name: 'W', email: 'w@a.example', password: 'long-enough-password' },
      { name: 'W', pin: '12' },
    ]) {
      expect(await as(ownerToken, 'POST', '/v1/users', bad)).toMatchObject({
        status: 400,
        body: { error: { code: 'invalid_input' } },
      });
    }
    expect(await as(ownerToken, 'PATCH', `/v1/users/${viewer.body.id}`, { pin: '1234' })).toMatchObject({
      status: 400,
    });
    expect(await users()).toBe(before);
    const listed = await as(ownerToken, 'GET', '/v1/users');
    expect(JSON.stringify(listed.body)).not.toMatch(/scrypt|hash/i);
    // A new password ends the user's sessions; the new one works, the old one does not.
    const vicToken: string = (await login('vic@a.example', 'viewer-password-1')).body.token;
    expect((await get(vicToken)).status).toBe(200);
    expect(
      await as(miaToken, 'PATCH', `/v1/users/${viewer.body.id}`, { password: 'viewer-password-2' }),
    ).toMatchObject({ status: 200 });
    expect((await get(vicToken)).status).toBe(401);
    expect((await login('vic@a.example', 'viewer-password-1')).status).toBe(401);
    expect((await login('vic@a.example', 'viewer-password-2')).status).toBe(201);
    // Deactivating ends sessions as well.
    expect(await as(ownerToken, 'PATCH', `/v1/users/${manager.body.id}`, { active: false })).toMatchObject({
      status: 200,
    });
    expect((await get(miaToken)).status).toBe(401);
    const audit = await db.query<{ action: string; actor: string }>(
      "SELECT action, actor FROM audit_logs WHERE action LIKE 'manager.%' OR action LIKE 'viewer.%' ORDER BY at, action",
    );
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(['manager.created', 'viewer.created', 'viewer.updated', 'manager.updated']),
    );
  });
});
