// HQ reports on generated data, on every engine: two real edge stores (Berlin and New York, across
// the US clock change) record sales, refunds and shifts at chosen instants; the cloud applies what
// they pushed; every report is checked against sums the test makes itself from the documents the
// edges answered, dated with Intl in each branch's time zone (never the stored business_date).

import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProduct } from '../../cloud/catalog/products.ts';
import { createBranch, createTaxRate } from '../../cloud/catalog/reference-data.ts';
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
import { call, createTestEdge, outboxMutations, seedCatalog, type TestEdge } from '../helpers/edge.ts';
import { createTestPlatform, engineNames, type TestPlatform, uniqueId } from '../helpers/engines.ts';
import { seeded } from '../helpers/random.ts';

/** Local date and hour of an instant in a zone, by Intl: the test's own clock arithmetic. */
function localOf(instant: string, timeZone: string): { date: string; hour: number } {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(instant));
  const get = (t: string) => parts.find((p) => p.type === t)!.value;
  return { date: `${get('year')}-${get('month')}-${get('day')}`, hour: Number(get('hour')) };
}

interface Doc {
  id: string;
  kind: 'sale' | 'refund';
  receiptNo: string;
  branch: string;
  occurredAt: string;
  originalSaleId: string | null;
  cashier: string | null;
  discountMinor: number;
  taxMinor: number;
  totalMinor: number;
  lines: {
    lineNo: number;
    productId: string | null;
    qtyMilli: number;
    totalMinor: number;
    taxMinor: number;
    taxRateBp: number;
    taxInclusive: boolean;
  }[];
  payments: { method: string; amountMinor: number }[];
}

const zones = { MAIN: 'Europe/Berlin', NYC: 'America/New_York' } as const;
type Branch = keyof typeof zones;
const FROM = '2026-03-05';
const TO = '2026-03-11';

