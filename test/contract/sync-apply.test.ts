// Applying pushed batches on every engine: documents recorded by a real edge store land in the
// tenant's database whole, once; replays are duplicates; a gap refuses the batch; invalid mutations
// are quarantined whole without blocking the queue; stock below zero is flagged, never refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDevice, revokeDevice } from '../../cloud/devices/devices.ts';
import { applyBatch } from '../../cloud/sync/apply-batch.ts';
import { discardQuarantined, listQuarantine, replayQuarantined } from '../../cloud/sync/quarantine.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import type { ClosableSqlDatabase } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import type { Mutation } from '../../src/protocol/mutations.ts';
import { createTestEdge, outboxMutations, seedCatalog, type TestEdge } from '../helpers/edge.ts';
import { createTestPlatform, engineNames, type TestPlatform, uniqueId } from '../helpers/engines.ts';

describe.each(engineNames)('applying pushed batches on %s', (engine) => {
  let p: TestPlatform;
  let db: ClosableSqlDatabase;
  let edge: TestEdge;
  let deviceId: string;
  let orgId: string;
  const scope = { branchCode: 'MAIN', currency: 'EUR' };
  const count = async (table: string) =>
    (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`))[0]!.n;
  const counts = async () => ({
    sales: await count('sales'),
    lines: await count('sale_lines'),
    payments: await count('payments'),
    stock: await count('stock_movements'),
    shifts: await count('shifts'),
    cash: await count('cash_movements'),
    counts: await count('shift_counts'),
    quarantine: await count('sync_quarantine'),
  });
  const outbox = (): Mutation[] => outboxMutations(edge.store);
  const push = (mutations: readonly Mutation[]) => applyBatch(db, { deviceId, scope, mutations });

  beforeAll(async () => {
    p = await createTestPlatform(engine);
    orgId = uniqueId();
    await onboardTenant(p.tenants, { orgId, name: 'Sync', currency: 'EUR' });
    db = p.engine.openDatabase(tenantDatabaseName(orgId));
    deviceId = (await registerDevice({ db, orgId, actor: 'test' }, { branch: 'MAIN', name: 'Till' }))
      .deviceId;
    edge = await createTestEdge({ identity: { branch: 'MAIN', currency: 'EUR' } });
    seedCatalog(edge.store, { products: [{ sku: 'TEA', priceMinor: 300, taxRateBp: 2000 }] });
  });
  afterAll(async () => {
    edge?.destroy();
    await db?.close();
    await p?.destroy();
  });

  it('applies what an edge recorded, whole and once, and acks each mutation', async () => {
    const { store } = edge;
    const shift = store.shifts.open({ terminal: 'T1', openingFloatMinor: 1000 });
    if (!shift.ok) throw new Error('shift');
    const sale = store.sales.recordSale({
      terminal: 'T1',
      lines: [
        { sku: 'TEA', qtyMilli: 2000 },
        { name: 'Bag', unitPriceMinor: 10, qtyMilli: 1000, taxRateBp: 0 },
      ],
      payments: [{ method: 'cash', amountMinor: 1000 }],
    });
    if (!sale.ok) throw new Error('sale');
    const refund = store.sales.recordRefund(sale.value.value.id, {
      terminal: 'T1',
      lines: [{ lineNo: 1, qtyMilli: 1000 }],
      payments: [{ method: 'cash', amountMinor: 360 }],
    });
    if (!refund.ok) throw new Error('refund');
    store.shifts.moveCash(shift.value.value.id, { direction: 'out', amountMinor: 100, reason: 'bank' });
    store.shifts.close(shift.value.value.id, { counted: [{ method: 'cash', countedMinor: 1270 }] });

    const batch = outbox();
    const outcome = await push(batch);
    expect(outcome).toEqual({
      ok: true,
      lastAppliedSeq: 5,
      results: batch.map((m) => ({ seq: m.seq, id: m.id, status: 'applied' })),
      journalBreaks: [],
    });
    expect(await counts()).toEqual({
      sales: 2,
      lines: 3,
      payments: 2,
      stock: 2,
      shifts: 1,
      cash: 1,
      counts: 1,
      quarantine: 0,
    });
    const [stored] = await db.query<{
      receipt_no: string;
      total_minor: number;
      flags: string;
      device_id: string;
    }>("SELECT receipt_no, total_minor, flags, device_id FROM sales WHERE kind = 'sale'");
    expect(stored).toMatchObject({
      receipt_no: 'MAIN-T1-000001',
      total_minor: sale.value.value.totalMinor,
      device_id: deviceId,
    });
    // Lines and payments carry their document's date, kind and branch (tenant migration 0006).
    const docs = [sale.value.value, refund.value.value];
    const copied = (saleId: string) => {
      const d = docs.find((x) => x.id === saleId)!;
      return { sale_id: d.id, business_date: d.businessDate, kind: d.kind, branch_code: d.branch };
    };
    for (const table of ['sale_lines', 'payments']) {
      const rows = await db.query<{ sale_id: string }>(
        `SELECT sale_id, business_date, kind, branch_code FROM ${table}`,
      );
      expect(rows).toEqual(rows.map((r) => copied(r.sale_id)));
      expect(new Set(rows.map((r) => r.sale_id))).toEqual(new Set(docs.map((d) => d.id)));
    }
    // Nothing received TEA before, so the sale took its stock below zero: flagged, not refused.
    expect(JSON.parse(stored!.flags)).toContain('stock_below_zero');
    // The running sum (kept by the database) is the ledger's sum: 2 sold, 1 refunded.
    const onHand = await db.query<{ qty_milli: number }>('SELECT qty_milli FROM stock_on_hand');
    const ledger = await db.query<{ n: number }>(
      'SELECT sum(delta_qty_milli)::int AS n FROM stock_movements',
    );
    expect(onHand.map((r) => Number(r.qty_milli))).toEqual([-1000]);
    expect(ledger[0]!.n).toBe(-1000);
    const [closed] = await db.query<{ closed_at: string | null; counted_cash_minor: number }>(
      'SELECT closed_at, counted_cash_minor FROM shifts',
    );
    expect(closed).toMatchObject({ closed_at: expect.any(String), counted_cash_minor: 1270 });
    const [device] = await db.query<{ last_applied_seq: number }>('SELECT last_applied_seq FROM devices');
    expect(Number(device!.last_applied_seq)).toBe(5);
  });

  it('answers a replayed batch with duplicates and changes nothing', async () => {
    const before = await counts();
    const batch = outbox();
    const outcome = await push(batch);
    expect(outcome).toMatchObject({ ok: true, lastAppliedSeq: 5 });
    expect(outcome.ok && outcome.results.map((r) => r.status)).toEqual(Array(5).fill('duplicate'));
    expect(await counts()).toEqual(before);
  });

  it('refuses a batch that skips a seq and says where to resume', async () => {
    const before = await counts();
    const [first] = outbox();
    const outcome = await push([{ ...first!, seq: 7 }]);
    expect(outcome).toEqual({
      ok: false,
      code: 'seq_gap',
      message: expect.stringMatching(/resend from 6/),
      expectedSeq: 6,
    });
    expect(await counts()).toEqual(before);
  });

  it('quarantines invalid mutations whole, acks them rejected and applies the rest of the batch', async () => {
    const { store } = edge;
    const good = store.sales.recordSale({
      terminal: 'T1',
      lines: [{ name: 'Bag', unitPriceMinor: 10, qtyMilli: 1000, taxRateBp: 0 }],
      payments: [{ method: 'card', amountMinor: 10 }],
    });
    if (!good.ok) throw new Error('sale');
    const doc = outbox().at(-1)!.payload as Record<string, unknown>;
    // Another device of the branch already numbers terminal T9.
    const other = await registerDevice({ db, orgId, actor: 'test' }, { branch: 'MAIN', name: 'Other' });
    await db.query(
      "INSERT INTO terminals (branch_id, code, device_id, created_at) SELECT branch_id, 'T9', id, now() FROM devices WHERE id = $1",
      [other.deviceId],
    );
    const before = await counts();
    const bad: Mutation[] = [
      { seq: 6, id: 'x1', kind: 'sale', payload: { nonsense: true } },
      { seq: 7, id: 'x2', kind: 'teleport', payload: {} },
      { seq: 8, id: 'x3', kind: 'sale', payload: { ...doc, id: 'x3', branch: 'OTHER' } },
      {
        seq: 9,
        id: 'x4',
        kind: 'sale',
        payload: { ...doc, id: 'x4', terminal: 'T9', receiptNo: 'MAIN-T9-000001' },
      },
      {
        seq: 10,
        id: 'x5',
        kind: 'sale',
        payload: { ...doc, id: 'x5', totalMinor: 11, receiptNo: 'MAIN-T1-000099' },
      },
      {
        seq: 11,
        id: 'x6',
        kind: 'sale',
        payload: { ...doc, id: 'x6', currency: 'USD', receiptNo: 'MAIN-T1-000098' },
      },
      { seq: 12, id: good.value.value.id, kind: 'sale', payload: doc },
      // The same receipt number under another id: its terminal's series has moved past it.
      { seq: 13, id: 'x7', kind: 'sale', payload: { ...doc, id: 'x7' } },
    ];
    const outcome = await push(bad);
    if (!outcome.ok) throw new Error(outcome.message);
    expect(outcome.results.map((r) => [r.status, r.code])).toEqual([
      ['rejected', 'invalid_payload'],
      ['rejected', 'invalid_payload'],
      ['rejected', 'wrong_branch'],
      ['rejected', 'terminal_not_owned'],
      ['rejected', 'arithmetic_mismatch'],
      ['rejected', 'wrong_currency'],
      ['applied', undefined],
      ['rejected', 'receipt_out_of_series'],
    ]);
    expect(outcome.lastAppliedSeq).toBe(13);
    expect(await counts()).toEqual({
      ...before,
      sales: before.sales + 1,
      lines: before.lines + 1,
      payments: before.payments + 1,
      quarantine: 7,
    });
    const kept = await db.query<{ seq: number; payload: string; reason_code: string }>(
      'SELECT seq, payload, reason_code FROM sync_quarantine ORDER BY seq',
    );
    expect(kept.map((q) => Number(q.seq))).toEqual([6, 7, 8, 9, 10, 11, 13]);
    expect(JSON.parse(kept[0]!.payload)).toEqual({ nonsense: true });
  });

  it('replays a quarantined mutation after a fix, or with a corrected payload, and discards with a reason', async () => {
    const quarantine = await listQuarantine(db, { unresolvedOnly: true });
    const bySeq = (seq: number) => quarantine.find((q) => q.seq === seq)!;
    const ctx = { db, actor: 'owner@example.com' };
    const before = await count('sales');
    // Terminal T9 still belongs to the other device: refused again, still quarantined.
    await expect(replayQuarantined(ctx, bySeq(9).id)).rejects.toThrow(/terminal_not_owned/);
    await db.query("UPDATE terminals SET device_id = $1 WHERE code = 'T9'", [deviceId]);
    expect(await replayQuarantined(ctx, bySeq(9).id)).toEqual({ status: 'applied' });
    await expect(replayQuarantined(ctx, bySeq(9).id)).rejects.toThrow(/already resolved/);
    const fixed = { ...(bySeq(11).payload as Record<string, unknown>), currency: 'EUR' };
    expect(await replayQuarantined(ctx, bySeq(11).id, fixed)).toEqual({ status: 'applied' });
    expect(await count('sales')).toBe(before + 2);
    await expect(discardQuarantined(ctx, bySeq(6).id, ' ')).rejects.toThrow(/reason/);
    await discardQuarantined(ctx, bySeq(6).id, 'test garbage');
    const left = await listQuarantine(db, { unresolvedOnly: true });
    expect(left.map((q) => q.seq)).toEqual([7, 8, 10, 13]);
    const audit = await db.query<{ action: string }>(
      "SELECT action FROM audit_logs WHERE entity = 'sync_quarantine' ORDER BY at, action",
    );
    expect(audit.map((a) => a.action).sort()).toEqual([
      'sync_quarantine.discarded',
      'sync_quarantine.replayed',
      'sync_quarantine.replayed',
    ]);
  });

  it('refuses the next batch of a revoked device', async () => {
    const orgId = (await db.query<{ v: string }>('SELECT current_database() AS v'))[0]!.v.replace(
      'modernpos_org_',
      '',
    );
    await revokeDevice({ db, orgId, actor: 'test' }, deviceId);
    await expect(push([])).rejects.toThrow(/revoked/);
  });
});
