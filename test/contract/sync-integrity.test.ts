// A device is trusted only within its scope, on every engine: each attack a buggy or hostile till
// made on another till's documents is quarantined with its own code and the victim's documents land
// whole; the cloud recomputes every figure; refunds are checked against their originals and wait for
// them; a resent seq is a duplicate only for the very document stored under it; and a mutation the
// database refuses (a constraint or trigger added here) is quarantined alone, never blocking the queue.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBranch } from '../../cloud/catalog/reference-data.ts';
import { registerDevice } from '../../cloud/devices/devices.ts';
import { applyBatch, type BatchOutcome } from '../../cloud/sync/apply-batch.ts';
import { readDeviceSale } from '../../cloud/sync/device-sale.ts';
import { replayQuarantined } from '../../cloud/sync/quarantine.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import type { FetchedOriginal } from '../../edge/sync/fetch-original.ts';
import type { ClosableSqlDatabase } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import type { Mutation, SaleDocument } from '../../src/protocol/mutations.ts';
import { createTestEdge, outboxMutations, seedCatalog, type TestEdge } from '../helpers/edge.ts';
import { createTestPlatform, engineNames, type TestPlatform, uniqueId } from '../helpers/engines.ts';

const TEA = '0190f5c2-0000-7000-8000-00000000a7ea';

/** The receipt number `by` after `receiptNo` in its series (its trailing digits counted on). */
const receiptAfter = (receiptNo: string, by = 1) =>
  receiptNo.replace(/\d+$/, (n) => String(Number(n) + by).padStart(n.length, '0'));

interface Device {
  name: string;
  id: string;
  branch: string;
  edge: TestEdge;
  /** The last seq the cloud acknowledged. */
  pushed: number;
}