describe.each(engineNames)('HQ reports on %s', (engine) => {
  let p: TestPlatform;
  let db: ClosableSqlDatabase;
  let resolver: TenantResolver;
  let app: Hono;
  let token: string;
  const orgId = uniqueId('rep');
  const edges: Partial<Record<Branch, TestEdge>> = {};
  const docs: Doc[] = [];
  const zs: { branch: Branch; businessDate: string; shiftId: string; tenders: unknown[] }[] = [];
  const local = (d: Doc) => localOf(d.occurredAt, zones[d.branch as Branch]);

  const report = async (path: string, headers: Record<string, string> = {}) =>
    call(app, 'GET', path, undefined, { authorization: `Bearer ${token}`, ...headers });

  beforeAll(async () => {
    p = await createTestPlatform(engine);
    const owner = await onboardTenant(p.tenants, {
      orgId,
      name: 'Reports',
      currency: 'EUR',
      timezone: 'Europe/Berlin',
    });
    db = p.engine.openDatabase(tenantDatabaseName(orgId));
    const ctx = { db, actor: 'test' };
    await createBranch(ctx, { code: 'NYC', name: 'New York', timeZone: zones.NYC });
    const standard = await createTaxRate(ctx, { name: 'Standard 20', rateBp: 2000, inclusive: false });
    const reduced = await createTaxRate(ctx, { name: 'Reduced 7 incl.', rateBp: 700, inclusive: true });
    const catalog = [
      { sku: 'TEA', priceMinor: 300, taxRateId: standard.id, taxRateBp: 2000, taxInclusive: false },
      { sku: 'CAKE', priceMinor: 455, taxRateId: reduced.id, taxRateBp: 700, taxInclusive: true },
      { sku: 'MUG', priceMinor: 1299, taxRateId: standard.id, taxRateBp: 2000, taxInclusive: false },
    ];
    const products: ((typeof catalog)[number] & { id: string })[] = [];
    for (const c of catalog) {
      const made = await createProduct(ctx, {
        sku: c.sku,
        name: c.sku,
        priceMinor: c.priceMinor,
        taxRateId: c.taxRateId,
      });
      products.push({ ...c, id: made.id });
    }

    const rnd = seeded(20260305);
    let clock = new Date(0);
    for (const branch of ['MAIN', 'NYC'] as const) {
      const device = await registerDevice({ db, orgId, actor: 'test' }, { branch, name: `Till ${branch}` });
      const edge = await createTestEdge({
        identity: { branch, currency: 'EUR', timeZone: zones[branch] },
        now: () => clock,
      });
      edges[branch] = edge;
      seedCatalog(edge.store, {
        products: products.map(({ id, sku, priceMinor, taxRateBp, taxInclusive }) => ({
          id,
          sku,
          priceMinor,
          taxRateBp,
          taxInclusive,
        })),
        branch: { code: branch, timeZone: zones[branch] },
      });
      const store: EdgeStore = edge.store;
      const sold: (Doc & { refunded?: boolean })[] = [];
      // One shift a day, local 07:00 to past midnight; the last sale of each day at 23:30 local.
      for (let day = 0; day < 7; day++) {
        const date = `2026-03-${String(5 + day).padStart(2, '0')}`;
        const start = localInstant(date, 7, 0, zones[branch]);
        clock = new Date(start);
        const shift = store.shifts.open({ terminal: 'T1', openingFloatMinor: 5000 });
        if (!shift.ok) throw new Error(JSON.stringify(shift));
        const minutes = Array.from({ length: 6 }, () => Math.floor(rnd() * 15 * 60)).sort((a, b) => a - b);
        minutes.push(16 * 60 + 30); // 23:30 local
        for (const m of minutes) {
          clock = new Date(Date.parse(start) + (m + 1) * 60_000);
          const refundable = sold.filter((s) => !s.refunded);
          if (refundable.length > 0 && rnd() < 0.25) {
            const original = refundable[Math.floor(rnd() * refundable.length)]!;
            original.refunded = true;
            const line = original.lines[0]!;
            const refund = store.sales.recordRefund(original.id, {
              terminal: 'T1',
              reason: 'changed mind',
              lines: [{ lineNo: line.lineNo, qtyMilli: line.qtyMilli }],
              payments: [{ method: rnd() < 0.5 ? 'cash' : 'card', amountMinor: line.totalMinor }],
            });
            if (!refund.ok) throw new Error(JSON.stringify(refund));
            docs.push(refund.value.value as unknown as Doc);
            continue;
          }
          const lines = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => {
            const product = products[Math.floor(rnd() * products.length)]!;
            return {
              sku: product.sku,
              qtyMilli: 1000 * (1 + Math.floor(rnd() * 3)) + (rnd() < 0.2 ? 250 : 0),
              ...(rnd() < 0.3 ? { discountMinor: 25 } : {}),
            };
          });
          if (rnd() < 0.2)
            lines.push({ name: 'Gift wrap', unitPriceMinor: 150, qtyMilli: 1000, taxRateBp: 0 } as never);
          const extra = rnd();
          const sale = store.sales.recordSale({
            terminal: 'T1',
            cashier: rnd() < 0.5 ? 'ann' : 'bob',
            lines,
            payments: [
              ...(extra < 0.4 ? [{ method: 'card' as const, amountMinor: 100 }] : []),
              ...(extra > 0.8 ? [{ method: 'voucher' as const, amountMinor: 50 }] : []),
              { method: 'cash', amountMinor: 100_000 },
            ],
          });
          if (!sale.ok) throw new Error(JSON.stringify(sale));
          const doc = sale.value.value as unknown as Doc & { refunded?: boolean };
          docs.push(doc);
          sold.push(doc);
        }
        clock = new Date(Date.parse(start) + 17 * 3600_000);
        const counted = 5000 + Math.floor(rnd() * 100);
        const closed = store.shifts.close(shift.value.value.id, {
          counted: [{ method: 'cash', countedMinor: counted }],
        });
        if (!closed.ok) throw new Error(JSON.stringify(closed));
        zs.push({ branch, businessDate: date, shiftId: shift.value.value.id, tenders: closed.value.tenders });
      }
      // What the edge pushed, applied by the cloud as a sync session would.
      const mutations = outboxMutations(store);
      const results = await applyBatch(db, {
        deviceId: device.deviceId,
        scope: { branchCode: branch, currency: 'EUR' },
        mutations,
      });
      if (!results.ok) throw new Error(results.message);
      expect(results.results.every((r) => r.status === 'applied')).toBe(true);
    }

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
    for (const e of Object.values(edges)) e?.destroy();
    await resolver?.close();
    await db?.close();
    await p?.destroy();
  });

  const sales = () => docs.filter((d) => d.kind === 'sale');
  const refunds = () => docs.filter((d) => d.kind === 'refund');
  const sign = (d: Doc) => (d.kind === 'sale' ? 1 : -1);
  const sumOf = <T>(xs: readonly T[], f: (x: T) => number) => xs.reduce((n, x) => n + f(x), 0);
  /** The sales figures of some documents, by the report's definitions, from the documents themselves. */
  const figures = (ds: readonly Doc[]) => {
    const s = ds.filter((d) => d.kind === 'sale');
    const r = ds.filter((d) => d.kind === 'refund');
    const salesTotal = sumOf(s, (d) => d.totalMinor);
    return {
      count: s.length,
      grossMinor: sumOf(s, (d) => d.totalMinor + d.discountMinor),
      discountsMinor: sumOf(s, (d) => d.discountMinor),
      refundsCount: r.length,
      refundsMinor: sumOf(r, (d) => d.totalMinor),
      netMinor: salesTotal - sumOf(r, (d) => d.totalMinor),
      taxMinor: sumOf(ds, (d) => sign(d) * d.taxMinor),
      averageTicketMinor: s.length === 0 ? 0 : Math.round(salesTotal / s.length),
    };
  };
  const period = `from=${FROM}&to=${TO}`;

  it('generated the data it means to test: refunds, both zones, sales at 23:30 local', () => {
    expect(refunds().length).toBeGreaterThan(3);
    expect(sales().length).toBeGreaterThan(60);
    // A New York sale at 23:30 local is already the next day in UTC (and in Berlin).
    const late = docs.filter((d) => d.branch === 'NYC' && local(d).hour === 23);
    expect(late.length).toBeGreaterThan(0);
    expect(late.every((d) => d.occurredAt.slice(0, 10) !== local(d).date)).toBe(true);
  });

  it('sales by day: every local day of the period, refunds on their own day, totals over all', async () => {
    const res = await report(`/v1/reports/sales?${period}&groupBy=day`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      report: 'sales',
      currency: 'EUR',
      period: { from: FROM, to: TO, branch: null },
    });
    const days = ['05', '06', '07', '08', '09', '10', '11'].map((d) => `2026-03-${d}`);
    expect(res.body.rows).toEqual(
      days.map((date) => ({ businessDate: date, ...figures(docs.filter((d) => local(d).date === date)) })),
    );
    expect(res.body.totals).toEqual(figures(docs));
    // One branch, one day: the 23:30 sale in New York counts on its local day.
    const nyc = await report('/v1/reports/sales?from=2026-03-07&to=2026-03-07&branch=NYC');
    expect(nyc.body.totals).toEqual(
      figures(docs.filter((d) => d.branch === 'NYC' && local(d).date === '2026-03-07')),
    );
  });

  it('sales by branch, by local hour and by cashier', async () => {
    const byBranch = await report(`/v1/reports/sales?${period}&groupBy=branch`);
    expect(byBranch.body.rows).toEqual(
      (['MAIN', 'NYC'] as const).map((b) => ({ branch: b, ...figures(docs.filter((d) => d.branch === b)) })),
    );
    const byHour = await report(`/v1/reports/sales?${period}&groupBy=hour`);
    expect(byHour.body.rows).toHaveLength(24);
    expect(byHour.body.rows).toEqual(
      Array.from({ length: 24 }, (_, h) => ({
        hour: h,
        ...figures(docs.filter((d) => local(d).hour === h)),
      })),
    );
    const byCashier = await report(`/v1/reports/sales?${period}&groupBy=cashier`);
    // Named cashiers in order, then the documents without one (the refunds here).
    const cashiers = [...new Set(docs.map((d) => d.cashier))].sort((a, b) =>
      a === null ? 1 : b === null ? -1 : a < b ? -1 : 1,
    );
    expect(byCashier.body.rows).toEqual(
      cashiers.map((c) => ({
        cashierUserId: null,
        cashier: c,
        cashierName: null,
        ...figures(docs.filter((d) => d.cashier === c)),
      })),
    );
  });

  it('top products by quantity and by revenue, net of refunds', async () => {
    const per = new Map<string, { qtyMilli: number; revenueMinor: number; lines: number }>();
    for (const d of docs)
      for (const l of d.lines) {
        if (!l.productId) continue;
        const p = per.get(l.productId) ?? { qtyMilli: 0, revenueMinor: 0, lines: 0 };
        p.qtyMilli += sign(d) * l.qtyMilli;
        p.revenueMinor += sign(d) * l.totalMinor;
        if (d.kind === 'sale') p.lines += 1;
        per.set(l.productId, p);
      }
    const res = await report(`/v1/reports/top-products?${period}&limit=2`);
    const expected = (key: 'qtyMilli' | 'revenueMinor') =>
      [...per]
        .sort((a, b) => b[1][key] - a[1][key] || a[0].localeCompare(b[0]))
        .slice(0, 2)
        .map(([productId, f], i) => ({ rank: i + 1, productId, ...f }));
    expect(res.body.byQuantity).toMatchObject(expected('qtyMilli'));
    expect(res.body.byRevenue).toMatchObject(expected('revenueMinor'));
    expect(res.body.byQuantity[0]).toMatchObject({ sku: expect.any(String), name: expect.any(String) });
  });

  it('payments per method and tax per rate, net of refunds', async () => {
    const methods = [...new Set(docs.flatMap((d) => d.payments.map((x) => x.method)))].sort();
    const pay = await report(`/v1/reports/payments?${period}`);
    expect(pay.body.rows).toEqual(
      methods.map((method) => {
        const of = (ds: Doc[]) => ds.flatMap((d) => d.payments.filter((x) => x.method === method));
        const taken = sumOf(of(sales()), (x) => x.amountMinor);
        const refunded = sumOf(of(refunds()), (x) => x.amountMinor);
        return {
          method,
          count: of(sales()).length,
          takenMinor: taken,
          refundsCount: of(refunds()).length,
          refundedMinor: refunded,
          netMinor: taken - refunded,
        };
      }),
    );
    const rates = new Map<
      string,
      { rateBp: number; inclusive: boolean; baseMinor: number; taxMinor: number }
    >();
    for (const d of docs)
      for (const l of d.lines) {
        const key = `${String(l.taxRateBp).padStart(6, '0')}:${l.taxInclusive}`;
        const r = rates.get(key) ?? {
          rateBp: l.taxRateBp,
          inclusive: l.taxInclusive,
          baseMinor: 0,
          taxMinor: 0,
        };
        r.baseMinor += sign(d) * (l.totalMinor - l.taxMinor);
        r.taxMinor += sign(d) * l.taxMinor;
        rates.set(key, r);
      }
    const tax = await report(`/v1/reports/tax?${period}`);
    expect(tax.body.rows).toEqual([...rates].sort(([a], [b]) => a.localeCompare(b)).map(([, r]) => r));
    expect(sumOf(tax.body.rows, (r: { taxMinor: number }) => r.taxMinor)).toBe(figures(docs).taxMinor);
  });

  it('refunds with their original sales', async () => {
    const res = await report(`/v1/reports/refunds?${period}`);
    expect(res.body).toMatchObject({
      count: refunds().length,
      totalMinor: sumOf(refunds(), (d) => d.totalMinor),
      truncated: false,
    });
    const byId = new Map(docs.map((d) => [d.id, d]));
    expect(
      res.body.rows.map((r: { refundId: string; originalReceiptNo: string }) => [
        r.refundId,
        r.originalReceiptNo,
      ]),
    ).toEqual(
      [...refunds()]
        .sort((a, b) => a.occurredAt.localeCompare(b.occurredAt) || a.id.localeCompare(b.id))
        .map((d) => [d.id, byId.get(d.originalSaleId!)!.receiptNo]),
    );
    const few = await report(`/v1/reports/refunds?${period}&limit=2`);
    expect(few.body).toMatchObject({ truncated: true, count: refunds().length });
    expect(few.body.rows).toHaveLength(2);
  });

  /** On hand per `branch:productId`, from the documents the edges answered: sales take, refunds give back. */
  const onHandFromDocs = () => {
    const onHand = new Map<string, number>();
    for (const d of docs)
      for (const l of d.lines) {
        if (!l.productId) continue;
        const key = `${d.branch}:${l.productId}`;
        onHand.set(key, (onHand.get(key) ?? 0) - sign(d) * l.qtyMilli);
      }
    return onHand;
  };

  it('stock on hand per branch and product, below zero (and so never low) where sales took more than was received', async () => {
    const onHand = onHandFromDocs();
    const res = await report('/v1/reports/inventory?branch=NYC');
    const nyc = [...onHand].filter(([k]) => k.startsWith('NYC:'));
    expect(res.body.rows).toHaveLength(nyc.length);
    for (const row of res.body.rows) {
      // Nothing was ever received at NYC: every product it sold is below zero.
      expect(row).toMatchObject({
        branch: 'NYC',
        qtyMilli: onHand.get(`NYC:${row.productId}`),
        belowZero: true,
        lowStock: false,
      });
    }
    expect(res.body).toMatchObject({ belowZero: nyc.length, lowStock: 0 });
    // A period limits only the movements by kind: on hand is now whatever the period.
    const inPeriod = await report(`/v1/reports/inventory?branch=NYC&${period}`);
    expect(inPeriod.body.rows).toEqual(res.body.rows);
    expect(inPeriod.body.movements.map((m: { kind: string }) => m.kind)).toEqual(['refund', 'sale']);
  });

  it('low stock is on hand from zero up to below the threshold: 5 units, or lowStockMilli', async () => {
    const main = [...onHandFromDocs()]
      .filter(([k]) => k.startsWith('MAIN:'))
      .map(([k, qtyMilli]) => ({ productId: k.slice('MAIN:'.length), qtyMilli }));
    expect(main.length).toBeGreaterThanOrEqual(3);
    // Stock received at MAIN (ledger movements written straight to the table) brings its
    // products to 0, 4.999 and 5 units: both sides of the default threshold, and zero.
    const targets = [0, 4999, 5000];
    const moves = main.slice(0, 3).map((m, i) => ({ ...m, delta: targets[i]! - m.qtyMilli }));
    const record = async (reason: string, sign: 1 | -1) => {
      for (const m of moves)
        await db.query(
          `INSERT INTO stock_movements (id, branch_code, product_id, delta_qty_milli, reason, occurred_at)
           VALUES ($1, 'MAIN', $2, $3, $4, now())`,
          [uniqueId('mv'), m.productId, sign * m.delta, reason],
        );
    };
    await record('receive', 1);
    try {
      /** The report at MAIN: on hand → lowStock of the three received products; every row checked on the way. */
      const lowAt = async (query: string) => {
        const res = await report(`/v1/reports/inventory?branch=MAIN${query}`);
        expect(res.status).toBe(200);
        const rows = res.body.rows as {
          productId: string;
          qtyMilli: number;
          lowStock: boolean;
          belowZero: boolean;
        }[];
        expect(rows).toHaveLength(main.length);
        for (const row of rows) expect(row.belowZero).toBe(row.qtyMilli < 0);
        expect(res.body.lowStock).toBe(rows.filter((r) => r.lowStock).length);
        const received = moves.map((m) => rows.find((r) => r.productId === m.productId)!);
        return Object.fromEntries(received.map((r) => [r.qtyMilli, r.lowStock]));
      };
      expect(await lowAt('')).toEqual({ 0: true, 4999: true, 5000: false });
      expect(await lowAt('&lowStockMilli=5001')).toEqual({ 0: true, 4999: true, 5000: true });
      expect(await lowAt('&lowStockMilli=0')).toEqual({ 0: false, 4999: false, 5000: false });
      // Rows still below zero are never low, whatever the threshold.
      const res = await report('/v1/reports/inventory?branch=MAIN&lowStockMilli=999999999');
      for (const row of res.body.rows) expect(row.lowStock).toBe(row.qtyMilli >= 0);
    } finally {
      await record('adjust', -1); // back to what the documents alone give, for the other tests
    }
  });

  it('Z reports per shift, the same as the edge printed at close', async () => {
    const res = await report(`/v1/reports/z?${period}`);
    expect(res.body.shifts).toHaveLength(zs.length);
    for (const z of zs) {
      const shift = res.body.shifts.find((s: { shiftId: string }) => s.shiftId === z.shiftId);
      expect(shift).toMatchObject({ branch: z.branch, businessDate: z.businessDate, tenders: z.tenders });
    }
    const berlin = await report('/v1/reports/z?from=2026-03-08&to=2026-03-08&branch=MAIN');
    expect(berlin.body.shifts).toHaveLength(1);
  });

  it('says how fresh the data is, per report and per device', async () => {
    const res = await report(`/v1/reports/payments?${period}`);
    expect(res.body.freshness).toMatchObject({
      devices: 2,
      neverSynced: 0,
      quarantined: 0,
      lastSyncAt: expect.any(String),
    });
    const fresh = await report('/v1/reports/freshness');
    expect(fresh.body.devices).toEqual([
      expect.objectContaining({
        branch: 'MAIN',
        revoked: false,
        quarantined: 0,
        lastAppliedSeq: expect.any(Number),
      }),
      expect.objectContaining({ branch: 'NYC', revoked: false, quarantined: 0 }),
    ]);
    expect(fresh.body.branches.map((b: { branch: string }) => b.branch)).toEqual(['MAIN', 'NYC']);
  });

  it('answers CSV with the same figures, freshness in headers, formulas defused', async () => {
    const res = await app.request(`/v1/reports/sales?${period}&groupBy=branch`, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/csv' },
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('x-report-last-sync-at')).toMatch(/^2\d{3}-/);
    expect(res.headers.get('content-disposition')).toContain(`${orgId}-sales-${FROM}-${TO}.csv`);
    const [header, ...rows] = (await res.text()).trimEnd().split('\r\n');
    expect(header).toBe(
      'branch,count,grossMinor,discountsMinor,refundsCount,refundsMinor,netMinor,taxMinor,averageTicketMinor',
    );
    const main = figures(docs.filter((d) => d.branch === 'MAIN'));
    expect(rows[0]).toBe(['MAIN', ...Object.values(main)].join(','));
  });

  it('flags: flagged documents per business date, branch and flag, as JSON and CSV', async () => {
    const stored = await db.query<{ id: string; flags: string }>(
      "SELECT id, flags FROM sales WHERE flags <> '[]'",
    );
    const flagsOf = new Map(stored.map((r) => [r.id, [...new Set(JSON.parse(r.flags) as string[])]]));
    /** Counts per `date|branch|flag` of the documents `ds`, dated by the test's own clock. */
    const expected = (ds: readonly Doc[]) => {
      const counts = new Map<string, number>();
      for (const d of ds)
        for (const flag of flagsOf.get(d.id) ?? []) {
          const key = `${local(d).date}|${d.branch}|${flag}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
      return [...counts]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([key, count]) => {
          const [businessDate, branch, flag] = key.split('|');
          return { businessDate, branch, flag, count };
        });
    };
    const res = await report(`/v1/reports/flags?${period}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ report: 'flags', period: { from: FROM, to: TO, branch: null } });
    expect(res.body.rows).toEqual(expected(docs));
    expect(res.body.flaggedDocuments).toBe(docs.filter((d) => flagsOf.has(d.id)).length);
    expect(res.body.freshness).toMatchObject({ devices: 2, quarantined: 0 });
    // Independently of what was stored: the tenant has no user ann or bob, and gift wrap is open-priced.
    const total = (flag: string) => res.body.totals.find((t: { flag: string }) => t.flag === flag)?.count;
    expect(total('unknown_cashier')).toBe(sales().filter((d) => d.cashier !== null).length);
    expect(total('open_price')).toBe(sales().filter((d) => d.lines.some((l) => l.productId === null)).length);
    const nyc = await report('/v1/reports/flags?from=2026-03-07&to=2026-03-07&branch=NYC');
    expect(nyc.body.rows).toEqual(
      expected(docs.filter((d) => d.branch === 'NYC' && local(d).date === '2026-03-07')),
    );
    const csv = await app.request(`/v1/reports/flags?${period}`, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/csv' },
    });
    expect(csv.headers.get('x-report-last-sync-at')).toMatch(/^2\d{3}-/);
    const [header, ...rows] = (await csv.text()).trimEnd().split('\r\n');
    expect(header).toBe('businessDate,branch,flag,count');
    expect(rows).toEqual(res.body.rows.map((r: Record<string, unknown>) => Object.values(r).join(',')));
  });

  it("the sales overview (the dashboard's Sales view) answers what the seven reports answer", async () => {
    for (const q of [period, `${period}&branch=NYC`, 'from=2026-03-07&to=2026-03-07']) {
      const res = await report(`/v1/sales-overview?${q}`);
      expect(res.status).toBe(200);
      const o = res.body;
      const of = async (path: string) => (await report(`/v1/reports/${path}${q}`)).body;
      const [day, hour, branch, top, payments, refundList, flags] = await Promise.all([
        of('sales?groupBy=day&'),
        of('sales?groupBy=hour&'),
        of('sales?groupBy=branch&'),
        of('top-products?limit=10&'),
        of('payments?'),
        of('refunds?'),
        of('flags?'),
      ]);
      expect(o.currency).toBe(day.currency);
      expect(o.period).toEqual(day.period);
      expect(o.totals).toEqual(day.totals);
      expect(o.byDay).toEqual(day.rows);
      expect(o.byHour).toEqual(hour.rows);
      expect(o.byBranch).toEqual(branch.rows);
      expect(o.topProducts).toEqual({ limit: 10, byQuantity: top.byQuantity, byRevenue: top.byRevenue });
      expect(o.payments).toEqual(payments.rows);
      expect(o.refunds).toEqual({
        count: refundList.count,
        totalMinor: refundList.totalMinor,
        latest: refundList.rows.slice(-20),
      });
      expect(o.flags).toEqual({
        rows: flags.rows,
        totals: flags.totals,
        flaggedDocuments: flags.flaggedDocuments,
      });
      expect({ ...o.freshness, generatedAt: '' }).toEqual({ ...day.freshness, generatedAt: '' });
    }
    expect((await report('/v1/sales-overview?branch=NOPE')).status).toBe(404);
    expect((await report('/v1/sales-overview?groupBy=day')).status).toBe(400);
  });

  it('defaults to the last 30 days and refuses bad periods, unknown branches and parameters', async () => {
    const res = await report('/v1/reports/sales');
    expect(res.status).toBe(200);
    expect(res.body.rows).toHaveLength(30);
    for (const [path, status] of [
      ['/v1/reports/sales?from=2026-03-10&to=2026-03-01', 400],
      ['/v1/reports/sales?from=2024-01-01&to=2026-01-01', 400],
      ['/v1/reports/sales?from=2026-02-30', 400],
      ['/v1/reports/sales?from=9999-12-15', 400],
      ['/v1/reports/sales?to=0001-01-01', 400],
      ['/v1/reports/sales?groupBy=week', 400],
      ['/v1/reports/sales?branch=nyc', 400],
      ['/v1/reports/sales?brnach=NYC', 400],
      ['/v1/reports/top-products?limit=0', 400],
      ['/v1/reports/top-products?limit=1e3', 400],
      ['/v1/reports/sales?branch=LONDON', 404],
      ['/v1/reports/profits', 404],
    ] as const) {
      const r = await report(path);
      expect({ path, status: r.status }).toEqual({ path, status });
      expect(r.body.error.code).toMatch(/^(invalid_input|not_found)$/);
    }
  });
});

/** The UTC instant of a local wall-clock time in a zone (two passes settle a clock change). */
function localInstant(date: string, hour: number, minute: number, timeZone: string): string {
  const wanted = Date.parse(
    `${date}T${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}:00Z`,
  );
  let guess = wanted;
  for (let i = 0; i < 2; i++) {
    const l = localOf(new Date(guess).toISOString(), timeZone);
    const shown = Date.parse(`${l.date}T${String(l.hour).padStart(2, '0')}:00:00Z`) + (guess % 3600_000);
    guess += wanted - shown;
  }
  return new Date(guess).toISOString();
}
