// Sync session hygiene through a real cloud on every engine: a socket that never says hello is closed
// with its own code (and an edge retries it), a wrong secret is `unauthorized` whatever the tenant's
// state (no existence oracle), and an edge given the full sync URL (or a base with a slash) connects,
// while a URL that leads nowhere is reported with the URL actually tried.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { registerDevice, revokeDevice } from '../../cloud/devices/devices.ts';
import { type CloudServer, startCloudServer } from '../../cloud/server.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import { connect } from '../../edge/sync/connection.ts';
import { syncOn } from '../../edge/sync/sync-client.ts';
import { startSyncLoop } from '../../edge/sync/sync-loop.ts';
import type { ClosableSqlDatabase } from '../../src/db/sql.ts';
import { quoteIdent } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { formatDeviceToken } from '../../src/domain/tenant-token.ts';
import { closeCodes } from '../../src/protocol/errors.ts';
import type { Down } from '../../src/protocol/messages.ts';
import { createTestEdge } from '../helpers/edge.ts';
import { createTestPlatform, engineNames, PG_URL, type TestPlatform, uniqueId } from '../helpers/engines.ts';
import { hello, openRawSync } from '../helpers/sync.ts';
import { waitFor } from '../helpers/wait.ts';

describe.each(engineNames)('sync session hygiene on %s', (engine) => {
  let p: TestPlatform;
  let server: CloudServer;
  let db: ClosableSqlDatabase;
  const orgId = uniqueId('syh');
  const httpUrl = () => `http://127.0.0.1:${server.port}`;
  const newDevice = async () =>
    (await registerDevice({ db, orgId, actor: 'test' }, { branch: 'MAIN', name: 'Till' })).token;
  const wrongSecret = () => formatDeviceToken(orgId, randomBytes(24).toString('base64url'));
  /** The first message and the close code a hello with `token` gets. */
  const helloWith = async (token: string) => {
    const raw = await openRawSync(httpUrl(), token);
    const reply = await raw.request(hello());
    return { reply, close: (await raw.closed).code };
  };
  const setStatus = async (status: string) => {
    await p.control.query('UPDATE organizations SET status = $2 WHERE id = $1', [orgId, status]);
    await server.resolver.invalidate(orgId);
  };

  beforeAll(async () => {
    p = await createTestPlatform(engine);
    await onboardTenant(p.tenants, { orgId, name: 'Sync hygiene', currency: 'EUR' });
    db = p.engine.openDatabase(tenantDatabaseName(orgId));
    server = await startCloudServer({
      platform: { ...p, close: async () => {} },
      adminToken: 'mpa_sync_hygiene_test_token_0123',
      port: 0,
      hostname: '127.0.0.1',
      resolver: { maxPools: 2, poolSize: 1 },
      migration: { intervalMs: 0, concurrency: 1 },
      sync: { helloTimeoutMs: 300 },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await db?.close();
    await p?.destroy();
  });

  it('closes a socket that sends no hello with closeCodes.helloTimeout, even if it answers pings', async () => {
    const silent = await openRawSync(httpUrl(), await newDevice());
    const pinging = await openRawSync(httpUrl(), await newDevice());
    pinging.send({ type: 'ping' });
    expect(await pinging.next()).toMatchObject({ type: 'pong' });
    expect(await silent.closed).toMatchObject({ code: closeCodes.helloTimeout, reason: 'hello_timeout' });
    expect(await pinging.closed).toMatchObject({ code: closeCodes.helloTimeout });
  });

  it('keeps a socket that said hello open past the hello timeout', async () => {
    const raw = await openRawSync(httpUrl(), await newDevice());
    expect(await raw.request(hello())).toMatchObject({ type: 'welcome' });
    // Well past the hello timeout, the session still answers.
    await new Promise((r) => setTimeout(r, 600));
    expect(await raw.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    raw.close();
  });

  it('refuses a client that floods the queue with too_many_in_flight and closes with closeCodes.protocolError', async () => {
    const raw = await openRawSync(httpUrl(), await newDevice());
    expect(await raw.request(hello())).toMatchObject({ type: 'welcome' });
    // An edge waits for each reply; these 500 pings arrive at once, far beyond the cloud's queue.
    for (let i = 0; i < 500; i++) raw.send({ type: 'ping' });
    const close = await raw.closed;
    const replies: Down[] = [];
    for (;;) {
      const m = await raw.next().catch(() => undefined);
      if (!m) break;
      replies.push(m);
    }
    expect(close.code).toBe(closeCodes.protocolError);
    expect(replies.filter((m) => m.type === 'error')).toEqual([
      expect.objectContaining({ type: 'error', code: 'too_many_in_flight' }),
    ]);
    expect(replies.filter((m) => m.type === 'pong').length).toBeLessThan(500);
  });

  it('answers a wrong secret unauthorized whatever the tenant state, and tells only a right token that the tenant is suspended', async () => {
    const right = await newDevice();
    const revoked = await newDevice();
    const revokedId = (
      await db.query<{ id: string }>('SELECT id FROM devices ORDER BY created_at DESC LIMIT 1')
    )[0]!.id;
    await revokeDevice({ db, orgId, actor: 'test' }, revokedId);
    const unauthorized = { reply: { type: 'error', code: 'unauthorized' }, close: closeCodes.unauthorized };
    try {
      await setStatus('suspended');
      expect(await helloWith(wrongSecret())).toMatchObject(unauthorized);
      expect(await helloWith(revoked)).toMatchObject(unauthorized);
      expect(await helloWith(right)).toMatchObject({
        reply: { type: 'error', code: 'tenant_suspended' },
        close: closeCodes.unavailable,
      });
      // No device token of a tenant being set up or gone can be valid: every token is unauthorized.
      for (const status of ['provisioning', 'offboarding', 'offboarded']) {
        await setStatus(status);
        expect(await helloWith(wrongSecret())).toMatchObject(unauthorized);
        expect(await helloWith(right)).toMatchObject(unauthorized);
      }
      // An org that does not exist answers the same.
      const stranger = formatDeviceToken(uniqueId('nobody'), randomBytes(24).toString('base64url'));
      expect(await helloWith(stranger)).toMatchObject(unauthorized);
    } finally {
      await setStatus('active');
    }
    expect((await helloWith(wrongSecret())).reply).toMatchObject({ code: 'unauthorized' });
  });

  it.skipIf(engine !== 'postgres')(
    'answers every token of a tenant whose database is unreachable the same tenant_unavailable (documented: it cannot be checked)',
    async () => {
      const right = await newDevice();
      const root = new pg.Client({ connectionString: PG_URL });
      await root.connect();
      const database = tenantDatabaseName(orgId);
      try {
        await server.resolver.invalidate(orgId);
        await root.query(`ALTER DATABASE ${quoteIdent(database)} WITH ALLOW_CONNECTIONS false`);
        await root.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [
          database,
        ]);
        const unavailable = {
          reply: { type: 'error', code: 'tenant_unavailable' },
          close: closeCodes.unavailable,
        };
        expect(await helloWith(right)).toMatchObject(unavailable);
        expect(await helloWith(wrongSecret())).toMatchObject(unavailable);
      } finally {
        await root.query(`ALTER DATABASE ${quoteIdent(database)} WITH ALLOW_CONNECTIONS true`);
        await root.end();
      }
    },
  );

  it('syncs an edge given the full sync URL, a ws:// URL or a base URL with a trailing slash', async () => {
    const token = await newDevice();
    const edge = await createTestEdge({ identity: { orgId, branch: 'MAIN', currency: 'EUR' } });
    try {
      const ws = httpUrl().replace(/^http/, 'ws');
      for (const url of [`${ws}/v1/sync`, `${httpUrl()}/v1/sync/`, `${httpUrl()}/`, ws]) {
        edge.store.sales.recordSale({
          terminal: 'T1',
          lines: [{ name: 'Item', unitPriceMinor: 100, qtyMilli: 1000, taxRateBp: 0 }],
          payments: [{ method: 'cash', amountMinor: 100 }],
        });
        const conn = await connect(url, token);
        try {
          expect(await syncOn(conn, edge.store)).toMatchObject({ pushed: 1 });
        } finally {
          conn.close();
        }
      }
    } finally {
      edge.destroy();
    }
  });

  it('reports a URL that leads to no sync endpoint as a 404 of the URL it tried', async () => {
    const edge = await createTestEdge({ identity: { orgId, branch: 'MAIN', currency: 'EUR' } });
    const loop = startSyncLoop(edge.store, {
      cloudUrl: `${httpUrl()}/elsewhere`,
      token: await newDevice(),
      backoff: { baseMs: 20, maxMs: 60_000 },
    });
    try {
      await waitFor(() => Boolean(edge.store.meta.get('last_sync_error')));
      const error = edge.store.meta.get('last_sync_error')!;
      expect(error).toContain(`ws://127.0.0.1:${server.port}/elsewhere/v1/sync`);
      expect(error).toContain('HTTP 404');
    } finally {
      await loop.stop();
      edge.destroy();
    }
  });
});

describe('edge on a hello timeout', () => {
  it('reconnects with backoff (not at the slowest pace) when the cloud closes with closeCodes.helloTimeout', async () => {
    const cloud = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => cloud.once('listening', r));
    let connections = 0;
    cloud.on('connection', (ws) => {
      connections++;
      ws.close(closeCodes.helloTimeout, 'hello_timeout');
    });
    const edge = await createTestEdge({ identity: { orgId: 'acme', branch: 'MAIN', currency: 'EUR' } });
    // The slowest pace is a minute: three connections within the wait prove the backoff path.
    const loop = startSyncLoop(edge.store, {
      cloudUrl: `http://127.0.0.1:${(cloud.address() as AddressInfo).port}`,
      token: formatDeviceToken('acme', 'x'.repeat(32)),
      backoff: { baseMs: 20, maxMs: 60_000 },
    });
    try {
      await waitFor(() => connections >= 3);
      expect(edge.store.meta.get('last_sync_error')).toContain(`${closeCodes.helloTimeout}`);
      expect(edge.store.meta.get('last_sync_error')).not.toContain('unauthorized');
    } finally {
      await loop.stop();
      edge.destroy();
      await new Promise((r) => cloud.close(r));
    }
  });
});