describe.each(engineNames)('sync integrity on %s', (engine) => {
  let p: TestPlatform;
  let db: ClosableSqlDatabase;
  let orgId: string;
  /** Devices of branch MAIN (terminals T1, T2) and of branch BR2 (terminal T1). */
  let a: Device;
  let b: Device;
  let c: Device;
  /** A device of branch BR2 (terminal T2) made by the refund tests that need one. */
  let second: Device | undefined;

  const device = async (name: string, branch: string): Promise<Device> => {
    const { deviceId } = await registerDevice({ db, orgId, actor: 'test' }, { branch, name });
    const edge = await createTestEdge({ identity: { branch, currency: 'EUR' } });
    seedCatalog(edge.store, { products: [{ id: TEA, sku: 'TEA', priceMinor: 300, taxRateBp: 2000 }] });
    return { name, id: deviceId, branch, edge, pushed: 0 };
  };
  const push = async (d: Device, mutations: readonly Mutation[]): Promise<BatchOutcome> => {
    const outcome = await applyBatch(db, {
      deviceId: d.id,
      scope: { branchCode: d.branch, currency: 'EUR' },
      mutations,
    });
    if (outcome.ok) d.pushed = outcome.lastAppliedSeq;
    return outcome;
  };
  /** Pushes what the device's edge recorded since its last push; the results' statuses and codes. */
  const sync = async (d: Device) => {
    const outcome = await push(
      d,
      outboxMutations(d.edge.store).filter((m) => m.seq > d.pushed),
    );
    if (!outcome.ok) throw new Error(`${outcome.code}: ${outcome.message}`);
    return outcome.results.map((r) => (r.code ? `${r.status}:${r.code}` : r.status));
  };
  /** A forged mutation, put in the device's outbox as its next seq and pushed: its result. */
  const forge = async (d: Device, kind: string, id: string, payload: unknown) => {
    const store = d.edge.store;
    store.database.sqlite.transaction(() =>
      store.outbox.append(kind as never, id, payload as never, new Date().toISOString()),
    )();
    const outcome = await push(
      d,
      outboxMutations(store).filter((m) => m.seq > d.pushed),
    );
    if (!outcome.ok) throw new Error(`${outcome.code}: ${outcome.message}`);
    const r = outcome.results.at(-1)!;
    return { status: r.status, code: r.code, message: r.message ?? '' };
  };
  const sell = (d: Device, terminal: string, qtyMilli = 1000) => {
    const sale = d.edge.store.sales.recordSale({
      terminal,
      lines: [{ sku: 'TEA', qtyMilli }],
      payments: [{ method: 'cash', amountMinor: 10_000 }],
    });
    if (!sale.ok) throw new Error(JSON.stringify(sale.error));
    return sale.value.value;
  };
  /** The last document a device's edge put in its outbox, as pushed. */
  const lastPayload = <T = SaleDocument>(d: Device): T => outboxMutations(d.edge.store).at(-1)!.payload as T;
  const count = async (table: string, where = 'true', params: unknown[] = []) =>
    (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, params))[0]!.n;

  beforeAll(async () => {
    p = await createTestPlatform(engine);
    orgId = uniqueId('integ');
    await onboardTenant(p.tenants, { orgId, name: 'Integrity', currency: 'EUR' });
    db = p.engine.openDatabase(tenantDatabaseName(orgId));
    await createBranch({ db, actor: 'test' }, { code: 'BR2', name: 'Second', timeZone: 'Europe/Berlin' });
    a = await device('A', 'MAIN');
    b = await device('B', 'MAIN');
    c = await device('C', 'BR2');
    // Each device claims its terminal with its first sale.
    sell(a, 'T1');
    sell(b, 'T2');
    sell(c, 'T1');
    for (const d of [a, b, c]) expect(await sync(d)).toEqual(['applied']);
  });
  afterAll(async () => {
    for (const d of [a, b, c, second]) d?.edge.destroy();
    await db?.close();
    await p?.destroy();
  });

  it("refuses cash movements and closes on another device's shift, and the owner's close lands with its counts", async () => {
    const shift = c.edge.store.shifts.open({ terminal: 'T1', openingFloatMinor: 5000 });
    if (!shift.ok) throw new Error('shift');
    const shiftId = shift.value.value.id;
    expect(await sync(c)).toEqual(['applied']);
    const theft = await forge(a, 'cash_movement', crypto.randomUUID(), {
      id: '',
      shiftId,
      direction: 'out',
      amountMinor: 5000,
      reason: 'theft',
      cashier: null,
      occurredAt: new Date().toISOString(),
    });
    // The forged payload names another id than its mutation: refused before it reaches the shift.
    expect(theft.status).toBe('rejected');
    const id = crypto.randomUUID();
    expect(
      await forge(a, 'cash_movement', id, {
        id,
        shiftId,
        direction: 'out',
        amountMinor: 5000,
        reason: 'theft',
        cashier: null,
        occurredAt: new Date().toISOString(),
      }),
    ).toMatchObject({ status: 'rejected', code: 'shift_not_owned' });
    expect(
      await forge(a, 'shift_close', crypto.randomUUID(), {
        shiftId,
        closedAt: new Date().toISOString(),
        closedBy: null,
        counted: [{ method: 'cash', countedMinor: 0 }],
      }),
    ).toMatchObject({ status: 'rejected', code: 'shift_not_owned' });
    c.edge.store.shifts.close(shiftId, { counted: [{ method: 'cash', countedMinor: 5000 }] });
    expect(await sync(c)).toEqual(['applied']);
    expect(await count('cash_movements', 'shift_id = $1', [shiftId])).toBe(0);
    const [closed] = await db.query<{ counted_cash_minor: unknown }>(
      'SELECT counted_cash_minor FROM shifts WHERE id = $1',
      [shiftId],
    );
    expect(Number(closed!.counted_cash_minor)).toBe(5000);
  });

  it("refuses a receipt number of another device's terminal, and the genuine sale under it lands", async () => {
    sell(a, 'T1');
    const genuine = lastPayload(a);
    // B numbers a sale of its own terminal T2 in T1's series, ahead of A's next number.
    sell(b, 'T2');
    const forged = lastPayload(b);
    const next = receiptAfter(genuine.receiptNo);
    const id = crypto.randomUUID();
    expect(await forge(b, 'sale', id, { ...forged, id, receiptNo: next })).toMatchObject({
      status: 'rejected',
      code: 'receipt_mismatch',
    });
    // …or claims terminal T1 outright.
    const id2 = crypto.randomUUID();
    expect(
      await forge(b, 'sale', id2, { ...forged, id: id2, terminal: 'T1', receiptNo: next }),
    ).toMatchObject({ status: 'rejected', code: 'terminal_not_owned' });
    // A refund numbered in the sale series is refused too.
    const id3 = crypto.randomUUID();
    expect(
      await forge(b, 'sale', id3, { ...forged, id: id3, receiptNo: forged.receiptNo.replace('-0', '-R0') }),
    ).toMatchObject({ status: 'rejected', code: 'receipt_mismatch' });
    expect(await sync(a)).toEqual(['applied']);
    sell(a, 'T1');
    expect(await sync(a)).toEqual(['applied']);
    expect(await count('sales', 'receipt_no = $1', [next])).toBe(1);
    expect(await count('sales', 'receipt_no = $1 AND device_id = $2', [next, a.id])).toBe(1);
  });

  it('refuses a receipt number behind its terminal series', async () => {
    sell(a, 'T1');
    const doc = lastPayload(a);
    expect(await sync(a)).toEqual(['applied']);
    const id = crypto.randomUUID();
    expect(await forge(a, 'sale', id, { ...doc, id, receiptNo: 'MAIN-T1-000001' })).toMatchObject({
      status: 'rejected',
      code: 'receipt_out_of_series',
    });
  });

  it('recomputes line amounts and tax, totals and change, and quarantines a mismatch with both figures', async () => {
    sell(a, 'T1');
    const doc = lastPayload(a);
    const line = doc.lines[0]!;
    const next = (n: number) => receiptAfter(doc.receiptNo, n);
    const cases: [string, Partial<SaleDocument>, RegExp][] = [
      [
        'amount 1 for 1 × 1000',
        {
          lines: [{ ...line, unitPriceMinor: 1000, amountMinor: 1, taxMinor: 0, totalMinor: 1 }],
          subtotalMinor: 1,
          taxMinor: 0,
          totalMinor: 1,
        },
        /amountMinor is 1; the cloud computes 1000/,
      ],
      [
        '20 % tax of 1 on 1000',
        {
          lines: [{ ...line, unitPriceMinor: 1000, amountMinor: 1000, taxMinor: 1, totalMinor: 1001 }],
          subtotalMinor: 1000,
          taxMinor: 1,
          totalMinor: 1001,
        },
        /taxMinor is 1; the cloud computes 200/,
      ],
      ['totals', { totalMinor: doc.totalMinor + 1 }, /totalMinor is \d+; the cloud computes \d+/],
      [
        'change',
        {
          changeMinor: doc.changeMinor + 1,
          payments: doc.payments.map((p) => ({ ...p, changeMinor: p.changeMinor + 1 })),
        },
        /changeMinor is \d+; the cloud computes \d+/,
      ],
      [
        'stock',
        { stockMovements: [{ ...doc.stockMovements[0]!, deltaQtyMilli: -1 }] },
        /stock movement 1 moves -1/,
      ],
    ];
    for (const [i, [what, change, reason]] of cases.entries()) {
      const id = crypto.randomUUID();
      const outcome = await forge(a, 'sale', id, { ...doc, ...change, id, receiptNo: next(100 + i) });
      expect(outcome, what).toMatchObject({ status: 'rejected', code: 'arithmetic_mismatch' });
      expect(outcome.message, what).toMatch(reason);
    }
  });

  it('checks a refund against its original: lines that exist, within what was sold, never a refund of a refund', async () => {
    sell(a, 'T1', 1000);
    expect(await sync(a)).toEqual(['applied']);
    const sale = lastPayload(a);
    const refund = a.edge.store.sales.recordRefund(sale.id, {
      terminal: 'T1',
      lines: [{ lineNo: 1, qtyMilli: 1000 }],
      payments: [{ method: 'cash', amountMinor: 360 }],
    });
    if (!refund.ok) throw new Error(JSON.stringify(refund.error));
    const genuine = lastPayload(a);
    expect(await sync(a)).toEqual(['applied']);
    const next = (n: number) => receiptAfter(genuine.receiptNo, n);
    const five = genuine.lines.map((l) => ({
      ...l,
      qtyMilli: 5000,
      amountMinor: 1500,
      taxMinor: 300,
      totalMinor: 1800,
    }));
    const forged: [string, Partial<SaleDocument>, string][] = [
      // Refunded in full already: another unit is beyond what was sold.
      ['again', {}, 'refund_exceeds_sold'],
      ['5 of 1', { lines: five }, 'refund_exceeds_sold'],
      ['line 7', { lines: genuine.lines.map((l) => ({ ...l, originalLineNo: 7 })) }, 'unknown_original_line'],
      ['of a refund', { originalSaleId: genuine.id }, 'refund_of_refund'],
    ];
    for (const [i, [what, change, code]] of forged.entries()) {
      const id = crypto.randomUUID();
      const outcome = await forge(a, 'refund', id, { ...genuine, ...change, id, receiptNo: next(i + 1) });
      expect(outcome, what).toMatchObject({ status: 'rejected', code });
    }
    expect(await count('sales', 'original_sale_id = $1', [sale.id])).toBe(1);
  });

  it("holds a refund whose original has not arrived, and applies it when the original's device pushes", async () => {
    // B sold on T2 but has not pushed; A refunds that sale (its copy of the original, as a till that
    // fetched it would have) before B's push reaches the cloud.
    sell(b, 'T2', 2000);
    const original = lastPayload(b);
    sell(a, 'T1');
    const shape = lastPayload(a);
    const refundId = crypto.randomUUID();
    const lines = [
      {
        ...original.lines[0]!,
        lineNo: 1,
        originalLineNo: 1,
        qtyMilli: 1000,
        amountMinor: 300,
        taxMinor: 60,
        totalMinor: 360,
        flags: [],
      },
    ];
    const refund: SaleDocument = {
      ...shape,
      id: refundId,
      kind: 'refund',
      originalSaleId: original.id,
      receiptNo: 'MAIN-T1-R000900',
      subtotalMinor: 300,
      discountMinor: 0,
      taxMinor: 60,
      totalMinor: 360,
      changeMinor: 0,
      flags: [],
      lines,
      payments: [{ method: 'cash', amountMinor: 360, tenderedMinor: 360, changeMinor: 0, reference: null }],
      stockMovements: [{ id: crypto.randomUUID(), productId: TEA, deltaQtyMilli: 1000 }],
    };
    expect(await sync(a)).toEqual(['applied']);
    const seq = a.pushed + 1;
    expect(await forge(a, 'refund', refundId, refund)).toMatchObject({
      status: 'held',
      code: 'awaiting_original',
    });
    expect(await count('sales', 'id = $1', [refundId])).toBe(0);
    // A's queue moves on meanwhile.
    sell(a, 'T1');
    expect(await sync(a)).toEqual(['applied']);
    // A resend of the held seq is answered held again, nothing written.
    const again = await push(a, [{ seq, id: refundId, kind: 'refund', payload: refund }]);
    expect(again.ok && again.results[0]!.status).toBe('held');
    expect(await sync(b)).toEqual(['applied']);
    expect(await count('sales', 'id = $1 AND device_id = $2', [refundId, a.id])).toBe(1);
    const [row] = await db.query<{ resolved_at: unknown; resolution: string }>(
      'SELECT resolved_at, resolution FROM sync_quarantine WHERE mutation_id = $1',
      [refundId],
    );
    expect(row).toMatchObject({
      resolved_at: expect.anything(),
      resolution: 'applied when its original arrived',
    });
    const resent = await push(a, [{ seq, id: refundId, kind: 'refund', payload: refund }]);
    expect(resent.ok && resent.results[0]!.status).toBe('duplicate');
  });

  it("answers id_conflict, never duplicate, for a document reusing another device's or another kind's id", async () => {
    sell(a, 'T1');
    const taken = lastPayload(a);
    expect(await sync(a)).toEqual(['applied']);
    sell(b, 'T2');
    const own = lastPayload(b);
    const outcome = await forge(b, 'sale', taken.id, { ...own, id: taken.id });
    expect(outcome).toMatchObject({ status: 'rejected', code: 'id_conflict' });
    // B's own sale (pushed just before, under its own id) landed; A's is untouched.
    expect(await count('sales', 'id = $1 AND device_id = $2', [own.id, b.id])).toBe(1);
    expect(await count('sales', 'id = $1 AND device_id = $2', [taken.id, a.id])).toBe(1);
    // A shift opened under a sale's id.
    const shift = b.edge.store.shifts.open({ terminal: 'T2', openingFloatMinor: 0 });
    if (!shift.ok) throw new Error('shift');
    const open = lastPayload<Record<string, unknown>>(b);
    const [first] = outboxMutations(a.edge.store);
    expect(await forge(b, 'shift_open', first!.id, { ...open, id: first!.id })).toMatchObject({
      status: 'rejected',
      code: 'id_conflict',
    });
    expect(await count('shifts', 'id = $1', [shift.value.value.id])).toBe(1);
    b.edge.store.shifts.close(shift.value.value.id, { counted: [{ method: 'cash', countedMinor: 0 }] });
    expect(await sync(b)).toEqual(['applied']);
  });

  it('refuses a sale whose stock movement id the ledger or its own batch holds already, and applies the rest of its batch', async () => {
    sell(a, 'T1');
    const taken = lastPayload(a);
    expect(await sync(a)).toEqual(['applied']);
    const movements = async (id: string) =>
      db.query<{ source_id: string }>('SELECT source_id FROM stock_movements WHERE id = $1', [id]);
    // A till of its own (its receipt series moves past what its edge numbers): its genuine sale and,
    // in the same batch, one reusing A's movement id.
    const d = await device('D', 'MAIN');
    sell(d, 'T3');
    const own = lastPayload(d);
    const clash = crypto.randomUUID();
    const reused = [{ ...own.stockMovements[0]!, id: taken.stockMovements[0]!.id }];
    expect(
      await forge(d, 'sale', clash, {
        ...own,
        id: clash,
        receiptNo: receiptAfter(own.receiptNo),
        stockMovements: reused,
      }),
    ).toMatchObject({
      status: 'rejected',
      code: 'id_conflict',
      message: expect.stringMatching(/in the ledger/),
    });
    expect(await count('sales', 'id = $1', [own.id])).toBe(1);
    expect(await count('sales', 'id = $1', [clash])).toBe(0);
    expect(await movements(taken.stockMovements[0]!.id)).toEqual([{ source_id: taken.id }]);
    // Two new sales of one batch under the same new movement id: the first lands, the second is refused.
    const shared = crypto.randomUUID();
    const [first, second] = [crypto.randomUUID(), crypto.randomUUID()];
    const twice = { ...own.stockMovements[0]!, id: shared };
    const store = d.edge.store;
    store.database.sqlite.transaction(() => {
      for (const [id, by] of [
        [first, 2],
        [second, 3],
      ] as const)
        store.outbox.append(
          'sale',
          id,
          { ...own, id, receiptNo: receiptAfter(own.receiptNo, by), stockMovements: [twice] } as never,
          new Date().toISOString(),
        );
    })();
    const outcome = await push(
      d,
      outboxMutations(store).filter((m) => m.seq > d.pushed),
    );
    expect(outcome.ok && outcome.results.map((r) => r.code ?? r.status)).toEqual(['applied', 'id_conflict']);
    expect(outcome.ok && outcome.results[1]!.message).toMatch(/used by an earlier document of the batch/);
    expect(await movements(shared)).toEqual([{ source_id: first }]);
    expect(await count('sales', 'id = $1', [second])).toBe(0);
    d.edge.destroy();
  });

  it('quarantines alone a sale whose movement id is taken between its lookup and its insert every time, and applies the rest', async () => {
    // A trigger stands for another transaction taking the id after each lookup: the batch runs again
    // three times, then one mutation at a time, and only that sale is refused.
    const taken = crypto.randomUUID();
    await db.exec(
      `CREATE FUNCTION test_take_movement() RETURNS trigger LANGUAGE plpgsql AS
         $$ BEGIN IF NEW.reason = 'RACE' THEN
           INSERT INTO stock_movements (id, branch_code, product_id, delta_qty_milli, reason, occurred_at, source_id)
           VALUES ('${taken}', NEW.branch_code, '${TEA}', 0, 'adjust', NEW.occurred_at, NULL);
         END IF; RETURN NEW; END $$;
       CREATE TRIGGER test_take_movement AFTER INSERT ON sales FOR EACH ROW EXECUTE FUNCTION test_take_movement();`,
    );
    const d = await device('E', 'MAIN');
    try {
      sell(d, 'T4');
      const own = lastPayload(d);
      const raced = crypto.randomUUID();
      const receiptNo = receiptAfter(own.receiptNo);
      const stockMovements = [{ ...own.stockMovements[0]!, id: taken }];
      expect(
        await forge(d, 'sale', raced, { ...own, id: raced, receiptNo, reason: 'RACE', stockMovements }),
      ).toMatchObject({
        status: 'rejected',
        code: 'database_refused',
        message: expect.stringMatching(/taken/),
      });
      expect(await count('sales', 'id = $1', [own.id])).toBe(1);
      expect(await count('sales', 'id = $1', [raced])).toBe(0);
    } finally {
      await db.exec('DROP TRIGGER test_take_movement ON sales; DROP FUNCTION test_take_movement();');
      d.edge.destroy();
    }
  });

  it('answers seq_conflict when a resent seq carries another kind or id than the document stored under it', async () => {
    sell(a, 'T1');
    expect(await sync(a)).toEqual(['applied']);
    const [applied] = outboxMutations(a.edge.store).slice(-1);
    const before = await count('shifts');
    const asClose = await push(a, [
      {
        seq: applied!.seq,
        id: crypto.randomUUID(),
        kind: 'shift_close',
        payload: { shiftId: 'x', closedAt: new Date().toISOString(), closedBy: null, counted: [] },
      },
    ]);
    expect(asClose).toMatchObject({ ok: false, code: 'seq_conflict', seq: applied!.seq });
    const asOtherSale = await push(a, [{ ...applied!, id: crypto.randomUUID() }]);
    expect(asOtherSale).toMatchObject({ ok: false, code: 'seq_conflict' });
    const asRefund = await push(a, [{ ...applied!, kind: 'refund' }]);
    expect(asRefund).toMatchObject({ ok: false, code: 'seq_conflict' });
    // The very same mutation again is a duplicate.
    const same = await push(a, [applied!]);
    expect(same.ok && same.results[0]!.status).toBe('duplicate');
    expect(await count('shifts')).toBe(before);
  });

  it('quarantines a mutation the database refuses (a constraint, a trigger) with its SQLSTATE, and applies the rest', async () => {
    await db.exec(
      `ALTER TABLE sale_lines ADD CONSTRAINT test_no_poison CHECK (name <> 'POISON');
       CREATE FUNCTION test_refuse_cash() RETURNS trigger LANGUAGE plpgsql AS
         $$ BEGIN IF NEW.reason = 'REFUSE' THEN RAISE EXCEPTION 'refused by a trigger'; END IF; RETURN NEW; END $$;
       CREATE TRIGGER test_refuse_cash BEFORE INSERT ON cash_movements FOR EACH ROW EXECUTE FUNCTION test_refuse_cash();`,
    );
    try {
      const shift = a.edge.store.shifts.open({ terminal: 'T1', openingFloatMinor: 0 });
      if (!shift.ok) throw new Error('shift');
      sell(a, 'T1');
      const poisoned = a.edge.store.sales.recordSale({
        terminal: 'T1',
        lines: [{ name: 'POISON', unitPriceMinor: 100, qtyMilli: 1000, taxRateBp: 0 }],
        payments: [{ method: 'card', amountMinor: 100 }],
      });
      if (!poisoned.ok) throw new Error('sale');
      a.edge.store.shifts.moveCash(shift.value.value.id, {
        direction: 'in',
        amountMinor: 100,
        reason: 'REFUSE',
      });
      sell(a, 'T1');
      const seqBefore = a.pushed;
      expect(await sync(a)).toEqual([
        'applied',
        'applied',
        'rejected:database_refused',
        'rejected:database_refused',
        'applied',
      ]);
      expect(a.pushed).toBe(seqBefore + 5);
      const kept = await db.query<{ reason: string }>(
        "SELECT reason FROM sync_quarantine WHERE device_id = $1 AND reason_code = 'database_refused' ORDER BY seq",
        [a.id],
      );
      expect(kept.map((k) => k.reason)).toEqual([
        expect.stringMatching(/^SQLSTATE 23514: /),
        expect.stringMatching(/^SQLSTATE P0001: refused by a trigger/),
      ]);
      expect(await count('sales', 'id = $1', [poisoned.value.value.id])).toBe(0);
      // The queue keeps moving.
      sell(a, 'T1');
      expect(await sync(a)).toEqual(['applied']);
    } finally {
      await db.exec(
        `ALTER TABLE sale_lines DROP CONSTRAINT test_no_poison;
         DROP TRIGGER test_refuse_cash ON cash_movements; DROP FUNCTION test_refuse_cash();`,
      );
    }
  });

  it('lets no refused document claim a terminal code, so the till that really numbers it keeps it', async () => {
    sell(b, 'T2');
    const doc = lastPayload(b);
    const id = crypto.randomUUID();
    // Refused for its branch: it must not take T7 of MAIN on the way.
    expect(
      await forge(b, 'sale', id, { ...doc, id, branch: 'BR2', terminal: 'T7', receiptNo: 'BR2-T7-000001' }),
    ).toMatchObject({ status: 'rejected', code: 'wrong_branch' });
    const id2 = crypto.randomUUID();
    expect(
      await forge(b, 'sale', id2, { ...doc, id: id2, terminal: 'T7', receiptNo: 'MAIN-T2-000999' }),
    ).toMatchObject({ status: 'rejected', code: 'receipt_mismatch' });
    expect(await count('terminals', "code = 'T7'")).toBe(0);
    sell(a, 'T7');
    expect(await sync(a)).toEqual(['applied']);
  });

  it("recomputes a refund's shares against what its till knew, even when an earlier refund of it was quarantined", async () => {
    // 3 units for 999 with 20 % tax: refunding one unit at a time gives tax 67, then 66, then 67.
    const sale = a.edge.store.sales.recordSale({
      terminal: 'T1',
      lines: [{ name: 'Thirds', unitPriceMinor: 333, qtyMilli: 3000, taxRateBp: 2000 }],
      payments: [{ method: 'card', amountMinor: 1199 }],
    });
    if (!sale.ok) throw new Error(JSON.stringify(sale.error));
    expect(await sync(a)).toEqual(['applied']);
    const refund = (reason: string, amountMinor: number) => {
      const r = a.edge.store.sales.recordRefund(sale.value.value.id, {
        terminal: 'T1',
        reason,
        lines: [{ lineNo: 1, qtyMilli: 1000 }],
        payments: [{ method: 'card', amountMinor }],
      });
      if (!r.ok) throw new Error(JSON.stringify(r.error));
      return r.value.value;
    };
    const first = refund('POISON', 400);
    const second = refund('second', 399);
    expect([first.taxMinor, second.taxMinor]).toEqual([67, 66]);
    await db.exec(
      `CREATE FUNCTION test_refuse_refund() RETURNS trigger LANGUAGE plpgsql AS
         $$ BEGIN IF NEW.reason = 'POISON' THEN RAISE EXCEPTION 'refused by a trigger'; END IF; RETURN NEW; END $$;
       CREATE TRIGGER test_refuse_refund BEFORE INSERT ON sales FOR EACH ROW EXECUTE FUNCTION test_refuse_refund();`,
    );
    try {
      expect(await sync(a)).toEqual(['rejected:database_refused', 'applied']);
    } finally {
      await db.exec('DROP TRIGGER test_refuse_refund ON sales; DROP FUNCTION test_refuse_refund();');
    }
    // Once the cause is gone, HQ replays the first: it is checked against what the till knew then.
    const [kept] = await db.query<{ id: string }>(
      "SELECT id FROM sync_quarantine WHERE mutation_id = $1 AND reason_code = 'database_refused'",
      [first.id],
    );
    expect(await replayQuarantined({ db, actor: 'test' }, kept!.id)).toEqual({ status: 'applied' });
    const taxes = await db.query<{ tax_minor: unknown }>(
      'SELECT tax_minor FROM sales WHERE original_sale_id = $1 ORDER BY receipt_no',
      [sale.value.value.id],
    );
    expect(taxes.map((t) => Number(t.tax_minor))).toEqual([67, 66]);
  });

  it('quarantines a held refund the database refuses when its original arrives, and still applies the original', async () => {
    sell(b, 'T2', 1000);
    const original = lastPayload(b);
    const refundId = crypto.randomUUID();
    const line = original.lines[0]!;
    const refund: SaleDocument = {
      ...original,
      id: refundId,
      kind: 'refund',
      terminal: 'T1',
      receiptNo: 'MAIN-T1-R000950',
      originalSaleId: original.id,
      reason: 'POISON',
      changeMinor: 0,
      flags: [],
      lines: [{ ...line, originalLineNo: 1, flags: [] }],
      payments: [
        {
          method: 'cash',
          amountMinor: original.totalMinor,
          tenderedMinor: original.totalMinor,
          changeMinor: 0,
          reference: null,
        },
      ],
      stockMovements: [{ id: crypto.randomUUID(), productId: TEA, deltaQtyMilli: line.qtyMilli }],
    };
    expect(await forge(a, 'refund', refundId, refund)).toMatchObject({ status: 'held' });
    await db.exec(
      `CREATE FUNCTION test_refuse_refund() RETURNS trigger LANGUAGE plpgsql AS
         $$ BEGIN IF NEW.reason = 'POISON' THEN RAISE EXCEPTION 'refused by a trigger'; END IF; RETURN NEW; END $$;
       CREATE TRIGGER test_refuse_refund BEFORE INSERT ON sales FOR EACH ROW EXECUTE FUNCTION test_refuse_refund();`,
    );
    try {
      expect(await sync(b)).toEqual(['applied']);
    } finally {
      await db.exec('DROP TRIGGER test_refuse_refund ON sales; DROP FUNCTION test_refuse_refund();');
    }
    expect(await count('sales', 'id = $1', [original.id])).toBe(1);
    expect(await count('sales', 'id = $1', [refundId])).toBe(0);
    const [row] = await db.query<{ reason_code: string; reason: string }>(
      'SELECT reason_code, reason FROM sync_quarantine WHERE mutation_id = $1',
      [refundId],
    );
    expect(row).toMatchObject({
      reason_code: 'database_refused',
      reason: expect.stringMatching(/^SQLSTATE P0001/),
    });
  });

  it('answers shift_closed to a second close of one shift in a batch, and id_conflict to a document resent under a new seq', async () => {
    const shift = c.edge.store.shifts.open({ terminal: 'T1', openingFloatMinor: 0 });
    if (!shift.ok) throw new Error('shift');
    const shiftId = shift.value.value.id;
    expect(await sync(c)).toEqual(['applied']);
    const close = (counted: number) => ({
      shiftId,
      closedAt: new Date().toISOString(),
      closedBy: null,
      counted: [{ method: 'cash', countedMinor: counted }],
    });
    const store = c.edge.store;
    store.database.sqlite.transaction(() => {
      store.outbox.append('shift_close', crypto.randomUUID(), close(1) as never, new Date().toISOString());
      store.outbox.append('shift_close', crypto.randomUUID(), close(2) as never, new Date().toISOString());
    })();
    expect(await sync(c)).toEqual(['applied', 'rejected:shift_closed']);
    sell(c, 'T1');
    const doc = lastPayload(c);
    expect(await sync(c)).toEqual(['applied']);
    // The same document again under the next seq (a broken edge): a resend could never match it.
    const resent = await push(c, [{ seq: c.pushed + 1, id: doc.id, kind: 'sale', payload: doc }]);
    expect(resent.ok && resent.results[0]).toMatchObject({ status: 'rejected', code: 'id_conflict' });
  });

  it('stores an unknown payload key with a NUL byte, and dates Postgres refuses, in the quarantine without blocking', async () => {
    sell(a, 'T1');
    const doc = lastPayload(a);
    expect(await sync(a)).toEqual(['applied']);
    const next = (n: number) => receiptAfter(doc.receiptNo, n);
    const poisons: Record<string, unknown>[] = [
      { ...doc, 'bad\u0000key': 1, receiptNo: next(1) },
      { ...doc, businessDate: '0000-01-01', receiptNo: next(2) },
      { ...doc, occurredAt: '2026-01-01T10:00:00+23:59', receiptNo: next(3) },
    ];
    for (const payload of poisons) {
      const id = crypto.randomUUID();
      const outcome = await forge(a, 'sale', id, { ...payload, id });
      expect(outcome.status).toBe('rejected');
      expect(outcome.message).not.toContain('\u0000');
    }
    sell(a, 'T1');
    expect(await sync(a)).toEqual(['applied']);
  });

  /** A device of branch BR2 for the refund tests (C's seqs are left broken by a test above on purpose). */
  const branch2 = async () => {
    second ??= await device('D', 'BR2');
    return second;
  };
  /** What the cloud answers `d` about sale `id` (GET /v1/device/sales/:id), as the edge's refund takes it. */
  const fetched = async (d: Device, id: string): Promise<FetchedOriginal> => {
    const answer = await readDeviceSale(db, d.id, id);
    if (!answer) throw new Error(`the cloud holds no sale ${id}`);
    return { status: 'found', answer, fetchedAt: new Date().toISOString() };
  };
  /** A refund of `units` of line 1 of `saleId` at `d`'s terminal, as the edge records it. */
  const refundAt = (
    d: Device,
    terminal: string,
    saleId: string,
    amountMinor: number,
    copy?: FetchedOriginal,
  ) => {
    const r = d.edge.store.sales.recordRefund(
      saleId,
      { terminal, lines: [{ lineNo: 1, qtyMilli: 1000 }], payments: [{ method: 'card', amountMinor }] },
      undefined,
      copy,
    );
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    return r.value.value;
  };
  const flagsOf = async (id: string) => {
    const [row] = await db.query<{ flags: string; branch_code: string }>(
      'SELECT flags, branch_code FROM sales WHERE id = $1',
      [id],
    );
    return row ? { flags: JSON.parse(row.flags) as string[], branch: row.branch_code } : undefined;
  };

  it('accepts refunds that other tills (of any branch) gave of the same goods unseen, and flags them refund_exceeds_sold', async () => {
    sell(a, 'T1', 1000);
    expect(await sync(a)).toEqual(['applied']);
    const sale = lastPayload(a);
    // B (same branch) and C (another branch) both fetched the sale before either refunded it.
    const seenByB = await fetched(b, sale.id);
    const c = await branch2();
    const seenByC = await fetched(c, sale.id);
    const atB = refundAt(b, 'T2', sale.id, 360, seenByB);
    const atC = refundAt(c, 'T2', sale.id, 360, seenByC);
    // The selling till, offline, knows only its own refunds.
    const atA = refundAt(a, 'T1', sale.id, 360);
    expect(await sync(b)).toEqual(['applied']);
    expect(await sync(c)).toEqual(['applied']);
    expect(await sync(a)).toEqual(['applied']);
    expect(await flagsOf(atB.id)).toEqual({ flags: [], branch: 'MAIN' });
    expect(await flagsOf(atC.id)).toEqual({ flags: ['refund_exceeds_sold'], branch: 'BR2' });
    expect(await flagsOf(atA.id)).toEqual({ flags: ['refund_exceeds_sold'], branch: 'MAIN' });
    expect(await count('sales', 'original_sale_id = $1', [sale.id])).toBe(3);
    // The goods came back where they were handed in.
    expect(await count('stock_movements', "source_id = $1 AND branch_code = 'BR2'", [atC.id])).toBe(1);
    // Now the cloud says everything was refunded: a till that asks refuses another refund itself.
    const late = b.edge.store.sales.recordRefund(
      sale.id,
      {
        terminal: 'T2',
        lines: [{ lineNo: 1, qtyMilli: 1000 }],
        payments: [{ method: 'card', amountMinor: 360 }],
      },
      undefined,
      await fetched(b, sale.id),
    );
    expect(late).toMatchObject({ ok: false, error: { code: 'refund_exceeds_sold' } });
  });

  it('quarantines a refund beyond what its till could see, counting what it says other tills had refunded', async () => {
    sell(a, 'T1', 1000);
    expect(await sync(a)).toEqual(['applied']);
    const sale = lastPayload(a);
    refundAt(b, 'T2', sale.id, 360, await fetched(b, sale.id));
    const genuine = lastPayload(b);
    const id = crypto.randomUUID();
    const outcome = await forge(b, 'refund', id, {
      ...genuine,
      id,
      receiptNo: receiptAfter(genuine.receiptNo),
      refundedElsewhere: [{ lineNo: 1, qtyMilli: 1000 }],
      stockMovements: genuine.stockMovements.map((m) => ({ ...m, id: crypto.randomUUID() })),
    });
    expect(outcome).toMatchObject({ status: 'rejected', code: 'refund_exceeds_sold' });
    expect(await count('sales', 'original_sale_id = $1', [sale.id])).toBe(1);
  });

  it("recomputes a refund's shares against what other tills had refunded as its till knew it", async () => {
    // 3 units for 999 with 20 % tax: the first unit refunded carries tax 67, the second 66.
    const sale = a.edge.store.sales.recordSale({
      terminal: 'T1',
      lines: [{ name: 'Thirds', unitPriceMinor: 333, qtyMilli: 3000, taxRateBp: 2000 }],
      payments: [{ method: 'card', amountMinor: 1199 }],
    });
    if (!sale.ok) throw new Error(JSON.stringify(sale.error));
    expect(await sync(a)).toEqual(['applied']);
    const id = sale.value.value.id;
    const c = await branch2();
    expect(refundAt(c, 'T2', id, 400, await fetched(c, id)).taxMinor).toBe(67);
    expect(await sync(c)).toEqual(['applied']);
    const atB = refundAt(b, 'T2', id, 399, await fetched(b, id));
    expect(atB.taxMinor).toBe(66);
    expect(lastPayload(b).refundedElsewhere).toEqual([{ lineNo: 1, qtyMilli: 1000 }]);
    // Without what B said C had refunded, the cloud would compute 67 and refuse 66.
    expect(await sync(b)).toEqual(['applied']);
    const taxes = await db.query<{ tax_minor: unknown }>(
      'SELECT tax_minor FROM sales WHERE original_sale_id = $1 ORDER BY tax_minor DESC',
      [id],
    );
    expect(taxes.map((t) => Number(t.tax_minor))).toEqual([67, 66]);
  });

  it('releases two held refunds of the same goods when their original arrives, the later one flagged, none refused', async () => {
    sell(a, 'T1', 1000);
    const sale = lastPayload(a);
    // As tills that had the sale from elsewhere would: its document, nothing refunded yet.
    const { stockMovements: _, ...document } = sale;
    const copy: FetchedOriginal = {
      status: 'found',
      answer: { sale: document, refundedElsewhere: [] },
      fetchedAt: new Date().toISOString(),
    };
    const c = await branch2();
    const atB = refundAt(b, 'T2', sale.id, 360, copy);
    const atC = refundAt(c, 'T2', sale.id, 360, copy);
    expect(await sync(b)).toEqual(['held:awaiting_original']);
    expect(await sync(c)).toEqual(['held:awaiting_original']);
    expect(await sync(a)).toEqual(['applied']);
    const flags = [(await flagsOf(atB.id))?.flags, (await flagsOf(atC.id))?.flags];
    expect(flags).toContainEqual([]);
    expect(flags).toContainEqual(['refund_exceeds_sold']);
    expect(
      await count(
        'sync_quarantine',
        "original_sale_id = $1 AND resolution = 'applied when its original arrived'",
        [sale.id],
      ),
    ).toBe(2);
  });
});
