// Connection life: the cloud drops a socket that stops answering its pings, the edge drops a cloud
// that stops answering its pings, and an edge that sold while the cloud was down reconnects with
// backoff and pushes without anyone asking.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { registerDevice } from '../../cloud/devices/devices.ts';
import { type CloudServer, startCloudServer } from '../../cloud/server.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import { storeDeviceToken } from '../../edge/config.ts';
import { backoffDelay, startSyncLoop } from '../../edge/sync/sync-loop.ts';
import type { ClosableSqlDatabase } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { PROTOCOL_VERSION } from '../../src/protocol/version.ts';
import { runCli } from '../helpers/cli.ts';
import { createTestEdge } from '../helpers/edge.ts';
import { createTestPlatform, type TestPlatform, uniqueId } from '../helpers/engines.ts';
import { memoryLogger } from '../helpers/logs.ts';
import { hello, openRawSync } from '../helpers/sync.ts';
import { waitFor } from '../helpers/wait.ts';

describe('backoff', () => {
  it('grows exponentially to its ceiling with full jitter between half and all of the bound', () => {
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, 500, 30_000, () => 1))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffDelay(3, 500, 30_000, () => 0)).toBe(2000);
    expect(backoffDelay(50, 500, 30_000, () => 1)).toBe(30_000);
  });
});

