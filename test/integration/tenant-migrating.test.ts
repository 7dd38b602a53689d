// A tenant whose schema is behind the cloud's code, on every engine (docs/migrations.md): sync and
// reports answer a retryable `tenant_migrating` (close 4003 with retryAfterMs on the socket, 503 with
// Retry-After over HTTP), never a 500; once the background job has migrated it both work; and the job
// takes the tenants whose requests wait before the others.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getOrganization, setSchemaVersion } from '../../cloud/control/organizations.ts';
import { login } from '../../cloud/hq/sessions.ts';
import { type CloudServer, startCloudServer } from '../../cloud/server.ts';
import { createMigrationJob } from '../../cloud/tenants/migration-job.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import { SyncRefused } from '../../edge/sync/sync-client.ts';
import type { ClosableSqlDatabase } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { silentLogger } from '../../src/log.ts';
import { latestVersion } from '../../src/migrate/files.ts';
import { closeCodes } from '../../src/protocol/errors.ts';
import { createTestPlatform, engineNames, type TestPlatform, uniqueId } from '../helpers/engines.ts';
import { withExtraMigration } from '../helpers/migrations.ts';
import { createTill, hello, openRawSync, syncTill, type Till } from '../helpers/sync.ts';

describe.each(engineNames)('a tenant behind the code on %s', (engine) => {
  let p: TestPlatform;
  let server: CloudServer;
  let db: ClosableSqlDatabase;
  let till: Till;
  let hqToken: string;
  // Listed first by id: without a waiting request the job would take it first.
  const other = uniqueId('ma');
  const orgId = uniqueId('mb');
  let latest: number;

  beforeAll(async () => {
    p = await createTestPlatform(engine);
    await onboardTenant(p.tenants, { orgId: other, name: 'Other' });
    const owner = await onboardTenant(p.tenants, { orgId, name: 'Behind', currency: 'EUR' });
    db = p.engine.openDatabase(tenantDatabaseName(orgId));
    till = await createTill(db, orgId, `Till ${uniqueId()}`);
    hqToken = (await login(db, orgId, { email: owner.ownerEmail, password: owner.ownerPassword })).token;
    // A newer build: one more tenant migration than either tenant has, and its job held until asked.
    const tenants = {
      ...p.tenants,
      tenantMigrations: withExtraMigration(
        p.tenants.tenantMigrations,
        'CREATE TABLE rollout_probe (id int);',
      ),
    };
    latest = latestVersion(tenants.tenantMigrations);
    server = await startCloudServer({
      platform: { ...p, tenants, close: async () => {} },
      adminToken: 'mpa_tenant_migrating_token_0123456789',
      port: 0,
      hostname: '127.0.0.1',
      resolver: { maxPools: 4, poolSize: 1 },
      migration: { intervalMs: 0, concurrency: 1, start: false },
      logger: silentLogger(),
    });
  }, 120_000);

  afterAll(async () => {
    till?.edge.destroy();
    await server?.stop().catch(() => {});
    await db?.close();
    await p?.destroy();
  });

  const helloOf = () => hello({ storeId: till.storeId, terminals: [till.terminal] });
  const report = () =>
    fetch(`${server.url}/v1/reports/sales?from=2026-01-01&to=2026-01-31`, {
      headers: { authorization: `Bearer ${hqToken}` },
    });

  it('answers a hello with tenant_migrating, retryAfterMs and the unavailable close code; a wrong secret stays unauthorized', async () => {
    expect((await getOrganization(p.control, orgId))?.schemaVersion).toBe(latest - 1);
    const raw = await openRawSync(server.url, till.token);
    const refused = await raw.request(helloOf());
    expect(refused).toMatchObject({ type: 'error', code: 'tenant_migrating' });
    expect(refused.type === 'error' && refused.retryAfterMs).toBeGreaterThan(0);
    expect((await raw.closed).code).toBe(closeCodes.unavailable);

    const wrong = `${till.token.slice(0, -4)}${till.token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    const stranger = await openRawSync(server.url, wrong);
    expect(await stranger.request(helloOf())).toMatchObject({ type: 'error', code: 'unauthorized' });
    expect((await stranger.closed).code).toBe(closeCodes.unauthorized);
  });

  it('tells an edge of protocol 3, which knows no tenant_migrating, tenant_unavailable instead', async () => {
    const raw = await openRawSync(server.url, till.token);
    const refused = await raw.request(hello({ ...helloOf(), protocolVersion: 3 }));
    expect(refused).toMatchObject({ type: 'error', code: 'tenant_unavailable' });
    expect((await raw.closed).code).toBe(closeCodes.unavailable);
  });

  it('answers a report 503 tenant_migrating with Retry-After, never a 500', async () => {
    const r = await report();
    expect(r.status).toBe(503);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const body = (await r.json()) as { error: { code: string; details: { retryAfterMs: number } } };
    expect(body.error.code).toBe('tenant_migrating');
    expect(body.error.details.retryAfterMs).toBeGreaterThan(0);
  });

  it('makes the edge keep its outbox and retry: the refusal is not fatal', async () => {
    till.sell(1);
    const refused = await syncTill(server.url, till).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(SyncRefused);
    expect(refused).toMatchObject({ code: 'tenant_migrating', retry: true, retryAfterMs: 5_000 });
    expect(till.pending()).toBe(1);
  });

  it('queues the waiting tenant for the job, which migrates it; then sync and reports work', async () => {
    expect(server.migrationJob.stats().waiting).toBe(1);
    await server.migrationJob.runOnce();
    expect(server.migrationJob.stats()).toMatchObject({ backlog: 0, waiting: 0, failures: [] });
    expect((await getOrganization(p.control, orgId))?.schemaVersion).toBe(latest);

    const r = await report();
    expect(r.status).toBe(200);
    till.sell(1);
    const raw = await openRawSync(server.url, till.token);
    expect(await raw.request(helloOf())).toMatchObject({ type: 'welcome' });
    // The sale refused earlier and this one: both applied, once.
    const mutations = till.outbox();
    expect(mutations).toHaveLength(2);
    const ack = await raw.request({ type: 'push', mutations });
    expect(ack).toMatchObject({ type: 'ack', results: [{ status: 'applied' }, { status: 'applied' }] });
    raw.close();
  });

  it('answers a push on an open connection with tenant_migrating when the tenant falls behind (restored from an older backup)', async () => {
    const raw = await openRawSync(server.url, till.token);
    expect(await raw.request(helloOf())).toMatchObject({ type: 'welcome' });
    await setSchemaVersion(p.control, orgId, latest - 1);
    await server.resolver.invalidate(orgId);
    till.sell(1);
    const pending = till.outbox().slice(-1);
    const refused = await raw.request({ type: 'push', mutations: pending });
    expect(refused).toMatchObject({ type: 'error', code: 'tenant_migrating' });
    expect((await raw.closed).code).toBe(closeCodes.unavailable);

    await server.migrationJob.runOnce();
    const again = await openRawSync(server.url, till.token);
    expect(await again.request(helloOf())).toMatchObject({ type: 'welcome' });
    expect(await again.request({ type: 'push', mutations: pending })).toMatchObject({
      type: 'ack',
      results: [{ status: 'applied' }],
    });
    again.close();
  });
});

describe.each(engineNames)('the migration job on %s', (engine) => {
  let p: TestPlatform;
  const first = uniqueId('ja');
  const second = uniqueId('jb');

  beforeAll(async () => {
    p = await createTestPlatform(engine);
    await onboardTenant(p.tenants, { orgId: first, name: 'First' });
    await onboardTenant(p.tenants, { orgId: second, name: 'Second' });
  }, 120_000);
  afterAll(async () => {
    await p?.destroy();
  });

  const newer = () => ({
    ...p.tenants,
    actor: 'migration-job',
    tenantMigrations: withExtraMigration(
      p.tenants.tenantMigrations,
      'CREATE TABLE job_order_probe (id int);',
    ),
  });

  it('migrates the tenant whose requests wait before the others', async () => {
    const order: string[] = [];
    const job = createMigrationJob(newer(), {
      intervalMs: 0,
      concurrency: 1,
      onTenant: (outcome) => order.push(outcome.orgId),
    });
    job.request(second);
    // Not started: a request queues the tenant and waits for a pass.
    expect(job.stats()).toMatchObject({ waiting: 1, running: false });
    await job.runOnce();
    expect(order).toEqual([second, first]);
    expect(job.stats()).toMatchObject({ backlog: 0, waiting: 0, failures: [] });
  });

  it('once started, starts a pass for a waiting tenant at once rather than at the next interval', async () => {
    const late = uniqueId('jc');
    const job = createMigrationJob(newer(), { intervalMs: 0, concurrency: 1 });
    try {
      job.start();
      await job.runOnce(); // the pass at start, which finds nothing behind
      // A tenant created by an older build (its schema one behind this job's).
      await onboardTenant(p.tenants, { orgId: late, name: 'Late' });
      job.request(late);
      expect(job.stats().running).toBe(true);
      await job.runOnce();
      expect((await getOrganization(p.control, late))?.schemaVersion).toBe(
        latestVersion(newer().tenantMigrations),
      );
    } finally {
      await job.stop();
    }
  });
});
