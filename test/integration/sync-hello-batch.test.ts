// A tenant's hellos arriving together are answered together (cloud/sync/hello-batches.ts): each one
// still gets exactly what it would alone — its device's welcome, `unauthorized` for a revoked token or
// a wrong secret, `device_in_use` for a token bound to another edge database, a terminal code new to
// the branch owned by one device only — and a revocation is read by the batch that answers the hello.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDevice, revokeDevice } from '../../cloud/devices/devices.ts';
import { type CloudServer, startCloudServer } from '../../cloud/server.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import type { ClosableSqlDatabase } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { formatDeviceToken } from '../../src/domain/tenant-token.ts';
import { closeCodes } from '../../src/protocol/errors.ts';
import type { Down } from '../../src/protocol/messages.ts';
import { createTestPlatform, engineNames, type TestPlatform, uniqueId } from '../helpers/engines.ts';
import { hello, openRawSync } from '../helpers/sync.ts';

describe.each(engineNames)('hellos of one tenant at once on %s', (engine) => {
  let p: TestPlatform;
  let server: CloudServer;
  let db: ClosableSqlDatabase;
  const orgId = uniqueId('shb');
  const httpUrl = () => `http://127.0.0.1:${server.port}`;
  const newDevice = async () =>
    registerDevice({ db, orgId, actor: 'test' }, { branch: 'MAIN', name: 'Till' });

  beforeAll(async () => {
    p = await createTestPlatform(engine);
    await onboardTenant(p.tenants, { orgId, name: 'Hello batch', currency: 'EUR' });
    db = p.engine.openDatabase(tenantDatabaseName(orgId));
    server = await startCloudServer({
      platform: { ...p, close: async () => {} },
      adminToken: 'mpa_sync_hello_batch_token_012345',
      port: 0,
      hostname: '127.0.0.1',
      resolver: { maxPools: 2, poolSize: 1 },
      migration: { intervalMs: 0, concurrency: 1 },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await db?.close();
    await p?.destroy();
  });

  it('answers every hello of a burst as it would alone', async () => {
    const plain = await Promise.all(Array.from({ length: 5 }, newDevice));
    const revoked = await newDevice();
    const bound = await newDevice();
    const [first, second] = await Promise.all([newDevice(), newDevice()]);
    await revokeDevice({ db, orgId, actor: 'test' }, revoked.deviceId);
    const otherStore = randomUUID();
    await db.query('UPDATE devices SET store_id = $2 WHERE id = $1', [bound.deviceId, otherStore]);
    const wrong = formatDeviceToken(orgId, randomBytes(24).toString('base64url'));

    const cases = [
      ...plain.map((d, i) => ({ token: d.token, terminals: [`T${i + 1}`] })),
      { token: revoked.token, terminals: [] },
      { token: bound.token, terminals: [] },
      { token: wrong, terminals: [] },
      { token: first!.token, terminals: ['SHARED'] },
      { token: second!.token, terminals: ['SHARED'] },
    ];
    const sockets = await Promise.all(cases.map((c) => openRawSync(httpUrl(), c.token)));
    // Every hello sent in the same turn: they reach the tenant's database as one batch.
    for (const [i, s] of sockets.entries()) s.send(hello({ terminals: cases[i]!.terminals }));
    const replies: Down[] = await Promise.all(sockets.map((s) => s.next()));

    for (const [i, d] of plain.entries()) {
      expect(replies[i]).toMatchObject({ type: 'welcome', deviceId: d.deviceId, terminals: [`T${i + 1}`] });
    }
    expect(replies[5]).toMatchObject({ type: 'error', code: 'unauthorized' });
    expect(replies[6]).toMatchObject({ type: 'error', code: 'device_in_use' });
    expect(replies[7]).toMatchObject({ type: 'error', code: 'unauthorized' });
    expect((await sockets[5]!.closed).code).toBe(closeCodes.unauthorized);
    expect((await sockets[6]!.closed).code).toBe(closeCodes.unauthorized);
    // Two devices naming a code new to the branch: one owns it, the other is welcomed without it.
    const shared = [replies[8], replies[9]].map((r) => (r?.type === 'welcome' ? r.terminals : undefined));
    expect(shared.filter((t) => t?.length === 1)).toHaveLength(1);
    expect(shared.filter((t) => t?.length === 0)).toHaveLength(1);

    const rows = await db.query<{ id: string; store_id: string | null; last_seen_at: unknown }>(
      'SELECT id, store_id, last_seen_at FROM devices WHERE id = ANY($1::text[])',
      [[...plain.map((d) => d.deviceId), bound.deviceId, revoked.deviceId]],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const d of plain) expect(byId.get(d.deviceId)?.last_seen_at).not.toBeNull();
    expect(byId.get(bound.deviceId)?.store_id).toBe(otherStore);
    expect(byId.get(revoked.deviceId)?.store_id).toBeNull();
    for (const s of sockets) s.close();
  });

  it('refuses the next hello of a device revoked after its welcome, and binds a token once', async () => {
    const device = await newDevice();
    const store = randomUUID();
    const welcomed = await openRawSync(httpUrl(), device.token);
    expect(await welcomed.request(hello({ storeId: store }))).toMatchObject({ type: 'welcome' });
    // The same token from two databases at once: the first bound keeps it.
    const again = await Promise.all([
      openRawSync(httpUrl(), device.token),
      openRawSync(httpUrl(), device.token),
    ]);
    again[0]!.send(hello({ storeId: store }));
    again[1]!.send(hello({ storeId: randomUUID() }));
    expect(await again[0]!.next()).toMatchObject({ type: 'welcome' });
    expect(await again[1]!.next()).toMatchObject({ type: 'error', code: 'device_in_use' });
    await revokeDevice({ db, orgId, actor: 'test' }, device.deviceId);
    const late = await openRawSync(httpUrl(), device.token);
    expect(await late.request(hello({ storeId: store }))).toMatchObject({
      type: 'error',
      code: 'unauthorized',
    });
    for (const s of [welcomed, ...again, late]) s.close();
  });
});
