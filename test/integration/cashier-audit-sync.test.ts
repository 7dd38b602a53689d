// Cashier sign-in end to end, on every engine: HQ makes a cashier (code assigned) and a manager with
// a PIN, the till pulls them, then — offline — a wrong PIN, a sign-in, approvals, a no-sale and a
// shift close; the push is cut before its ack, resent, and replayed again: every cashier event is in
// the tenant's audit log exactly once, the approvals and signed-in users are on the documents, a
// cashier event outside the device's branch or terminals is quarantined with nothing written, and a
// cashier session is worthless at the cloud.
import { describe, expect, it } from 'vitest';
import { createProduct } from '../../cloud/catalog/products.ts';
import { createTaxRate } from '../../cloud/catalog/reference-data.ts';
import { createUser } from '../../cloud/catalog/users.ts';
import { createEdgeApp } from '../../edge/http/app.ts';
import { closeCodes } from '../../src/protocol/errors.ts';
import type { Mutation } from '../../src/protocol/mutations.ts';
import { call } from '../helpers/edge.ts';
import { engineNames, uniqueId } from '../helpers/engines.ts';
import { hello, openRawSync, syncTill, syncUntilDone, type Till } from '../helpers/sync.ts';
import { useSyncTenant } from '../helpers/sync-tenant.ts';

interface AuditRow {
  id: string;
  action: string;
  actor: string;
  entity_id: string | null;
  device_id: string;
  details: string;
}

