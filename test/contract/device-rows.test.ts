// The device row as sync and quarantine use it (cloud/devices/): the store a token is bound to, the
// device's scope (branch and the tenant's currency), and its applied seq moved with its contact times.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockAppliedSeq, recordApplied } from '../../cloud/devices/applied-seq.ts';
import { registerDevice, revokeDevice } from '../../cloud/devices/devices.ts';
import { deviceScope, tenantCurrency } from '../../cloud/devices/scope.ts';
import { bindStore } from '../../cloud/devices/store-binding.ts';
import { claimTerminals } from '../../cloud/sync/terminals.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import type { ClosableSqlDatabase } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { createTestPlatform, engineNames, type TestPlatform, uniqueId } from '../helpers/engines.ts';

describe.each(engineNames)('device rows on %s', (engine) => {
  let p: TestPlatform;
  let db: ClosableSqlDatabase;
  const orgId = uniqueId('dev');
  const newDevice = async (name: string) =>
    (await registerDevice({ db, orgId, actor: 'test' }, { branch: 'MAIN', name })).deviceId;

  beforeAll(async () => {
    p = await createTestPlatform(engine);
    await onboardTenant(p.tenants, { orgId, name: 'Devices', currency: 'EUR' });
    db = p.engine.openDatabase(tenantDatabaseName(orgId));
  });
  afterAll(async () => {
    await db?.close();
    await p?.destroy();
  });

  it('binds a device to the first store that syncs with it and refuses another', async () => {
    const deviceId = await newDevice('Till');
    const first = randomUUID();
    expect(await bindStore(db, deviceId, first)).toBe(true);
    expect(await bindStore(db, deviceId, first)).toBe(true);
    expect(await bindStore(db, deviceId, randomUUID())).toBe(false);
    expect(await bindStore(db, randomUUID(), first)).toBe(false);
  });

  it("reads a device's scope: its branch and the tenant's currency", async () => {
    const deviceId = await newDevice('Scoped');
    expect(await tenantCurrency(db)).toBe('EUR');
    expect(await deviceScope(db, deviceId)).toEqual({ branchCode: 'MAIN', currency: 'EUR' });
    expect(await deviceScope(db, randomUUID())).toEqual({ branchCode: '', currency: 'EUR' });
  });

  it('moves the applied seq with the last seen and last sync times, and sees a revocation', async () => {
    const deviceId = await newDevice('Applied');
    const at = '2026-01-02T03:04:05.000Z';
    await db.transaction(async (tx) => {
      expect(await lockAppliedSeq(tx, deviceId)).toEqual({ last: 0, revoked: false, storeId: null });
      await recordApplied(tx, deviceId, 7, at);
    });
    const [row] = await db.query<{ seq: number; seen: unknown; synced: unknown }>(
      'SELECT last_applied_seq AS seq, last_seen_at AS seen, last_sync_at AS synced FROM devices WHERE id = $1',
      [deviceId],
    );
    expect(Number(row?.seq)).toBe(7);
    expect(new Date(String(row?.seen)).toISOString()).toBe(at);
    expect(new Date(String(row?.synced)).toISOString()).toBe(at);
    await revokeDevice({ db, orgId, actor: 'test' }, deviceId);
    expect(await db.transaction((tx) => lockAppliedSeq(tx, deviceId))).toEqual({
      last: 7,
      revoked: true,
      storeId: null,
    });
    expect(await db.transaction((tx) => lockAppliedSeq(tx, randomUUID()))).toBeUndefined();
  });

  it.runIf(engine === 'postgres')(
    "a batch's lock on the device row does not hold up a hello's terminal claim (Postgres: a second connection)",
    async () => {
      const deviceId = await newDevice('Claiming');
      let claimed: Set<string> | undefined;
      await db.transaction(async (tx) => {
        await lockAppliedSeq(tx, deviceId);
        // The hello's claim, on another connection, completes while the batch still holds the row
        // (a batch that then claims the same terminal must not find it waiting for this one).
        const claim = claimTerminals(db, deviceId, ['T7'], '2026-01-02T03:04:05.000Z');
        const timedOut = new Promise<'waiting'>((r) => setTimeout(() => r('waiting'), 15_000).unref());
        const first = await Promise.race([claim, timedOut]);
        expect(first).not.toBe('waiting');
        claimed = first as Set<string>;
        expect(await claimTerminals(tx, deviceId, ['T7'], '2026-01-02T03:04:06.000Z')).toEqual(
          new Set(['T7']),
        );
      });
      expect(claimed).toEqual(new Set(['T7']));
    },
  );
});
