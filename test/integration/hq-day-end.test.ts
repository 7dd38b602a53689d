// HQ's day-end (the Z report's `days`), on every engine: real edge stores record a shift with a float,
// cash in and out, sales and a refund given back in another tender, closed with a cash shortage; sales
// at a terminal without an open shift (one naming a shift the cloud never got); and a shift left open
// from the day before. The cloud applies what they pushed; the report is checked against figures the
// test computes from the edges' own answers, and against the edges' own X and Z reports.

import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProduct } from '../../cloud/catalog/products.ts';
import { createTaxRate } from '../../cloud/catalog/reference-data.ts';
import { registerDevice } from '../../cloud/devices/devices.ts';
import { createLoginThrottle } from '../../cloud/hq/login-throttle.ts';
import { createCloudApp } from '../../cloud/http/app.ts';
import { createHqReportRoutes } from '../../cloud/http/hq-report-routes.ts';
import { createHqRoutes } from '../../cloud/http/hq-routes.ts';
import { createCloudMetrics } from '../../cloud/metrics/cloud-metrics.ts';
import { createTenantResolver, type TenantResolver } from '../../cloud/resolver/tenant-resolver.ts';
import { applyBatch } from '../../cloud/sync/apply-batch.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import type { EdgeStore } from '../../edge/store/store.ts';
import type { ClosableSqlDatabase } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import type { Mutation } from '../../src/protocol/mutations.ts';
import { call, createTestEdge, outboxMutations, seedCatalog, type TestEdge } from '../helpers/edge.ts';
import { createTestPlatform, engineNames, type TestPlatform, uniqueId } from '../helpers/engines.ts';

const ZONE = 'Europe/Berlin';
const DAY_BEFORE = '2026-04-13';
const DAY = '2026-04-14';
/** Berlin is UTC+2 in April: local hh:mm of a date as an instant. */
const at = (date: string, hhmm: string) => new Date(`${date}T${hhmm}:00+02:00`);

interface Doc {
  id: string;
  kind: 'sale' | 'refund';
  terminal: string;
  shiftId: string | null;
  totalMinor: number;
  lines: { lineNo: number; qtyMilli: number; totalMinor: number }[];
  payments: { method: string; amountMinor: number }[];
}
type Outcome<T> = { ok: true; value: T } | { ok: false };
const done = <T>(o: Outcome<T>): T => {
  if (!o.ok) throw new Error(JSON.stringify(o));
  return o.value;
};

/** What documents kept per tender: payments of sales less payments of refunds (net of change). */
function tendersOf(docs: readonly Doc[]) {
  const by = new Map<string, { takenMinor: number; refundedMinor: number }>();
  for (const d of docs)
    for (const p of d.payments) {
      const t = by.get(p.method) ?? { takenMinor: 0, refundedMinor: 0 };
      if (d.kind === 'sale') t.takenMinor += p.amountMinor;
      else t.refundedMinor += p.amountMinor;
      by.set(p.method, t);
    }
  return by;
}

