// Freshness tells the truth (docs/freshness.md), on every engine: a till whose pushes keep being
// acknowledged while its outbox never empties shows a moving last sync at the edge, in HQ's freshness
// report and in the cloud's /metrics, while its last empty outbox stays where it was; a till that
// only pings is synced by its pings only while it reports nothing pending; a till back from offline
// shows its unsynced sales as its backlog in the report (JSON and CSV) from its hello on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDevice } from '../../cloud/devices/devices.ts';
import { type CloudServer, startCloudServer } from '../../cloud/server.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import { createEdgeMetrics } from '../../edge/http/metrics.ts';
import { connect } from '../../edge/sync/connection.ts';
import { syncOn } from '../../edge/sync/sync-client.ts';
import { startSyncLoop } from '../../edge/sync/sync-loop.ts';
import type { ClosableSqlDatabase } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { createTestEdge, type TestEdge } from '../helpers/edge.ts';
import { createTestPlatform, engineNames, type TestPlatform, uniqueId } from '../helpers/engines.ts';
import { hello, openRawSync, startRelay } from '../helpers/sync.ts';
import { waitFor } from '../helpers/wait.ts';

const ADMIN = 'mpa_freshness_test_token_0123456';

interface DeviceRow {
  lastSeenAt: string | null;
  lastSyncAt: string | null;
  outboxEmptyAt: string | null;
  lastAppliedSeq: number;
}

/** A device of HQ's freshness report: its row's instants and the backlog it last reported. */
interface ReportedDevice extends DeviceRow {
  deviceId: string;
  backlogPending: number | null;
  oldestUnsyncedAt: string | null;
  oldestUnsyncedAgeSeconds: number | null;
  backlogReportedAt: string | null;
}

