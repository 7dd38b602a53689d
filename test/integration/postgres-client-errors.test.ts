// A session the server ends in the same socket read as its ready message: node-postgres emits
// 'error' on the client before the code that asked for it has resumed, so a client without a
// listener from birth crashes the process, and every tenant with it. Reproduced deterministically
// with a proxy that holds the server's bytes while the backend is terminated.
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTenantResolver, type TenantResolver } from '../../cloud/resolver/tenant-resolver.ts';
import { tenantRefusal } from '../../cloud/sync/refusal.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import type { SqlDatabase, SqlQueryable } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { createTestPlatform, NO_PG, PG_URL, type TestPlatform, uniqueId } from '../helpers/engines.ts';
import { type PgProxy, type StartupParams, startPgProxy } from '../helpers/pg-proxy.ts';
import { captureUncaught } from '../helpers/sync.ts';
import { waitFor } from '../helpers/wait.ts';

/** `promise`, or a failure naming `what` after `ms` (a regression must fail the test, not hang it). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

describe.skipIf(NO_PG)('pg client error events on the real Postgres (needs MODERNPOS_TEST_PG_URL)', () => {
  let proxy: PgProxy;
  let p: TestPlatform;
  let admin: pg.Client;
  let resolver: TenantResolver | undefined;
  const orgId = uniqueId('ce');

  beforeAll(async () => {
    proxy = await startPgProxy(PG_URL!);
    // Every connection of the platform (control plane, admin, tenants, LISTEN) goes through the proxy.
    p = await createTestPlatform('postgres', { engine: { kind: 'postgres', adminUrl: proxy.url } });
    await onboardTenant(p.tenants, { orgId, name: 'Client errors' });
    admin = new pg.Client({ connectionString: PG_URL });
    admin.on('error', () => {});
    await admin.connect();
  });
  afterEach(async () => {
    await resolver?.close();
    resolver = undefined;
  });
  afterAll(async () => {
    await admin?.end();
    await p?.destroy();
    await proxy?.close();
  });

  const terminate = async (pid: number) => {
    const [row] = (await admin.query('SELECT pg_terminate_backend($1) AS done', [pid])).rows;
    expect(row?.done).toBe(true);
  };

  /** Opens a tenant session through the proxy, ends it server-side before the client sees it is ready, then delivers both at once. */
  const raceOnNextSession = async (match: (s: StartupParams) => boolean, open: () => Promise<unknown>) => {
    const held = proxy.holdNext(match);
    const attempt = open().then(
      () => undefined,
      (err: unknown) => err,
    );
    await terminate(await within(held.ready, 20_000, 'the held session to be ready'));
    await within(held.serverClosed, 20_000, 'the server to close the held session');
    held.release();
    return within(attempt, 20_000, 'the work on the held session to end');
  };

  const isTenantSession = (s: StartupParams) =>
    s.database === tenantDatabaseName(orgId) && s.application_name === 'modernpos-tenant';

  const backendPid = async (db: SqlQueryable) =>
    (await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))[0]!.pid;

  it.each([
    ['a transaction', (db: SqlDatabase) => db.transaction((tx) => tx.query('SELECT 1'))],
    ['a statement', (db: SqlDatabase) => db.query('SELECT 1')],
  ])(
    'a tenant session terminated in the same read as its ready message fails %s as tenant_unavailable, and the process survives (Postgres: pg_terminate_backend)',
    async (_what, work) => {
      resolver = createTenantResolver({ control: p.control, engine: p.engine, keyring: p.tenants.keyring });
      const tenant = resolver;
      const uncaught = captureUncaught();
      let failure: unknown;
      try {
        failure = await raceOnNextSession(isTenantSession, () => tenant.withTenant(orgId, work));
        // The client's 'error' and 'end' follow the bytes within a tick; give them room to land.
        await new Promise((resolve) => setTimeout(resolve, 50));
      } finally {
        uncaught.restore();
      }
      expect(uncaught.errors.map(String)).toEqual([]);
      expect(failure, 'the session was ended before the work ran').toBeInstanceOf(Error);
      expect(tenantRefusal(failure)?.code, String(failure)).toBe('tenant_unavailable');
      // The next use of the tenant runs on a fresh session: the dead client left the pool.
      const killed = proxy.pidsOf(isTenantSession);
      const pid = await tenant.withTenant(orgId, (db) => db.transaction(backendPid));
      expect(typeof pid).toBe('number');
      expect(killed).not.toContain(pid);
      expect(await tenant.withTenant(orgId, (db) => db.query<{ n: number }>('SELECT 1 AS n'))).toEqual([
        { n: 1 },
      ]);
    },
  );

  it('the LISTEN connection terminated in the same read as its ready message reconnects, and the process survives (Postgres: pg_terminate_backend)', async () => {
    const channel = `client_errors_${uniqueId()}`;
    const received: string[] = [];
    let resumed = 0;
    const isListener = (s: StartupParams) =>
      s.application_name === 'modernpos-listen' && s.database === p.config.controlDatabase;
    const stop = await p.notifications.listen(
      channel,
      (payload) => received.push(payload),
      () => {
        resumed++;
      },
    );
    const uncaught = captureUncaught();
    try {
      // Lose the listening session; its reconnection is the one raced.
      const held = proxy.holdNext(isListener);
      const [first] = proxy.pidsOf(isListener);
      await terminate(first!);
      await terminate(await within(held.ready, 20_000, 'the listener to reconnect'));
      await within(held.serverClosed, 20_000, 'the server to close the held session');
      held.release();
      await waitFor(() => resumed > 0, 20_000, 'the listener to come back');
      await p.notifications.notify(channel, 'after');
      await waitFor(() => received.includes('after'), 10_000, 'a notification after the reconnect');
    } finally {
      uncaught.restore();
      await stop();
    }
    expect(uncaught.errors.map(String)).toEqual([]);
    expect(resumed).toBe(1);
  });
});