describe.each(engineNames)('HQ day-end on %s', (engine) => {
  let p: TestPlatform;
  let db: ClosableSqlDatabase;
  let resolver: TenantResolver;
  let app: Hono;
  let token: string;
  const orgId = uniqueId('dayend');
  const edges: TestEdge[] = [];
  const docs: Doc[] = [];
  let clock = at(DAY_BEFORE, '08:00');
  // What the edges answered.
  let closedZ: { tenders: unknown[]; cashInMinor: number; cashOutMinor: number; shift: { id: string } };
  let openShiftId = '';
  let openX: { tenders: unknown[]; cashInMinor: number; cashOutMinor: number } | undefined;
  const LOST_SHIFT = 'a-shift-the-cloud-never-got';

  const report = async (path: string) =>
    call(app, 'GET', path, undefined, { authorization: `Bearer ${token}` });

  beforeAll(async () => {
    p = await createTestPlatform(engine);
    const owner = await onboardTenant(p.tenants, { orgId, name: 'Day end', currency: 'EUR', timezone: ZONE });
    db = p.engine.openDatabase(tenantDatabaseName(orgId));
    const ctx = { db, actor: 'test' };
    const standard = await createTaxRate(ctx, { name: 'Standard 20', rateBp: 2000, inclusive: false });
    const products: {
      id: string;
      sku: string;
      priceMinor: number;
      taxRateBp: number;
      taxInclusive: boolean;
    }[] = [];
    for (const [sku, priceMinor] of [
      ['TEA', 300],
      ['MUG', 1299],
    ] as const) {
      const made = await createProduct(ctx, { sku, name: sku, priceMinor, taxRateId: standard.id });
      products.push({ id: made.id, sku, priceMinor, taxRateBp: 2000, taxInclusive: false });
    }
    const edgeOf = async (name: string) => {
      const device = await registerDevice({ db, orgId, actor: 'test' }, { branch: 'MAIN', name });
      const edge = await createTestEdge({
        identity: { branch: 'MAIN', currency: 'EUR', timeZone: ZONE },
        now: () => clock,
      });
      edges.push(edge);
      seedCatalog(edge.store, { products, branch: { code: 'MAIN', timeZone: ZONE } });
      return { store: edge.store, deviceId: device.deviceId };
    };
    const sell = (store: EdgeStore, input: Parameters<EdgeStore['sales']['recordSale']>[0]) => {
      const doc = done(store.sales.recordSale(input) as Outcome<{ value: unknown }>).value as Doc;
      docs.push(doc);
      return doc;
    };
    const push = async (deviceId: string, mutations: Mutation[]) => {
      const results = await applyBatch(db, {
        deviceId,
        scope: { branchCode: 'MAIN', currency: 'EUR' },
        mutations,
      });
      if (!results.ok) throw new Error(results.message);
      expect(results.results.map((r) => r.status)).toEqual(mutations.map(() => 'applied'));
    };

    // Till B: a shift opened the day before on T2 and never closed; it sells on both days.
    const b = await edgeOf('Till B');
    clock = at(DAY_BEFORE, '17:00');
    const stale = done(
      b.store.shifts.open({ terminal: 'T2', openingFloatMinor: 3000, cashier: 'bob' }),
    ).value;
    openShiftId = stale.id;
    clock = at(DAY_BEFORE, '17:30');
    sell(b.store, {
      terminal: 'T2',
      lines: [{ sku: 'TEA', qtyMilli: 1000 }],
      payments: [{ method: 'cash', amountMinor: 500 }],
    });
    clock = at(DAY, '09:00');
    sell(b.store, {
      terminal: 'T2',
      lines: [{ sku: 'MUG', qtyMilli: 1000 }],
      payments: [{ method: 'card', amountMinor: 1559 }],
    });
    openX = done(b.store.shifts.report(openShiftId)) as typeof openX;
    await push(b.deviceId, outboxMutations(b.store));

    // Till A: T1's shift of the day, and T3 selling without a shift.
    const a = await edgeOf('Till A');
    clock = at(DAY, '08:00');
    const shift = done(
      a.store.shifts.open({ terminal: 'T1', openingFloatMinor: 5000, cashier: 'ann' }),
    ).value;
    clock = at(DAY, '08:05');
    done(
      a.store.shifts.moveCash(shift.id, {
        direction: 'in',
        amountMinor: 2000,
        reason: 'change from the safe',
      }),
    );
    clock = at(DAY, '10:00');
    const first = sell(a.store, {
      terminal: 'T1',
      lines: [{ sku: 'TEA', qtyMilli: 2000 }],
      payments: [{ method: 'cash', amountMinor: 1000 }],
    });
    clock = at(DAY, '11:00');
    sell(a.store, {
      terminal: 'T1',
      lines: [{ sku: 'MUG', qtyMilli: 1000 }],
      payments: [
        { method: 'card', amountMinor: 1000 },
        { method: 'cash', amountMinor: 1000 },
      ],
    });
    clock = at(DAY, '12:00');
    // Paid in cash, given back on the card: the refund's payments are what leaves, whatever was paid.
    const line = first.lines[0]!;
    const refund = done(
      a.store.sales.recordRefund(first.id, {
        terminal: 'T1',
        reason: 'changed mind',
        lines: [{ lineNo: line.lineNo, qtyMilli: line.qtyMilli }],
        payments: [{ method: 'card', amountMinor: line.totalMinor }],
      }) as Outcome<{ value: unknown }>,
    ).value as Doc;
    docs.push(refund);
    clock = at(DAY, '13:00');
    const lonely = sell(a.store, {
      terminal: 'T3',
      lines: [{ sku: 'TEA', qtyMilli: 1000 }],
      payments: [{ method: 'cash', amountMinor: 400 }],
    });
    clock = at(DAY, '13:10');
    const lost = sell(a.store, {
      terminal: 'T3',
      lines: [{ sku: 'MUG', qtyMilli: 2000 }],
      payments: [{ method: 'card', amountMinor: 3118 }],
    });
    clock = at(DAY, '16:00');
    done(a.store.shifts.moveCash(shift.id, { direction: 'out', amountMinor: 700, reason: 'window cleaner' }));
    expect(lonely.shiftId).toBeNull();
    // The X report just before close says what the drawer should hold; count 1.50 short in cash.
    const x = done(a.store.shifts.report(shift.id)) as {
      tenders: { method: string; expectedMinor: number }[];
    };
    const expectedOf = (m: string) => x.tenders.find((t) => t.method === m)!.expectedMinor;
    clock = at(DAY, '18:00');
    closedZ = done(
      a.store.shifts.close(shift.id, {
        counted: [
          { method: 'cash', countedMinor: expectedOf('cash') - 150 },
          { method: 'card', countedMinor: expectedOf('card') },
        ],
      }),
    ) as typeof closedZ;
    // A sale whose shift never reached the cloud (say its opening is held in quarantine).
    const mutations = outboxMutations(a.store).map((m) =>
      m.kind === 'sale' && (m.payload as { id: string }).id === lost.id
        ? ({ ...m, payload: { ...(m.payload as object), shiftId: LOST_SHIFT } } as Mutation)
        : m,
    );
    lost.shiftId = LOST_SHIFT;
    await push(a.deviceId, mutations);

    resolver = createTenantResolver({
      control: p.control,
      engine: p.engine,
      keyring: p.tenants.keyring,
      maxPools: 2,
      poolSize: 1,
    });
    app = createCloudApp({
      tenants: p.tenants,
      adminToken: 'mpa_test_token_0123456789abcdef',
      metrics: createCloudMetrics({ tenants: p.tenants, resolver }),
    });
    app.route('/v1', createHqRoutes({ resolver, throttle: createLoginThrottle() }));
    app.route('/v1', createHqReportRoutes({ resolver }));
    token = (
      await call(app, 'POST', `/v1/orgs/${orgId}/sessions`, {
        email: owner.ownerEmail,
        password: owner.ownerPassword,
      })
    ).body.token;
  }, 120_000);

  afterAll(async () => {
    for (const e of edges) e.destroy();
    await resolver?.close();
    await db?.close();
    await p?.destroy();
  });

  const ofShift = (id: string | null) => docs.filter((d) => d.shiftId === id);

  it('a closed shift: float, cash in and out, expected per tender by the edge rule, the counted shortage', async () => {
    const res = await report(`/v1/reports/z?from=${DAY}&to=${DAY}`);
    expect(res.status).toBe(200);
    const shiftId = closedZ.shift.id;
    const t = tendersOf(ofShift(shiftId));
    const net = (m: string) => (t.get(m)?.takenMinor ?? 0) - (t.get(m)?.refundedMinor ?? 0);
    const expectedCash = 5000 + net('cash') + 2000 - 700;
    const expectedCard = net('card');
    // The refund went back on the card although the sale was paid in cash.
    expect(t.get('card')?.refundedMinor).toBeGreaterThan(0);
    expect(t.get('cash')?.refundedMinor ?? 0).toBe(0);
    const tenders = [
      {
        method: 'cash',
        expectedMinor: expectedCash,
        countedMinor: expectedCash - 150,
        differenceMinor: -150,
      },
      { method: 'card', expectedMinor: expectedCard, countedMinor: expectedCard, differenceMinor: 0 },
    ];
    const [day] = res.body.days;
    expect(res.body.days).toHaveLength(1);
    expect(day).toMatchObject({ branch: 'MAIN', businessDate: DAY });
    const closed = day.shifts.find((s: { shiftId: string }) => s.shiftId === shiftId);
    expect(closed).toMatchObject({
      terminal: 'T1',
      open: false,
      openingFloatMinor: 5000,
      cashInMinor: 2000,
      cashOutMinor: 700,
      tenders,
    });
    // The same as the till printed at close, and as the Z report's existing `shifts`.
    expect(closed.tenders).toEqual(closedZ.tenders);
    expect([closed.cashInMinor, closed.cashOutMinor]).toEqual([closedZ.cashInMinor, closedZ.cashOutMinor]);
    expect(res.body.shifts).toHaveLength(1);
    expect(res.body.shifts[0]).toMatchObject({ shiftId, tenders, cashInMinor: 2000, cashOutMinor: 700 });
  });

  it('sales outside any shift the cloud holds are listed per terminal, in no drawer', async () => {
    const res = await report(`/v1/reports/z?from=${DAY}&to=${DAY}`);
    const outside = docs.filter((d) => d.shiftId === null || d.shiftId === LOST_SHIFT);
    expect(outside.map((d) => d.terminal)).toEqual(['T3', 'T3']);
    const t = tendersOf(outside);
    expect(res.body.days[0].withoutShift).toEqual([
      {
        terminal: 'T3',
        salesCount: 2,
        refundsCount: 0,
        tenders: ['cash', 'card'].map((method) => ({
          method,
          takenMinor: t.get(method)!.takenMinor,
          refundedMinor: 0,
          netMinor: t.get(method)!.takenMinor,
        })),
      },
    ]);
    // Not in any drawer: every shift's expected figures come from its own documents only.
    for (const s of res.body.days[0].shifts) expect(s.terminal).not.toBe('T3');
  });

  it('a shift left open from the day before: listed with its expected drawer, counted null, as the edge X report', async () => {
    const res = await report(`/v1/reports/z?from=${DAY}&to=${DAY}`);
    const t = tendersOf(ofShift(openShiftId));
    const tenders = [
      {
        method: 'cash',
        expectedMinor: 3000 + t.get('cash')!.takenMinor,
        countedMinor: null,
        differenceMinor: null,
      },
      { method: 'card', expectedMinor: t.get('card')!.takenMinor, countedMinor: null, differenceMinor: null },
    ];
    const expected = {
      shiftId: openShiftId,
      terminal: 'T2',
      businessDate: DAY_BEFORE,
      open: true,
      closedAt: null,
      openingFloatMinor: 3000,
      cashInMinor: 0,
      cashOutMinor: 0,
      tenders,
    };
    expect(res.body.openFromEarlier).toMatchObject([expected]);
    expect(res.body.days[0].openFromEarlier).toMatchObject([expected]);
    expect(res.body.openFromEarlier[0].tenders).toEqual(openX!.tenders);
    // Not closed: absent from the closed shifts, and not a shift of this day.
    expect(res.body.shifts.map((s: { shiftId: string }) => s.shiftId)).not.toContain(openShiftId);
    expect(res.body.days[0].shifts.map((s: { shiftId: string }) => s.shiftId)).not.toContain(openShiftId);

    // Over both days, it is the earlier day's open shift, and the later day lists it as still open.
    const both = await report(`/v1/reports/z?from=${DAY_BEFORE}&to=${DAY}&branch=MAIN`);
    expect(both.body.days.map((d: { businessDate: string }) => d.businessDate)).toEqual([DAY_BEFORE, DAY]);
    expect(both.body.days[0].shifts).toMatchObject([expected]);
    expect(both.body.days[0].openFromEarlier).toEqual([]);
    expect(both.body.days[1].openFromEarlier).toMatchObject([expected]);
    expect(both.body.openFromEarlier).toEqual([]);
  });

  it('CSV: the closed shift rows first as before, then open, without-shift and open-from-earlier rows', async () => {
    const res = await app.request(`/v1/reports/z?from=${DAY}&to=${DAY}`, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/csv' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    const text = await res.text();
    const [header, ...lines] = String(text).trimEnd().split('\r\n');
    const columns = header!.split(',');
    expect(columns.slice(0, 11)).toEqual([
      'shiftId',
      'branch',
      'terminal',
      'businessDate',
      'openedAt',
      'closedAt',
      'closedBy',
      'method',
      'expectedMinor',
      'countedMinor',
      'differenceMinor',
    ]);
    const rows = lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [columns[i], v])));
    expect(rows.map((r) => `${r.section}:${r.terminal}:${r.method}`)).toEqual([
      'closed:T1:cash',
      'closed:T1:card',
      'without_shift:T3:cash',
      'without_shift:T3:card',
      'open_from_earlier:T2:cash',
      'open_from_earlier:T2:card',
    ]);
    expect(rows[0]!.differenceMinor).toBe('-150');
    expect(rows[4]!.countedMinor).toBe('');
  });
});
