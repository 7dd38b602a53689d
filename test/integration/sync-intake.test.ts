// The cloud's intake under real sockets (cloud/sync/intake.ts, connection.ts): with room for one
// frame in the whole process, tills that send all their batches at once are paused and resumed,
// every batch is acknowledged in the order sent and applied exactly once, and the bytes taken in
// never pass the bound (a frame alone aside).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CloudServer, startCloudServer } from '../../cloud/server.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import { pushFrame } from '../../edge/sync/sync-client.ts';
import type { ClosableSqlDatabase } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import type { Down } from '../../src/protocol/messages.ts';
import { createTestPlatform, type TestPlatform, uniqueId } from '../helpers/engines.ts';
import { cloudSalesOf, createTill, hello, openRawSync, type Till } from '../helpers/sync.ts';

const BATCHES = 5;
const PER_BATCH = 3;

/** The till's outbox as the edge would push it, PER_BATCH mutations a frame. */
function frames(till: Till): string[] {
  const pending = till.edge.store.outbox.pending(0, 1_000, 10 * 1024 * 1024);
  const out: string[] = [];
  for (let i = 0; i < pending.length; i += PER_BATCH) out.push(pushFrame(pending.slice(i, i + PER_BATCH)));
  return out;
}

describe('sync intake under load', () => {
  let p: TestPlatform;
  let db: ClosableSqlDatabase;
  let server: CloudServer;
  const orgId = uniqueId('intake');

  beforeAll(async () => {
    p = await createTestPlatform('embedded');
    await onboardTenant(p.tenants, { orgId, name: 'Intake', currency: 'EUR' });
    db = p.engine.openDatabase(tenantDatabaseName(orgId));
    server = await startCloudServer({
      platform: { ...p, close: async () => {} },
      adminToken: 'mpa_intake_test_token_012345678',
      port: 0,
      hostname: '127.0.0.1',
      resolver: { maxPools: 2, poolSize: 1 },
      migration: { intervalMs: 0, concurrency: 1 },
      // Room for one frame at a time in the whole process: every other frame waits its turn.
      sync: { maxInflightBytes: 1 },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await db?.close();
    await p?.destroy();
  });

  it('pauses tills that send everything at once, resumes them, and acknowledges every batch in order, once', async () => {
    const tills = await Promise.all(['A', 'B', 'C'].map((n) => createTill(db, orgId, `Till ${n}`)));
    for (const till of tills) till.sell(BATCHES * PER_BATCH);
    const clients = await Promise.all(
      tills.map(async (till) => {
        const client = await openRawSync(server.url, till.token);
        const welcome = await client.request(hello({ storeId: till.storeId, terminals: [till.terminal] }));
        expect(welcome.type).toBe('welcome');
        return client;
      }),
    );
    const sent = tills.map(frames);
    const largest = Math.max(...sent.flat().map((f) => Buffer.byteLength(f)));
    // Every till sends all its batches without waiting (more than the edge's two in flight).
    for (const [i, client] of clients.entries()) for (const f of sent[i]!) client.send(f);

    const replies = await Promise.all(
      clients.map(async (client) => {
        const got: Down[] = [];
        for (let b = 0; b < BATCHES; b++) got.push(await client.next(30_000));
        return got;
      }),
    );
    for (const [i, got] of replies.entries()) {
      // In the order sent: each ack carries the device's position after its batch.
      expect(got.map((r) => (r.type === 'ack' ? r.lastAppliedSeq : r.type))).toEqual(
        Array.from({ length: BATCHES }, (_, b) => (b + 1) * PER_BATCH),
      );
      for (const r of got) {
        if (r.type !== 'ack') throw new Error(`expected an ack, got ${r.type}`);
        expect(r.results.map((x) => x.status)).toEqual(Array(PER_BATCH).fill('applied'));
      }
      // Exactly once: every sale the till answered, no more.
      const till = tills[i]!;
      const held = await cloudSalesOf(db, till.deviceId);
      expect(held).toEqual([...till.answered].sort((a, b) => a.id.localeCompare(b.id)));
    }

    const stats = server.sync.intakeStats();
    // Frames had to wait (the sockets were paused meanwhile), and one frame at most was ever taken in.
    expect(stats.waited).toBeGreaterThan(0);
    expect(stats.peakInFlight).toBeLessThanOrEqual(largest);
    // All answered: nothing in flight, waiting or asleep.
    expect(stats).toMatchObject({ inFlight: 0, waiting: 0, asleep: 0 });

    // The paused sessions read again: a ping is answered on each.
    for (const client of clients) {
      const pong = await client.request({ type: 'ping', at: Date.now() });
      expect(pong.type).toBe('pong');
      client.close();
    }
  });
});