describe('sync connection life', () => {
  let p: TestPlatform;
  let server: CloudServer | undefined;
  let db: ClosableSqlDatabase;
  /** A device of its own for each test: a token is bound to the first edge database that syncs with it. */
  const newDevice = async () =>
    (await registerDevice({ db, orgId, actor: 'test' }, { branch: 'MAIN', name: 'Till' })).token;
  const orgId = uniqueId();
  /**
   * A cloud on `port`. Only the ping tests need a fast heartbeat: elsewhere a loaded machine's stalled
   * event loop (client and cloud share this process) must not look like a dead device.
   */
  const start = (port = 0, heartbeatMs = 2_000) =>
    startCloudServer({
      platform: { ...p, close: async () => {} },
      adminToken: 'mpa_connection_test_token_01234',
      port,
      hostname: '127.0.0.1',
      resolver: { maxPools: 2, poolSize: 1 },
      migration: { intervalMs: 0, concurrency: 1 },
      sync: { heartbeatMs, lastSeenEveryMs: 50 },
    });

  beforeAll(async () => {
    p = await createTestPlatform('embedded');
    await onboardTenant(p.tenants, { orgId, name: 'Life', currency: 'EUR' });
    db = p.engine.openDatabase(tenantDatabaseName(orgId));
  });
  // Each test starts its own server; the next must not find the last one still holding the platform.
  afterEach(async () => {
    await server?.stop().catch(() => {});
    server = undefined;
  });
  afterAll(async () => {
    await server?.stop().catch(() => {});
    await db?.close();
    await p?.destroy();
  });

  it('drops a device that stops answering pings', async () => {
    const token = await newDevice();
    server = await start(0, 100);
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/v1/sync`, {
      headers: { authorization: `Bearer ${token}` },
      autoPong: false,
    });
    const replies: string[] = [];
    ws.on('message', (d) => replies.push(d.toString()));
    await new Promise((r) => ws.once('open', r));
    ws.send(
      JSON.stringify({
        type: 'hello',
        protocolVersion: PROTOCOL_VERSION,
        schemaVersion: 3,
        storeId: randomUUID(),
        pullCursor: 0,
        terminals: [],
      }),
    );
    await waitFor(() => server!.sync.sessionCount(orgId) === 1);
    const closed = await new Promise<number>((r) => ws.once('close', (code) => r(code)));
    expect(closed).toBe(1006);
    await waitFor(() => server!.sync.sessionCount(orgId) === 0);
    expect(JSON.parse(replies[0]!)).toMatchObject({ type: 'welcome', heartbeatMs: 100 });
    await server.stop();
    server = undefined;
  });

  it('reconnects to a cloud that was down and pushes what was sold meanwhile', async () => {
    const token = await newDevice();
    // A port that was free a moment ago: the cloud will come up there later.
    server = await start();
    const port = server.port;
    await server.stop();
    server = undefined;
    const edge = await createTestEdge({ identity: { orgId, branch: 'MAIN', currency: 'EUR' } });
    const loop = startSyncLoop(edge.store, {
      cloudUrl: `http://127.0.0.1:${port}`,
      token,
      backoff: { baseMs: 50, maxMs: 200 },
    });
    try {
      edge.store.sales.recordSale({
        terminal: 'T1',
        lines: [{ name: 'Item', unitPriceMinor: 100, qtyMilli: 1000, taxRateBp: 0 }],
        payments: [{ method: 'cash', amountMinor: 100 }],
      });
      await waitFor(() => edge.store.outbox.status(new Date()).lastError !== null);
      expect(edge.store.outbox.status(new Date()).lastError).toMatch(/cannot reach the cloud/);
      server = await start(port);
      await waitFor(() => edge.store.outbox.status(new Date()).pending === 0);
      await waitFor(() => edge.store.outbox.status(new Date()).lastError === null);
      const [sales] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM sales');
      expect(sales!.n).toBe(1);
    } finally {
      await loop.stop();
      edge.destroy();
    }
  });

  it('logs an error that is not a lost connection as an error, and keeps retrying', async () => {
    const token = await newDevice();
    server = await start();
    const edge = await createTestEdge({ identity: { orgId, branch: 'MAIN', currency: 'EUR' } });
    // A closed store: every read throws, which no connection loss explains.
    edge.store.close();
    const { logger, lines } = memoryLogger('edge');
    const loop = startSyncLoop(edge.store, {
      cloudUrl: `http://127.0.0.1:${server.port}`,
      token,
      logger,
      backoff: { baseMs: 20, maxMs: 50 },
    });
    try {
      await waitFor(() => lines.filter((l) => l.includes('not a lost connection')).length >= 2);
      const line = JSON.parse(lines.find((l) => l.includes('not a lost connection'))!);
      expect(line.level).toBe(50); // error
      expect(line.err.message).toMatch(/not open/);
    } finally {
      await loop.stop();
      edge.destroy();
    }
  });

  it('pushes the first sale of a new edge that connected before it had sold anything', async () => {
    const token = await newDevice();
    server = await start();
    const edge = await createTestEdge({ identity: { orgId, branch: 'MAIN', currency: 'EUR' } });
    const loop = startSyncLoop(edge.store, {
      cloudUrl: `http://127.0.0.1:${server.port}`,
      token,
    });
    edge.store.outbox.onAppend(() => loop.kick());
    try {
      await waitFor(() => loop.connected() && edge.store.outbox.status(new Date()).lastSyncAt !== null);
      const [before] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM sales');
      const sale = edge.store.sales.recordSale({
        terminal: 'T9',
        lines: [{ name: 'Item', unitPriceMinor: 100, qtyMilli: 1000, taxRateBp: 0 }],
        payments: [{ method: 'cash', amountMinor: 100 }],
      });
      expect(sale.ok).toBe(true);
      await waitFor(() => edge.store.outbox.status(new Date()).pending === 0);
      const [after] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM sales');
      expect(after!.n).toBe(before!.n + 1);
      const metrics = await (
        await fetch(`http://127.0.0.1:${server.port}/metrics`, {
          headers: { authorization: 'Bearer mpa_connection_test_token_01234' },
        })
      ).text();
      expect(metrics).toMatch(/modernpos_sync_batches_total\{result="applied"\} [1-9]/);
      expect(metrics).toMatch(/modernpos_sync_mutations_total\{status="applied"\} [1-9]/);
      expect(metrics).toMatch(/modernpos_sync_batch_duration_seconds_count [1-9]/);
    } finally {
      await loop.stop();
      edge.destroy();
    }
  });

  it('shows sync and each device in /metrics: batches, mutations, backlog, oldest unsynced sale, last seen', async () => {
    const token = await newDevice();
    server = await start();
    const client = await openRawSync(`http://127.0.0.1:${server.port}`, token);
    try {
      const welcome = await client.request(hello({ backlog: { pending: 3, oldestPendingAgeSeconds: 90 } }));
      expect(welcome.type).toBe('welcome');
      const deviceId = welcome.type === 'welcome' ? welcome.deviceId : '';
      expect(
        (await client.request({ type: 'ping', backlog: { pending: 1, oldestPendingAgeSeconds: 90 } })).type,
      ).toBe('pong');
      // An idle till's pings keep its last contact (`last_seen_at`) current: its write is gathered
      // with its tenant's others (cloud/sync/last-seen-batches.ts), so it lands soon after the pong.
      const seen = async () =>
        (
          await db.query<{ at: string }>('SELECT last_seen_at AS at FROM devices WHERE id = $1', [deviceId])
        )[0]!.at;
      const before = await seen();
      await new Promise((r) => setTimeout(r, 80));
      await client.request({ type: 'ping' });
      await waitFor(
        async () => Date.parse(await seen()) > Date.parse(before),
        10_000,
        'last_seen_at to move',
      );
      // A malformed backlog is a lost figure, never a refused till.
      expect(
        (await client.request({ type: 'ping', backlog: { pending: -1, oldestPendingAgeSeconds: 'x' } })).type,
      ).toBe('pong');
      const metrics = await (
        await fetch(`http://127.0.0.1:${server.port}/metrics`, {
          headers: { authorization: 'Bearer mpa_connection_test_token_01234' },
        })
      ).text();
      const labels = `{org="${orgId}",device="${deviceId}"}`;
      expect(metrics).toContain(`modernpos_device_backlog${labels} 1`);
      expect(metrics).toContain(`modernpos_device_connected${labels} 1`);
      const age = Number(
        new RegExp(`modernpos_device_oldest_unsynced_seconds${labels.replace(/[{}]/g, '\\$&')} (\\S+)`).exec(
          metrics,
        )?.[1],
      );
      expect(age).toBeGreaterThanOrEqual(90);
      expect(age).toBeLessThan(120);
      expect(metrics).toMatch(
        new RegExp(
          `modernpos_device_last_seen_timestamp_seconds\\{org="${orgId}",device="${deviceId}"\\} \\d`,
        ),
      );
      expect(metrics).toMatch(/modernpos_sync_connections [1-9]/);
      expect(metrics).toMatch(new RegExp(`modernpos_tenant_queries_total\\{org="${orgId}"\\} [1-9]`));
      expect(metrics).toMatch(new RegExp(`modernpos_tenant_database_bytes\\{org="${orgId}"\\} [1-9]`));
      expect(metrics).toContain('modernpos_tenant_pool_wait_seconds_count');
    } finally {
      client.close();
    }
  });

  it('runs nightly mode with the URL and token the agent was started with, and fails in one line', async () => {
    const token = await newDevice();
    server = await start();
    const edge = await createTestEdge({
      identity: { orgId, branch: 'MAIN', currency: 'EUR', cloudUrl: `http://127.0.0.1:${server.port}` },
    });
    try {
      storeDeviceToken(edge.file, token);
      for (let i = 0; i < 3; i++) {
        edge.store.sales.recordSale({
          terminal: 'T2',
          lines: [{ name: 'Item', unitPriceMinor: 100, qtyMilli: 1000, taxRateBp: 0 }],
          payments: [{ method: 'cash', amountMinor: 100 }],
        });
      }
      edge.store.close();
      const run = await runCli(['edge', 'sync', '--once', '--edge-db', edge.file], {});
      expect(run).toMatchObject({ code: 0, err: '' });
      expect(run.out).toMatch(
        /^Synced with http:\/\/127\.0\.0\.1:\d+\/?: pushed 3, duplicates 0, rejected 0, held 0, pulled \d+ in [\d.]+ s$/,
      );
      const json = await runCli(['edge', 'sync', '--once', '--edge-db', edge.file, '--json'], {});
      expect(JSON.parse(json.out)).toMatchObject({ pushed: 0, duplicates: 0, rejected: 0, pulled: 0 });
      const refused = await runCli(
        ['edge', 'sync', '--once', '--edge-db', edge.file, '--token', `mpd_${orgId}_${'Z'.repeat(32)}`],
        {},
      );
      expect(refused.code).toBe(2);
      expect(refused.err).toMatch(/^modernpos: the cloud refused this device's token/);
      await server.stop();
      server = undefined;
      const down = await runCli(['edge', 'sync', '--once', '--edge-db', edge.file], {});
      expect(down.code).toBe(1);
      expect(down.err.split('\n')).toEqual([expect.stringMatching(/^modernpos: cannot reach the cloud at/)]);
      const missing = await runCli(['edge', 'sync', '--once', '--edge-db', `${edge.file}.nope`], {});
      expect(missing).toMatchObject({ code: 2, err: expect.stringMatching(/no edge database/) });
    } finally {
      edge.destroy();
    }
  });

  it('drops a cloud that stops answering pings and connects again', async () => {
    const token = await newDevice();
    // A fake cloud that welcomes the edge and then never answers anything.
    const silent = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => silent.once('listening', r));
    let connections = 0;
    silent.on('connection', (ws) => {
      connections++;
      ws.once('message', () =>
        ws.send(
          JSON.stringify({
            type: 'welcome',
            protocolVersion: PROTOCOL_VERSION,
            orgId,
            deviceId: 'd',
            branch: { code: 'MAIN', timeZone: 'UTC' },
            terminals: [],
            lastAppliedSeq: 0,
            latestCursor: 0,
            limits: { maxFrameBytes: 1 << 20, maxBatchMutations: 500 },
            heartbeatMs: 50,
          }),
        ),
      );
    });
    const edge = await createTestEdge({ identity: { orgId, branch: 'MAIN', currency: 'EUR' } });
    const loop = startSyncLoop(edge.store, {
      cloudUrl: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
      token,
      backoff: { baseMs: 20, maxMs: 50 },
    });
    try {
      await waitFor(() => connections >= 3);
    } finally {
      await loop.stop();
      edge.destroy();
      for (const c of silent.clients) c.terminate();
      await new Promise((r) => silent.close(r));
    }
  });
});
