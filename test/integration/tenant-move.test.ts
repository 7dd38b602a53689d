// Moving a tenant between real clusters while its edge keeps selling and syncing through a real cloud
// server: online with logical replication (mp_b → mp_c), the offline copy from the main cluster
// (wal_level replica), --abort, a target that stops answering mid-move, the source dropped after its
// grace period, a row count that differs inside the freeze (not switched), a checksum that differs
// after the switch (switched, source kept), a run killed after the switch, and the refusals (each
// audited, nothing written).

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { movesInProgress } from '../../cloud/clusters/move-progress.ts';
import { addCluster, setDraining } from '../../cloud/clusters/registry.ts';
import { auditTrail } from '../../cloud/control/audit.ts';
import { getOrganization, setStatus } from '../../cloud/control/organizations.ts';
import { type CloudServer, startCloudServer } from '../../cloud/server.ts';
import { abortMove } from '../../cloud/tenants/move/abort.ts';
import { moveTenant } from '../../cloud/tenants/move/move.ts';
import { releaseKeptSource } from '../../cloud/tenants/move/release-source.ts';
import { dropExpiredSources } from '../../cloud/tenants/move/source-cleanup.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import type { ClosableSqlDatabase } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import type { AppError } from '../../src/errors.ts';
import {
  databaseExistsOn,
  holdMpCUp,
  NO_CLUSTERS,
  onCluster,
  PG_URL_B,
  PG_URL_C,
} from '../helpers/clusters.ts';
import { createTestPlatform, PG_URL, type TestPlatform, uniqueId } from '../helpers/engines.ts';
import { type CuttableRelay, dropMoveLeftovers, startCuttableRelay } from '../helpers/move.ts';
import { cloudSalesOf, createTill, sleep, syncTill, syncUntilDone, type Till } from '../helpers/sync.ts';

const TOKEN = 'mpa_move_token_0123456789abcdef0';

