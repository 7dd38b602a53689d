// Idle tills' heartbeat writes gathered per tenant (cloud/sync/last-seen-batches.ts) land late, in one
// statement (touchDevices, deferred): each row gets its own ping's instant and backlog, and a write
// that waited never moves a time backwards or replaces a newer backlog report.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDevice } from '../../cloud/devices/devices.ts';
import { touchDevice, touchDevices } from '../../cloud/devices/last-seen.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import type { ClosableSqlDatabase } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { createTestPlatform, engineNames, type TestPlatform, uniqueId } from '../helpers/engines.ts';

describe.each(engineNames)('gathered last-seen writes on %s', (engine) => {
  let p: TestPlatform;
  let db: ClosableSqlDatabase;
  const orgId = uniqueId('lsg');
  const newDevice = async () =>
    (await registerDevice({ db, orgId, actor: 'test' }, { branch: 'MAIN', name: 'Till' })).deviceId;
  const row = async (id: string) =>
    (
      await db.query<{ seen: string; sync: string | null; pending: number | null; reported: string | null }>(
        `SELECT last_seen_at AS seen, last_sync_at AS sync, backlog_pending AS pending,
                backlog_reported_at AS reported FROM devices WHERE id = $1`,
        [id],
      )
    )[0]!;

  beforeAll(async () => {
    p = await createTestPlatform(engine);
    await onboardTenant(p.tenants, { orgId, name: 'Last seen gather', currency: 'EUR' });
    db = p.engine.openDatabase(tenantDatabaseName(orgId));
  });
  afterAll(async () => {
    await db?.close();
    await p?.destroy();
  });

  it('writes each device its own ping, and never undoes a newer write', async () => {
    const [a, b] = [await newDevice(), await newDevice()];
    const t1 = new Date('2026-06-01T10:00:00Z');
    const t2 = new Date('2026-06-01T10:00:05Z');
    await touchDevices(
      db,
      [
        { deviceId: a, at: t1, backlog: { pending: 0, oldestPendingAgeSeconds: null } },
        { deviceId: b, at: t2, backlog: undefined },
      ],
      { deferred: true },
    );
    expect(Date.parse((await row(a)).seen)).toBe(t1.getTime());
    expect(Date.parse((await row(a)).sync!)).toBe(t1.getTime());
    expect((await row(a)).pending).toBe(0);
    expect(Date.parse((await row(b)).seen)).toBe(t2.getTime());
    expect((await row(b)).pending).toBeNull();

    // A newer write (a hello reporting a backlog at t2), then the gathered ping of t1 lands late.
    await touchDevice(db, a, t2, { pending: 4, oldestPendingAgeSeconds: 30 });
    await touchDevices(
      db,
      [{ deviceId: a, at: t1, backlog: { pending: 0, oldestPendingAgeSeconds: null } }],
      {
        deferred: true,
      },
    );
    const after = await row(a);
    expect(Date.parse(after.seen)).toBe(t2.getTime());
    expect(after.pending).toBe(4);
    expect(Date.parse(after.reported!)).toBe(t2.getTime());
  });
});