describe.each(engineNames)('cashier sign-in and its audit trail on %s', (engine) => {
  const tenant = useSyncTenant(engine, 'Cashiers');

  const auditOf = (till: Till) =>
    tenant
      .db()
      .query<AuditRow>(
        'SELECT id, action, actor, entity_id, device_id, details FROM audit_logs WHERE device_id = $1 ORDER BY device_seq',
        [till.deviceId],
      );
  const push = async (till: Till, mutations: Mutation[], cut: boolean) => {
    const raw = await openRawSync(tenant.url(), till.token);
    try {
      const welcome = await raw.request(hello({ storeId: till.storeId }));
      if (welcome.type !== 'welcome') throw new Error(`expected welcome, got ${JSON.stringify(welcome)}`);
      if (cut) {
        raw.send({ type: 'push', mutations });
        raw.terminate();
        return undefined;
      }
      return await raw.request({ type: 'push', mutations });
    } finally {
      raw.close();
    }
  };

  it('signs in offline with what HQ made, and every event reaches the audit log exactly once across a cut push and resends', async () => {
    const db = tenant.db();
    const ctx = { db, actor: 'test' };
    await createTaxRate(ctx, { name: 'None', rateBp: 0, inclusive: false, isDefault: true });
    await createProduct(ctx, { sku: 'LAMP', name: 'Lamp', priceMinor: 9000 });
    const cashier = await createUser(ctx, { role: 'cashier', name: 'Ana', pin: '4321' });
    const manager = await createUser(ctx, {
      role: 'manager',
      name: 'Mo',
      email: `mo-${uniqueId()}@shop.example`,
      password: 'manager-password-1',
      pin: '97531',
    });
    expect(cashier.code).toMatch(/^\d{4,}$/);
    expect(manager.code).toMatch(/^\d{4,}$/);
    expect(manager.code).not.toBe(cashier.code);

    const till = await tenant.newTill('Audit');
    await syncTill(tenant.url(), till);
    // From here the till is offline until the push below.
    const app = createEdgeApp({ store: till.edge.store });
    const terminal = till.terminal;
    const approval = { code: manager.code!, pin: '97531' };
    expect(
      (await call(app, 'POST', '/v1/cashier-sessions', { terminal, code: cashier.code, pin: '0000' })).status,
    ).toBe(401);
    const signedIn = await call(app, 'POST', '/v1/cashier-sessions', {
      terminal,
      code: cashier.code,
      pin: '4321',
    });
    expect(signedIn).toMatchObject({ status: 201, body: { user: { id: cashier.id, role: 'cashier' } } });
    const auth = { authorization: `Bearer ${signedIn.body.token}` };
    const shift = await call(app, 'POST', '/v1/shifts', { terminal, openingFloatMinor: 1000 }, auth);
    expect(shift.status).toBe(201);
    const sold = await call(
      app,
      'POST',
      '/v1/sales',
      {
        terminal,
        lines: [{ sku: 'LAMP', qtyMilli: 1000, unitPriceMinor: 8000 }],
        payments: [{ method: 'card', amountMinor: 8000 }],
        approval,
      },
      auth,
    );
    expect(sold).toMatchObject({ status: 201, body: { approval: { reasons: ['price_override'] } } });
    const refund = await call(
      app,
      'POST',
      `/v1/sales/${sold.body.id}/refunds`,
      {
        terminal,
        lines: [{ lineNo: 1, qtyMilli: 1000 }],
        payments: [{ method: 'card', amountMinor: 8000 }],
        approval,
      },
      auth,
    );
    expect(refund).toMatchObject({ status: 201, body: { approval: { reasons: ['refund_over_limit'] } } });
    expect(
      (await call(app, 'POST', '/v1/drawer/no-sale', { terminal, reason: 'change', approval }, auth)).status,
    ).toBe(201);
    const closed = await call(
      app,
      'POST',
      `/v1/shifts/${shift.body.id}/close`,
      { counted: [{ method: 'cash', countedMinor: 1000 }] },
      auth,
    );
    expect(closed.status).toBe(200);

    const outbox = till.outbox();
    const events = outbox.filter((m) => m.kind === 'cashier_event');
    expect(events.map((m) => (m.payload as { event: string }).event)).toEqual([
      'pin_failed',
      'signed_in',
      'approved',
      'approved',
      'drawer_opened',
      'signed_out',
    ]);
    // Cut before the ack (the cloud may or may not have committed), then synced to the end.
    await push(till, outbox, true);
    await syncUntilDone(tenant.url(), till);
    // The whole outbox again, as a restored edge might send it: every seq is a duplicate.
    const again = await push(till, outbox, false);
    if (again?.type !== 'ack') throw new Error(`expected an ack, got ${JSON.stringify(again)}`);
    expect(new Set(again.results.map((r) => r.status))).toEqual(new Set(['duplicate']));

    const audit = await auditOf(till);
    expect(audit.map((r) => r.id)).toEqual(events.map((m) => m.id));
    expect(audit.map((r) => r.action)).toEqual([
      'cashier.pin_failed',
      'cashier.signed_in',
      'cashier.approved',
      'cashier.approved',
      'cashier.drawer_opened',
      'cashier.signed_out',
    ]);
    expect(audit[1]).toMatchObject({ actor: `user:${cashier.id}`, entity_id: cashier.id });
    expect(JSON.parse(audit[4]!.details)).toMatchObject({
      approval: { approverUserId: manager.id, reasons: ['no_sale'] },
      detail: 'change',
    });
    const [saleRow, refundRow] = await db.query<{
      cashier_user_id: string;
      approved_by_user_id: string;
      approval_reasons: string;
    }>(
      "SELECT cashier_user_id, approved_by_user_id, approval_reasons FROM sales WHERE device_id = $1 ORDER BY kind = 'refund'",
      [till.deviceId],
    );
    expect(saleRow).toMatchObject({
      cashier_user_id: cashier.id,
      approved_by_user_id: manager.id,
      approval_reasons: '["price_override"]',
    });
    expect(refundRow).toMatchObject({
      approved_by_user_id: manager.id,
      approval_reasons: '["refund_over_limit"]',
    });
    expect(
      await db.query('SELECT opened_by_user_id, closed_by_user_id FROM shifts WHERE id = $1', [
        shift.body.id,
      ]),
    ).toEqual([{ opened_by_user_id: cashier.id, closed_by_user_id: cashier.id }]);

    // The session is the till's alone: the cloud knows no such token, for HQ nor for sync.
    const hq = await fetch(`${tenant.url()}/v1/reports/sales`, { headers: auth });
    expect(hq.status).toBe(401);
    const asDevice = await openRawSync(tenant.url(), signedIn.body.token);
    expect(await asDevice.request(hello())).toMatchObject({ type: 'error', code: 'unauthorized' });
    expect(await asDevice.closed).toMatchObject({ code: closeCodes.unauthorized });
  });

  it("quarantines a cashier event for another branch or another device's terminal, writing nothing", async () => {
    const till = await tenant.newTill('Scope');
    const other = await tenant.newTill('Other');
    other.sell(1);
    await syncTill(tenant.url(), other);
    const event = (over: Record<string, unknown>, seq: number): Mutation => {
      const id = crypto.randomUUID();
      return {
        seq,
        id,
        kind: 'cashier_event',
        payload: {
          id,
          event: 'signed_in',
          branch: 'MAIN',
          terminal: till.terminal,
          occurredAt: new Date().toISOString(),
          userId: 'someone',
          code: '1001',
          sessionId: null,
          documentId: null,
          approval: null,
          detail: null,
          ...over,
        },
      };
    };
    const ack = await push(
      till,
      [event({ branch: 'ELSEWHERE' }, 1), event({ terminal: other.terminal }, 2), event({}, 3)],
      false,
    );
    if (ack?.type !== 'ack') throw new Error(`expected an ack, got ${JSON.stringify(ack)}`);
    expect(ack.results.map((r) => `${r.status}:${r.code ?? ''}`)).toEqual([
      'rejected:wrong_branch',
      'rejected:terminal_not_owned',
      'applied:',
    ]);
    expect((await auditOf(till)).map((r) => r.action)).toEqual(['cashier.signed_in']);
  });
});