describe.skipIf(NO_CLUSTERS)(`tenant move ${NO_CLUSTERS ? `(skipped: ${NO_CLUSTERS})` : ''}`, () => {
  let p: TestPlatform;
  let server: CloudServer;
  let relay: CuttableRelay;
  const orgs: string[] = [];
  const handles: ClosableSqlDatabase[] = [];
  const tills: Till[] = [];
  const url = () => `http://127.0.0.1:${server.port}`;
  /** Steps at which the next move runs a hook (the in-process stand-in for a crash or an outage). */
  const hooks = new Map<string, () => void | Promise<void>>();

  const tenantOn = async (cluster: string) => {
    const orgId = uniqueId('mv');
    orgs.push(orgId);
    await onboardTenant(p.tenants, { orgId, name: 'Moving', currency: 'EUR', cluster });
    return orgId;
  };
  const openOn = async (cluster: string, orgId: string) => {
    const db = (await p.clusters.engine(cluster)).openDatabase(tenantDatabaseName(orgId));
    handles.push(db);
    return db;
  };
  const tillOf = async (cluster: string, orgId: string) => {
    const till = await createTill(await openOn(cluster, orgId), orgId, `Till ${uniqueId()}`);
    tills.push(till);
    return till;
  };
  /** Every sale the till answered is in `db` exactly once. */
  const expectExactlyOnce = async (db: ClosableSqlDatabase, till: Till) => {
    const sales = await cloudSalesOf(db, till.deviceId);
    expect(sales.map((s) => s.id).sort()).toEqual(till.answered.map((s) => s.id).sort());
    expect(sales).toHaveLength(till.answered.length);
  };
  const actions = async (orgId: string) => (await auditTrail(p.control, orgId)).map((e) => e.action);
  const roleCanLogin = (clusterUrl: string, orgId: string) =>
    onCluster(
      clusterUrl,
      async (c) =>
        (await c.query('SELECT rolcanlogin FROM pg_roles WHERE rolname = $1', [tenantDatabaseName(orgId)]))
          .rows[0]?.rolcanlogin,
    );

  // mp_c stays up while each test (and the setup and teardown) runs: cluster-outage.test.ts waits.
  let release: (() => Promise<void>) | undefined;
  beforeEach(async () => {
    release = await holdMpCUp();
  });
  afterEach(async () => {
    await release?.();
  });

  beforeAll(async () => {
    const up = await holdMpCUp();
    try {
      await setUp();
    } finally {
      await up();
    }
  });
  const setUp = async () => {
    p = await createTestPlatform('postgres', {
      afterStep: async (step) => {
        const hook = hooks.get(step);
        if (hook) {
          hooks.delete(step);
          await hook();
        }
      },
    });
    relay = await startCuttableRelay(PG_URL_C!);
    await addCluster(p.tenants, { name: 'b', url: PG_URL_B });
    await addCluster(p.tenants, { name: 'c', url: PG_URL_C });
    await addCluster(p.tenants, { name: 'cx', url: relay.url });
    await addCluster(p.tenants, { name: 'eu', url: PG_URL_C, region: 'eu' });
    server = await startCloudServer({
      platform: { ...p, close: async () => {} },
      adminToken: TOKEN,
      port: 0,
      hostname: '127.0.0.1',
      resolver: { maxPools: 8, poolSize: 2 },
      migration: { intervalMs: 0, concurrency: 1 },
    });
  };
  afterAll(async () => {
    const up = await holdMpCUp();
    try {
      await tearDown();
    } finally {
      await up();
    }
  });
  const tearDown = async () => {
    for (const t of tills) t.edge.destroy();
    await server?.stop().catch(() => {});
    for (const h of handles) await h.close().catch(() => {});
    await relay?.close();
    const template = p.config.templateDatabase!;
    await p?.destroy();
    await dropMoveLeftovers(PG_URL_B!, template, orgs);
    await dropMoveLeftovers(PG_URL_C!, template, orgs);
    await dropMoveLeftovers(PG_URL!, template, orgs);
  };

  it('moves a tenant from mp_b to mp_c online while its edge keeps selling: every sale exactly once, no re-sync', async () => {
    const orgId = await tenantOn('b');
    const till = await tillOf('b', orgId);
    till.sell(5);
    await syncUntilDone(url(), till);

    // While frozen, a push is refused as a retryable pause, and the sale waits in the outbox.
    let refusedWhileFrozen: unknown;
    hooks.set('frozen', async () => {
      till.sell(1);
      refusedWhileFrozen = await syncTill(url(), till).then(
        () => 'served',
        (err: unknown) => err,
      );
    });
    let selling = true;
    const failures: unknown[] = [];
    const seller = (async () => {
      while (selling) {
        till.sell(1);
        try {
          await syncTill(url(), till);
        } catch (err) {
          failures.push(err);
        }
        await sleep(10);
      }
    })();
    let result: Awaited<ReturnType<typeof moveTenant>>;
    // /metrics reads the move's progress (cloud/clusters/move-progress.ts) while it runs.
    let progress: ReturnType<typeof movesInProgress>[number] | undefined;
    hooks.set('caught_up', async () => {
      progress = movesInProgress().find((m) => m.orgId === orgId);
    });
    try {
      result = await moveTenant(p.tenants, { orgId, to: 'c' });
    } finally {
      selling = false;
      await seller;
    }
    expect(String(refusedWhileFrozen)).toMatch(/being moved to another cluster; try again in a moment/);
    expect(progress).toMatchObject({ from: 'b', to: 'c', step: 'caught_up', lagBytes: 0 });
    expect(movesInProgress().find((m) => m.orgId === orgId)).toBeUndefined();
    expect(result.method).toBe('logical');
    expect(result.fallbackReason).toBeNull();
    expect(result.freezeMs).toBeGreaterThanOrEqual(0);
    expect(result.tables.find((t) => t.table === 'sales')?.rows).toBeGreaterThanOrEqual(5);
    expect((await getOrganization(p.control, orgId))?.cluster).toBe('c');

    // The edge carries on against the new cluster without starting over.
    till.sell(2);
    await syncUntilDone(url(), till);
    await expectExactlyOnce(await openOn('c', orgId), till);
    // Every failure the edge saw was a retryable pause.
    for (const f of failures)
      expect(String(f)).toMatch(/being moved|unavailable|terminat|closed|ECONNRESET/i);

    // Replication is gone from both sides; the source is kept, its role unable to log in.
    await onCluster(PG_URL_B!, async (c) => {
      expect(
        (await c.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [`mpmove_${orgId}`]))
          .rowCount,
      ).toBe(0);
    });
    await onCluster(PG_URL_C!, async (c) => {
      expect(
        (await c.query('SELECT 1 FROM pg_subscription WHERE subname = $1', [`mpmove_${orgId}`])).rowCount,
      ).toBe(0);
    });
    expect(await databaseExistsOn(PG_URL_B!, tenantDatabaseName(orgId))).toBe(true);
    expect(await roleCanLogin(PG_URL_B!, orgId)).toBe(false);
    expect(await actions(orgId)).toEqual(
      expect.arrayContaining([
        'tenant.move.started',
        'tenant.move.database_created',
        'tenant.move.schema_applied',
        'tenant.move.published',
        'tenant.move.subscribed',
        'tenant.move.caught_up',
        'tenant.move.frozen',
        'tenant.move.synced',
        'tenant.move.sequences_set',
        'tenant.move.counted',
        'tenant.move.replication_dropped',
        'tenant.move.switched',
        'tenant.move.verified',
        'tenant.move.completed',
      ]),
    );
    // Row counts inside the freeze, checksums after the switch (the freeze does not wait for them).
    const trail = await actions(orgId);
    const at = (a: string) => trail.indexOf(`tenant.move.${a}`);
    expect(at('counted')).toBeLessThan(at('switched'));
    expect(at('switched')).toBeLessThan(at('verified'));
    expect(result.verification).toEqual({
      checksums: 'matched',
      mismatched: [],
      note: null,
      sourceKept: false,
    });

    // Within the grace period the source stays; after it, the background job drops it.
    expect((await dropExpiredSources(p.tenants, 3_600_000)).dropped).not.toContain(orgId);
    expect((await dropExpiredSources(p.tenants, 0)).dropped).toContain(orgId);
    expect(await databaseExistsOn(PG_URL_B!, tenantDatabaseName(orgId))).toBe(false);
    expect(await actions(orgId)).toContain('tenant.move.source_dropped');
  });

  it('copies offline inside a freeze from the main cluster (wal_level replica), and says how long the freeze lasted', async () => {
    const orgId = await tenantOn('default');
    const till = await tillOf('default', orgId);
    till.sell(4);
    await syncUntilDone(url(), till);
    const result = await moveTenant(p.tenants, { orgId, to: 'b' });
    expect(result.method).toBe('copy');
    expect(result.fallbackReason).toMatch(/wal_level is replica/);
    expect(typeof result.freezeMs).toBe('number');
    expect((await getOrganization(p.control, orgId))?.cluster).toBe('b');
    till.sell(2);
    await syncUntilDone(url(), till);
    await expectExactlyOnce(await openOn('b', orgId), till);
    const started = (await auditTrail(p.control, orgId)).find((e) => e.action === 'tenant.move.started');
    expect(started?.details).toMatchObject({ method: 'copy', from: 'default', to: 'b' });
  });

  it('--abort undoes a move before the switch: the tenant stays and serves on its cluster, nothing is left on the target', async () => {
    const orgId = await tenantOn('b');
    const till = await tillOf('b', orgId);
    till.sell(2);
    await syncUntilDone(url(), till);
    hooks.set('caught_up', () => {
      throw new Error('stopped here by the test');
    });
    await expect(moveTenant(p.tenants, { orgId, to: 'c' })).rejects.toThrow(/stopped here/);
    expect(await databaseExistsOn(PG_URL_C!, tenantDatabaseName(orgId))).toBe(true);

    const aborted = await abortMove(p.tenants, orgId);
    expect(aborted).toMatchObject({ status: 'aborted', from: 'b', to: 'c', targetLeftover: false });
    expect(await databaseExistsOn(PG_URL_C!, tenantDatabaseName(orgId))).toBe(false);
    await onCluster(PG_URL_B!, async (c) => {
      expect(
        (await c.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [`mpmove_${orgId}`]))
          .rowCount,
      ).toBe(0);
    });
    expect((await getOrganization(p.control, orgId))?.cluster).toBe('b');
    till.sell(2);
    await syncUntilDone(url(), till);
    await expectExactlyOnce(await openOn('b', orgId), till);
    expect(await actions(orgId)).toContain('tenant.move.aborted');
    // Nothing left to abort now.
    await expect(abortMove(p.tenants, orgId)).rejects.toMatchObject({ code: 'conflict' });
  });

  it('a target that stops answering mid-move (during the freeze) leaves the tenant serving from the source; run again, it finishes', async () => {
    const orgId = await tenantOn('b');
    const till = await tillOf('b', orgId);
    till.sell(3);
    await syncUntilDone(url(), till);
    hooks.set('synced', () => relay.cut());
    try {
      await expect(moveTenant(p.tenants, { orgId, to: 'cx' })).rejects.toMatchObject({
        code: 'database_unavailable',
      });
    } finally {
      relay.restore();
    }
    // Thawed: not frozen, on b, its role logs in, and the edge is served there.
    expect((await getOrganization(p.control, orgId))?.cluster).toBe('b');
    expect(await roleCanLogin(PG_URL_B!, orgId)).toBe(true);
    const [row] = await p.control.query<{ frozen: boolean; state: string }>(
      'SELECT frozen, state FROM tenant_moves WHERE org_id = $1',
      [orgId],
    );
    expect(row).toEqual({ frozen: false, state: 'running' });
    till.sell(2);
    await syncUntilDone(url(), till);
    await expectExactlyOnce(await openOn('b', orgId), till);
    expect(await actions(orgId)).toEqual(
      expect.arrayContaining(['tenant.move.failed', 'tenant.move.thawed']),
    );

    const again = await moveTenant(p.tenants, { orgId, to: 'cx' });
    expect(again).toMatchObject({ resumed: true, method: 'logical', to: 'cx' });
    till.sell(1);
    await syncUntilDone(url(), till);
    await expectExactlyOnce(await openOn('c', orgId), till);
  });

  /** Changes the tenant's database on cluster `name` behind the move's back (admin, triggers and keys off). */
  const tamper = async (cluster: string, orgId: string, sql: string) => {
    const db = await openOn(cluster, orgId);
    await db.transaction(async (tx) => {
      await tx.exec(`SET LOCAL session_replication_role = replica; ${sql}`);
    });
  };

  it('a row count that differs inside the freeze refuses the switch: thawed, the tenant serves from the source', async () => {
    const orgId = await tenantOn('b');
    const till = await tillOf('b', orgId);
    till.sell(3);
    await syncUntilDone(url(), till);
    hooks.set('sequences_set', () =>
      tamper('c', orgId, 'DELETE FROM sales WHERE id = (SELECT min(id) FROM sales)'),
    );
    await expect(moveTenant(p.tenants, { orgId, to: 'c' })).rejects.toMatchObject({
      code: 'operation_failed',
      message: expect.stringMatching(/row count of .*sales.*not switched/),
    });
    expect((await getOrganization(p.control, orgId))?.cluster).toBe('b');
    expect(await roleCanLogin(PG_URL_B!, orgId)).toBe(true);
    expect(await actions(orgId)).toEqual(
      expect.arrayContaining(['tenant.move.failed', 'tenant.move.thawed']),
    );
    expect(await actions(orgId)).not.toContain('tenant.move.switched');
    till.sell(1);
    await syncUntilDone(url(), till);
    await expectExactlyOnce(await openOn('b', orgId), till);
    await abortMove(p.tenants, orgId);
  });

  it('a checksum that differs after the switch is reported and audited: the tenant stays on the target, the source is kept', async () => {
    const orgId = await tenantOn('b');
    const till = await tillOf('b', orgId);
    till.sell(3);
    await syncUntilDone(url(), till);
    // Same rows, other content: the counts inside the freeze match, the checksums after it do not.
    hooks.set('sequences_set', () =>
      tamper(
        'c',
        orgId,
        "UPDATE sales SET reason = 'changed on the target' WHERE id = (SELECT min(id) FROM sales)",
      ),
    );
    const failure = await moveTenant(p.tenants, { orgId, to: 'c' }).then(
      () => undefined,
      (err: unknown) => err as AppError,
    );
    expect(failure).toMatchObject({ code: 'operation_failed' });
    expect(failure?.message).toMatch(/checksums differ .* in sales: the tenant serves from c.*kept on b/);
    expect(failure?.details).toMatchObject({
      from: 'b',
      to: 'c',
      verification: { checksums: 'mismatched', mismatched: ['sales'], sourceKept: true },
    });
    expect((await getOrganization(p.control, orgId))?.cluster).toBe('c');
    const trail = await auditTrail(p.control, orgId);
    const failed = trail.find((e) => e.action === 'tenant.move.verify_failed');
    expect(failed?.details).toMatchObject({ mismatched: ['sales'], sourceKeptOn: 'b' });
    const sides = ((failed?.details ?? {}) as { tables?: { sales?: { source: unknown; target: unknown } } })
      .tables?.sales;
    expect(sides?.source).toBeTruthy();
    expect(sides?.source).not.toEqual(sides?.target);
    expect(trail.map((e) => e.action)).toContain('tenant.move.completed');
    expect(trail.map((e) => e.action)).not.toContain('tenant.move.verified');
    // New writes go to the target.
    till.sell(2);
    await syncUntilDone(url(), till);
    await expectExactlyOnce(await openOn('c', orgId), till);
    // The source is kept for comparison: not dropped after the grace period, and a move back there is refused.
    expect((await dropExpiredSources(p.tenants, 0)).dropped).not.toContain(orgId);
    expect(await databaseExistsOn(PG_URL_B!, tenantDatabaseName(orgId))).toBe(true);
    await expect(moveTenant(p.tenants, { orgId, to: 'b' })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/kept on cluster b because the checksums/),
    });
    // Once compared and repaired, the operator releases it: audited, then dropped by the grace-period job.
    expect(await releaseKeptSource(p.tenants, orgId)).toMatchObject({ orgId, cluster: 'b' });
    expect((await auditTrail(p.control, orgId)).map((e) => e.action)).toContain(
      'tenant.move.source_released',
    );
    await expect(releaseKeptSource(p.tenants, orgId)).rejects.toMatchObject({ code: 'conflict' });
    expect((await dropExpiredSources(p.tenants, 0)).dropped).toContain(orgId);
    expect(await databaseExistsOn(PG_URL_B!, tenantDatabaseName(orgId))).toBe(false);
  });

  it('a move killed after the switch, before its checksums, is finished by running it again: checksums skipped, said so', async () => {
    const orgId = await tenantOn('b');
    const till = await tillOf('b', orgId);
    till.sell(2);
    await syncUntilDone(url(), till);
    hooks.set('switched', () => {
      throw new Error('stopped here by the test');
    });
    await expect(moveTenant(p.tenants, { orgId, to: 'c' })).rejects.toThrow(/stopped here/);
    expect((await getOrganization(p.control, orgId))?.cluster).toBe('c');
    // Not finished: its source is not dropped yet.
    expect((await dropExpiredSources(p.tenants, 0)).dropped).not.toContain(orgId);

    const again = await moveTenant(p.tenants, { orgId, to: 'c' });
    expect(again).toMatchObject({ alreadyMoved: true, resumed: true });
    expect(again.verification).toMatchObject({ checksums: 'skipped', sourceKept: false });
    expect(again.verification.note).toMatch(/checksum skipped: resumed after the switch/);
    const verified = (await auditTrail(p.control, orgId)).find((e) => e.action === 'tenant.move.verified');
    expect(verified?.details).toMatchObject({ checksums: 'skipped' });
    expect(await actions(orgId)).toContain('tenant.move.completed');
    till.sell(1);
    await syncUntilDone(url(), till);
    await expectExactlyOnce(await openOn('c', orgId), till);
    expect((await dropExpiredSources(p.tenants, 0)).dropped).toContain(orgId);
  });

  it('refuses a move to its own cluster, an unknown, draining, unreachable or out-of-region cluster, and a suspended tenant: audited, nothing written', async () => {
    const orgId = await tenantOn('b');
    const pinned = uniqueId('mvr');
    orgs.push(pinned);
    await onboardTenant(p.tenants, { orgId: pinned, name: 'Pinned', cluster: 'eu', region: 'eu' });
    const refuse = async (org: string, to: string, code: string, message: RegExp) => {
      await expect(moveTenant(p.tenants, { orgId: org, to })).rejects.toMatchObject({
        code,
        message: expect.stringMatching(message),
      });
    };
    await refuse(orgId, 'b', 'conflict', /already on cluster b/);
    await refuse(orgId, 'nowhere', 'not_found', /cluster nowhere not found/);
    await refuse(orgId, 'Bad Name', 'invalid_input', /invalid cluster name/);
    await refuse(pinned, 'b', 'conflict', /pinned to region eu/);
    relay.cut();
    try {
      await refuse(orgId, 'cx', 'database_unavailable', /target cluster cx does not answer/);
    } finally {
      relay.restore();
    }
    await setDraining(p.tenants, 'c', true);
    try {
      await refuse(orgId, 'c', 'conflict', /draining/);
    } finally {
      await setDraining(p.tenants, 'c', false);
    }
    await setStatus(p.control, orgId, 'suspended');
    await refuse(orgId, 'c', 'conflict', /is suspended/);
    await setStatus(p.control, orgId, 'active');

    const refusals = (await auditTrail(p.control, orgId)).filter((e) => e.action === 'tenant.move.refused');
    expect(refusals.map((e) => e.details.code)).toEqual([
      'conflict',
      'not_found',
      'invalid_input',
      'database_unavailable',
      'conflict',
      'conflict',
    ]);
    expect(
      await p.control.query('SELECT 1 FROM tenant_moves WHERE org_id = ANY($1)', [[orgId, pinned]]),
    ).toEqual([]);
    expect(await databaseExistsOn(PG_URL_C!, tenantDatabaseName(orgId))).toBe(false);
  });

  it('POST /admin/tenants/:orgId/move moves a tenant, and answers a refusal with its status', async () => {
    const orgId = await tenantOn('b');
    const post = (body: unknown) =>
      fetch(`${url()}/admin/tenants/${orgId}/move`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post({ to: 'c', extra: 1 })).status).toBe(400);
    expect((await post({ to: 'nowhere' })).status).toBe(404);
    expect((await post({ to: 'b' })).status).toBe(409);
    const moved = await post({ to: 'c' });
    expect(moved.status).toBe(200);
    expect(await moved.json()).toMatchObject({ orgId, from: 'b', to: 'c', method: 'logical' });
    expect((await post({ abort: true })).status).toBe(409);
    expect((await post({ releaseSource: true })).status).toBe(409);
    const status = await fetch(`${url()}/admin/tenants/${orgId}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(await status.json()).toMatchObject({ cluster: 'c', status: 'active' });
  });
});