/** A gauge's value for one label set in Prometheus text, or undefined when the series is absent. */
function gauge(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

const ms = (at: string | null) => (at === null ? Number.NaN : Date.parse(at));

describe.each(engineNames)('freshness on %s', (engine) => {
  let p: TestPlatform;
  let server: CloudServer;
  let db: ClosableSqlDatabase;
  let hqToken: string;
  const orgId = uniqueId();
  const edges: TestEdge[] = [];

  const deviceRow = async (deviceId: string): Promise<DeviceRow> => {
    const [row] = await db.query<Record<string, string | null>>(
      `SELECT last_seen_at AS seen, last_sync_at AS synced, outbox_empty_at AS empty, last_applied_seq AS seq
         FROM devices WHERE id = $1`,
      [deviceId],
    );
    if (!row) throw new Error(`no device ${deviceId}`);
    // Engines differ in how they hand back a timestamptz: compared as instants.
    const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string).toISOString());
    return {
      lastSeenAt: iso(row.seen),
      lastSyncAt: iso(row.synced),
      outboxEmptyAt: iso(row.empty),
      lastAppliedSeq: Number(row.seq),
    };
  };
  const cloudMetrics = async () =>
    (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
  const freshnessReport = async () => {
    const res = await fetch(`${server.url}/v1/reports/freshness`, {
      headers: { authorization: `Bearer ${hqToken}` },
    });
    expect(res.status).toBe(200);
    return (await res.json()) as {
      devices: ReportedDevice[];
      branches: Record<string, unknown>[];
      freshness: Record<string, unknown>;
    };
  };
  const freshnessOf = async (deviceId: string) =>
    (await freshnessReport()).devices.find((d) => d.deviceId === deviceId);

  beforeAll(async () => {
    p = await createTestPlatform(engine);
    const owner = await onboardTenant(p.tenants, { orgId, name: 'Fresh', currency: 'EUR' });
    db = p.engine.openDatabase(tenantDatabaseName(orgId));
    server = await startCloudServer({
      platform: { ...p, close: async () => {} },
      adminToken: ADMIN,
      port: 0,
      hostname: '127.0.0.1',
      resolver: { maxPools: 2, poolSize: 2 },
      migration: { intervalMs: 0, concurrency: 1 },
      // Every ping writes the device row, so what a ping changes is there when its pong arrives. A
      // heartbeat of a second: fast enough for the idle-till test, and a loaded machine's stalled
      // event loop (client and cloud share this process) does not drop sockets (2 s of silence).
      sync: { heartbeatMs: 1_000, lastSeenEveryMs: 0 },
    });
    const login = await fetch(`${server.url}/v1/orgs/${orgId}/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: owner.ownerEmail, password: owner.ownerPassword }),
    });
    hqToken = ((await login.json()) as { token: string }).token;
  }, 120_000);
  afterAll(async () => {
    for (const e of edges) e.destroy();
    await server?.stop().catch(() => {});
    await db?.close();
    await p?.destroy();
  });

  it('a till acknowledged batch after batch while its outbox never empties is fresh everywhere; its last empty outbox stays put', async () => {
    const { token, deviceId } = await registerDevice(
      { db, orgId, actor: 'test' },
      { branch: 'MAIN', name: 'Busy till' },
    );
    const t0 = new Date('2026-06-01T09:00:00.000Z');
    let clock = t0;
    const edge = await createTestEdge({
      identity: { orgId, branch: 'MAIN', currency: 'EUR' },
      now: () => clock,
    });
    edges.push(edge);
    const sell = (count: number) => {
      for (let i = 0; i < count; i++) {
        const sold = edge.store.sales.recordSale({
          terminal: 'F1',
          lines: [{ name: 'Tea', unitPriceMinor: 300 + i, qtyMilli: 1000, taxRateBp: 0 }],
          payments: [{ method: 'cash', amountMinor: 300 + i }],
        });
        if (!sold.ok) throw new Error(sold.error.message);
      }
    };
    const labels = `{org="${orgId}",device="${deviceId}"}`;

    // In sync once, with nothing to push: both times are that exchange's, at the edge and the cloud.
    const conn = await connect(server.url, token);
    await syncOn(conn, edge.store).finally(() => conn.close());
    expect(edge.store.outbox.status(clock)).toMatchObject({
      pending: 0,
      lastSyncAt: t0.toISOString(),
      outboxEmptyAt: t0.toISOString(),
    });
    const first = await deviceRow(deviceId);
    expect(first.outboxEmptyAt).not.toBeNull();
    expect(first.lastSyncAt).toBe(first.outboxEmptyAt);
    const emptyGauge = gauge(await cloudMetrics(), 'modernpos_device_outbox_empty_timestamp_seconds', labels);
    expect(emptyGauge).toBeGreaterThan(0);

    // Then every exchange is cut right after its first ack, with more sold than one exchange carries.
    const relay = await startRelay(server.port);
    let roundStart = new Date();
    let seq = first.lastAppliedSeq;
    try {
      for (let round = 1; round <= 3; round++) {
        clock = new Date(t0.getTime() + round * 60_000);
        sell(8);
        roundStart = new Date();
        const cut = await connect(relay.url, token);
        await expect(
          syncOn(cut, edge.store, { maxBatchMutations: 2, onProgress: () => relay.cut() }),
        ).rejects.toThrow();
        cut.terminate();

        const status = edge.store.outbox.status(clock);
        expect(status.pending).toBeGreaterThan(0);
        expect(status.lastSyncAt).toBe(clock.toISOString());
        expect(status.outboxEmptyAt).toBe(t0.toISOString());
        const row = await deviceRow(deviceId);
        expect(row.lastAppliedSeq).toBeGreaterThan(seq);
        expect(ms(row.lastSyncAt)).toBeGreaterThanOrEqual(roundStart.getTime());
        expect(row.outboxEmptyAt).toBe(first.outboxEmptyAt);
        seq = row.lastAppliedSeq;
      }
    } finally {
      await relay.close();
    }

    // HQ's freshness report (this is the tenant's only device so far): synced during the last
    // exchange, last seen empty at the first; the same in the branch's and the report's summary.
    const report = await freshnessReport();
    const device = report.devices.find((d) => d.deviceId === deviceId)!;
    expect(device).toMatchObject({ outboxEmptyAt: first.outboxEmptyAt, lastSeenAt: expect.any(String) });
    expect(ms(device.lastSyncAt)).toBeGreaterThanOrEqual(roundStart.getTime());
    const summary = {
      lastSyncAt: device.lastSyncAt,
      neverSynced: 0,
      oldestOutboxEmptyAt: first.outboxEmptyAt,
    };
    expect(report.branches).toEqual([expect.objectContaining({ branch: 'MAIN', devices: 1, ...summary })]);
    expect(report.freshness).toMatchObject({ devices: 1, oldestSyncAt: device.lastSyncAt, ...summary });
    // HQ's device list says the same (read later: a batch cut in flight may have landed since).
    const listed = (await (
      await fetch(`${server.url}/v1/devices`, { headers: { authorization: `Bearer ${hqToken}` } })
    ).json()) as { devices: { id: string; lastSyncAt: string | null; outboxEmptyAt: string | null }[] };
    const inList = listed.devices.find((d) => d.id === deviceId);
    expect(inList?.outboxEmptyAt).toBe(first.outboxEmptyAt);
    expect(ms(inList?.lastSyncAt ?? null)).toBeGreaterThanOrEqual(roundStart.getTime());
    // The cloud's /metrics: the same two instants, as this process heard them.
    const text = await cloudMetrics();
    expect(gauge(text, 'modernpos_device_last_sync_timestamp_seconds', labels)).toBeGreaterThanOrEqual(
      roundStart.getTime() / 1000,
    );
    expect(gauge(text, 'modernpos_device_outbox_empty_timestamp_seconds', labels)).toBe(emptyGauge);
    // The edge's /metrics.
    const edgeText = await createEdgeMetrics(edge.store).scrape();
    expect(gauge(edgeText, 'modernpos_edge_last_sync_timestamp_seconds', '{branch="MAIN"}')).toBe(
      clock.getTime() / 1000,
    );
    expect(gauge(edgeText, 'modernpos_edge_outbox_empty_timestamp_seconds', '{branch="MAIN"}')).toBe(
      t0.getTime() / 1000,
    );
  });

  it('a ping moves the last sync and the last empty outbox only when it reports nothing pending', async () => {
    const { token, deviceId } = await registerDevice(
      { db, orgId, actor: 'test' },
      { branch: 'MAIN', name: 'Stuck till' },
    );
    const client = await openRawSync(server.url, token);
    try {
      const welcome = await client.request(hello({ backlog: { pending: 4, oldestPendingAgeSeconds: 60 } }));
      expect(welcome.type).toBe('welcome');
      // A till whose pushes never get through but whose heartbeat does: seen, never synced.
      const seenBefore = await deviceRow(deviceId);
      expect(seenBefore).toMatchObject({ lastSyncAt: null, outboxEmptyAt: null });
      expect(seenBefore.lastSeenAt).not.toBeNull();
      await waitFor(
        async () => {
          const pong = await client.request({
            type: 'ping',
            backlog: { pending: 4, oldestPendingAgeSeconds: 61 },
          });
          expect(pong.type).toBe('pong');
          return ms((await deviceRow(deviceId)).lastSeenAt) > ms(seenBefore.lastSeenAt);
        },
        10_000,
        'a ping to move last_seen_at',
      );
      // A protocol 1 ping says nothing about the outbox: not a sync either.
      expect((await client.request({ type: 'ping' })).type).toBe('pong');
      expect(await deviceRow(deviceId)).toMatchObject({ lastSyncAt: null, outboxEmptyAt: null });
      expect(await freshnessOf(deviceId)).toMatchObject({
        lastSyncAt: null,
        backlogPending: 4,
        oldestUnsyncedAgeSeconds: expect.any(Number),
      });
      const labels = `{org="${orgId}",device="${deviceId}"}`;
      expect(
        gauge(await cloudMetrics(), 'modernpos_device_last_sync_timestamp_seconds', labels),
      ).toBeUndefined();

      // Nothing pending any more: everything it recorded is here, so it is in sync as of this ping.
      expect(
        (await client.request({ type: 'ping', backlog: { pending: 0, oldestPendingAgeSeconds: null } })).type,
      ).toBe('pong');
      const synced = await deviceRow(deviceId);
      expect(synced.lastSyncAt).not.toBeNull();
      expect(synced.outboxEmptyAt).toBe(synced.lastSyncAt);
      expect(synced.lastSeenAt).toBe(synced.lastSyncAt);
      expect(await freshnessOf(deviceId)).toMatchObject({
        backlogPending: 0,
        oldestUnsyncedAt: null,
        backlogReportedAt: synced.lastSyncAt,
      });
      const text = await cloudMetrics();
      expect(gauge(text, 'modernpos_device_last_sync_timestamp_seconds', labels)).toBe(
        gauge(text, 'modernpos_device_outbox_empty_timestamp_seconds', labels),
      );
    } finally {
      client.close();
    }
  });

  it("a till's unsynced sales are its backlog in HQ's freshness report from its hello on, and leave it as they land", async () => {
    const { token, deviceId } = await registerDevice(
      { db, orgId, actor: 'test' },
      { branch: 'MAIN', name: 'Offline till' },
    );
    const t0 = new Date('2026-06-03T09:00:00.000Z');
    let clock = t0;
    const edge = await createTestEdge({
      identity: { orgId, branch: 'MAIN', currency: 'EUR' },
      now: () => clock,
    });
    edges.push(edge);
    // Offline: three sales a minute apart, none pushed. Ten minutes after the first, it is back.
    for (let i = 0; i < 3; i++) {
      clock = new Date(t0.getTime() + i * 60_000);
      const sold = edge.store.sales.recordSale({
        terminal: 'F1',
        lines: [{ name: 'Scone', unitPriceMinor: 250, qtyMilli: 1000, taxRateBp: 0 }],
        payments: [{ method: 'cash', amountMinor: 250 }],
      });
      if (!sold.ok) throw new Error(sold.error.message);
    }
    clock = new Date(t0.getTime() + 10 * 60_000);
    const backlog = edge.store.outbox.backlog(clock);
    expect(backlog).toEqual({ pending: 3, oldestPendingAgeSeconds: 600 });

    // Its hello carries that backlog; the connection ends before it pushes anything.
    const client = await openRawSync(server.url, token);
    try {
      const welcome = await client.request(
        hello({ storeId: edge.store.meta.get('store_id')!, terminals: ['F1'], backlog }),
      );
      expect(welcome.type).toBe('welcome');
    } finally {
      client.close();
    }
    const report = await freshnessReport();
    const device = report.devices.find((d) => d.deviceId === deviceId)!;
    expect(device).toMatchObject({ lastSyncAt: null, lastAppliedSeq: 0, backlogPending: 3 });
    // The oldest unsynced sale is dated by the till's own arithmetic, from when the cloud heard it.
    expect(ms(device.backlogReportedAt) - ms(device.oldestUnsyncedAt)).toBe(600_000);
    expect(device.oldestUnsyncedAgeSeconds).toBeGreaterThanOrEqual(600);
    const branch = report.branches.find((b) => b.branch === 'MAIN')!;
    expect(branch.backlogPending).toBeGreaterThanOrEqual(3);
    expect(ms(branch.oldestUnsyncedAt as string)).toBeLessThanOrEqual(ms(device.oldestUnsyncedAt));
    // The CSV carries the same, in columns after the earlier ones.
    const csv = await (
      await fetch(`${server.url}/v1/reports/freshness`, {
        headers: { authorization: `Bearer ${hqToken}`, accept: 'text/csv' },
      })
    ).text();
    const [head, ...lines] = csv.trim().split(/\r?\n/);
    const columns = head!.split(',');
    expect(columns.slice(-5)).toEqual([
      'backlogPending',
      'oldestUnsyncedAt',
      'oldestUnsyncedAgeSeconds',
      'backlogReportedAt',
      'journalBreaks',
    ]);
    const line = lines.find((l) => l.includes(deviceId))!.split(',');
    expect(line[columns.indexOf('backlogPending')]).toBe('3');
    expect(line[columns.indexOf('oldestUnsyncedAt')]).toBe(device.oldestUnsyncedAt);

    // Then it syncs: the three are applied, and come off the reported backlog without a ping.
    const conn = await connect(server.url, token);
    await syncOn(conn, edge.store).finally(() => conn.close());
    expect(await freshnessOf(deviceId)).toMatchObject({
      lastAppliedSeq: 3,
      backlogPending: 0,
      oldestUnsyncedAt: null,
      oldestUnsyncedAgeSeconds: null,
    });
  });

  it("an idle agent's heartbeat keeps its last sync and last empty outbox current", async () => {
    const { token } = await registerDevice(
      { db, orgId, actor: 'test' },
      { branch: 'MAIN', name: 'Idle till' },
    );
    let clock = new Date('2026-06-02T08:00:00.000Z');
    const edge = await createTestEdge({
      identity: { orgId, branch: 'MAIN', currency: 'EUR' },
      now: () => clock,
    });
    edges.push(edge);
    const loop = startSyncLoop(edge.store, { cloudUrl: server.url, token });
    try {
      const first = clock.toISOString();
      await waitFor(() => edge.store.outbox.status(clock).outboxEmptyAt === first, 10_000, 'the first pass');
      // No sale, no poke: only a pong answering a ping that reported an empty outbox can move them.
      clock = new Date('2026-06-02T08:05:00.000Z');
      const later = clock.toISOString();
      await waitFor(
        () => {
          const s = edge.store.outbox.status(clock);
          return s.lastSyncAt === later && s.outboxEmptyAt === later;
        },
        10_000,
        'a heartbeat to mark the idle till in sync',
      );
    } finally {
      await loop.stop();
    }
  });
});
