// HQ reports over data beyond the documented bounds (stored before the bounds existed, or pushed by
// a device outside them), on every engine: sums are taken as numeric and answered exactly; a figure
// beyond 2^53 − 1 is refused with 409 report_out_of_range (never a 500, never a rounded amount), and
// the same report narrowed to another branch still answers. Honest figures above 2^32 stay exact.
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBranch } from '../../cloud/catalog/reference-data.ts';
import { createLoginThrottle } from '../../cloud/hq/login-throttle.ts';
import { createCloudApp } from '../../cloud/http/app.ts';
import { createHqReportRoutes } from '../../cloud/http/hq-report-routes.ts';
import { createHqRoutes } from '../../cloud/http/hq-routes.ts';
import { createCloudMetrics } from '../../cloud/metrics/cloud-metrics.ts';
import { createTenantResolver, type TenantResolver } from '../../cloud/resolver/tenant-resolver.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import type { ClosableSqlDatabase } from '../../src/db/sql.ts';
import { MAX_AMOUNT_MINOR } from '../../src/domain/bounds.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { call } from '../helpers/edge.ts';
import { createTestPlatform, engineNames, type TestPlatform, uniqueId } from '../helpers/engines.ts';

const PERIOD = 'from=2026-03-01&to=2026-03-31';
const AT = '2026-03-05T10:00:00Z';

describe.each(engineNames)('report figures beyond 2^53 on %s', (engine) => {
  let p: TestPlatform;
  let db: ClosableSqlDatabase;
  let resolver: TenantResolver;
  let app: Hono;
  let token: string;
  const orgId = uniqueId('big');
  const report = (path: string) => call(app, 'GET', path, undefined, { authorization: `Bearer ${token}` });

  /** A sale row as the cloud stores it, in `branch`, with `totalMinor`. */
  const insertSale = (id: string, branch: string, totalMinor: bigint, shiftId: string | null = null) =>
    db.query(
      `INSERT INTO sales (id, receipt_no, kind, branch_code, terminal, shift_id, currency, subtotal_minor,
         discount_minor, tax_minor, total_minor, change_minor, occurred_at, business_date, flags)
       VALUES ($1, $2, 'sale', $3, 'T1', $4, 'EUR', $5, 0, 0, $5, 0, $6, '2026-03-05', '[]')`,
      [id, `${branch}-T1-${id}`, branch, shiftId, totalMinor.toString(), AT],
    );

  beforeAll(async () => {
    p = await createTestPlatform(engine);
    const owner = await onboardTenant(p.tenants, { orgId, name: 'Big', currency: 'EUR', timezone: 'UTC' });
    db = p.engine.openDatabase(tenantDatabaseName(orgId));
    await createBranch({ db, actor: 'test' }, { code: 'BIG', name: 'Big', timeZone: 'UTC' });
    // MAIN: two honest sales of the largest amount, well above 2^32: answered exactly.
    await insertSale('main1', 'MAIN', BigInt(MAX_AMOUNT_MINOR));
    await insertSale('main2', 'MAIN', BigInt(MAX_AMOUNT_MINOR));
    // BIG: finding 8 as an old build stored it — a float of 2^53 − 1, a cash-in of 1, closed — and
    // sales whose sum passes int8 (the ::bigint cast answered 22003, a 500).
    await db.query(
      `INSERT INTO shifts (id, branch_code, terminal, opened_at, opening_float_minor, business_date, closed_at)
       VALUES ('bigshift', 'BIG', 'T1', $1, $2, '2026-03-05', $1)`,
      [AT, String(2 ** 53 - 1)],
    );
    await db.query(
      `INSERT INTO cash_movements (id, shift_id, direction, amount_minor, reason, occurred_at)
       VALUES ('cm1', 'bigshift', 'in', 1, 'top-up', $1)`,
      [AT],
    );
    await db.query(
      "INSERT INTO shift_counts (shift_id, method, counted_minor) VALUES ('bigshift', 'cash', 0)",
    );
    for (const id of ['big1', 'big2', 'big3']) await insertSale(id, 'BIG', 4n * 10n ** 18n);
    await db.query(
      "INSERT INTO stock_on_hand (branch_code, product_id, qty_milli) VALUES ('BIG', 'p1', $1), ('MAIN', 'p1', 5)",
      [String(2n ** 60n)],
    );

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
    const login = await call(app, 'POST', `/v1/orgs/${orgId}/sessions`, {
      email: owner.ownerEmail,
      password: owner.ownerPassword,
    });
    token = login.body.token;
  }, 120_000);

  afterAll(async () => {
    await resolver?.close();
    await db?.close();
    await p?.destroy();
  });

  it('the Z report of a shift whose drawer passes 2^53 is 409 report_out_of_range naming the shift', async () => {
    const z = await report(`/v1/reports/z?${PERIOD}`);
    expect(z).toMatchObject({ status: 409, body: { error: { code: 'report_out_of_range' } } });
    expect(z.body.error.message).toContain('bigshift');
    expect(await report(`/v1/reports/z?${PERIOD}&branch=MAIN`)).toMatchObject({
      status: 200,
      body: { shifts: [] },
    });
  });

  it('a sales report whose sums pass int8 is 409, and without that branch it is exact', async () => {
    const all = await report(`/v1/reports/sales?${PERIOD}&groupBy=branch`);
    expect(all).toMatchObject({ status: 409, body: { error: { code: 'report_out_of_range' } } });
    const main = await report(`/v1/reports/sales?${PERIOD}&groupBy=branch&branch=MAIN`);
    expect(main.status).toBe(200);
    expect(main.body.totals).toMatchObject({
      count: 2,
      grossMinor: 2 * MAX_AMOUNT_MINOR,
      netMinor: 2 * MAX_AMOUNT_MINOR,
      averageTicketMinor: MAX_AMOUNT_MINOR,
    });
    expect((await report(`/v1/reports/refunds?${PERIOD}`)).status).toBe(200);
  });

  it('stock on hand beyond 2^53 is 409 rather than a rounded quantity; other branches answer', async () => {
    const all = await report('/v1/reports/inventory');
    expect(all).toMatchObject({ status: 409, body: { error: { code: 'report_out_of_range' } } });
    const main = await report('/v1/reports/inventory?branch=MAIN');
    expect(main).toMatchObject({ status: 200, body: { rows: [{ productId: 'p1', qtyMilli: 5 }] } });
  });
});
