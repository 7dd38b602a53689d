// HQ's day-end over data beyond the documented bounds, on every engine: what terminals took outside a
// shift, and the drawers of shifts open from earlier days, are summed as numeric and answered exactly;
// a figure beyond 2^53 − 1 is refused with 409 report_out_of_range naming it; another branch answers.
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

const PERIOD = 'from=2026-03-05&to=2026-03-05';
const AT = '2026-03-05T10:00:00Z';

describe.each(engineNames)('day-end figures beyond 2^53 on %s', (engine) => {
  let p: TestPlatform;
  let db: ClosableSqlDatabase;
  let resolver: TenantResolver;
  let app: Hono;
  let token: string;
  const orgId = uniqueId('bigday');
  const report = (path: string) => call(app, 'GET', path, undefined, { authorization: `Bearer ${token}` });

  /** A cash sale outside any shift as the cloud stores it, in `branch` at terminal T9, paid `amountMinor`. */
  const insertOutside = async (id: string, branch: string, amountMinor: bigint) => {
    await db.query(
      `INSERT INTO sales (id, receipt_no, kind, branch_code, terminal, shift_id, currency, subtotal_minor,
         discount_minor, tax_minor, total_minor, change_minor, occurred_at, business_date, flags)
       VALUES ($1, $2, 'sale', $3, 'T9', NULL, 'EUR', $4, 0, 0, $4, 0, $5, '2026-03-05', '[]')`,
      [id, `${branch}-T9-${id}`, branch, amountMinor.toString(), AT],
    );
    await db.query(
      `INSERT INTO payments (sale_id, payment_no, method, amount_minor, tendered_minor, change_minor,
         business_date, kind, branch_code)
       VALUES ($1, 1, 'cash', $2, $2, 0, '2026-03-05', 'sale', $3)`,
      [id, amountMinor.toString(), branch],
    );
  };

  beforeAll(async () => {
    p = await createTestPlatform(engine);
    const owner = await onboardTenant(p.tenants, {
      orgId,
      name: 'Big day',
      currency: 'EUR',
      timezone: 'UTC',
    });
    db = p.engine.openDatabase(tenantDatabaseName(orgId));
    await createBranch({ db, actor: 'test' }, { code: 'BIG', name: 'Big', timeZone: 'UTC' });
    await createBranch({ db, actor: 'test' }, { code: 'OLD', name: 'Old', timeZone: 'UTC' });
    // MAIN: two honest sales of the largest amount outside a shift, well above 2^32: answered exactly.
    await insertOutside('main1', 'MAIN', BigInt(MAX_AMOUNT_MINOR));
    await insertOutside('main2', 'MAIN', BigInt(MAX_AMOUNT_MINOR));
    // BIG: sales outside a shift whose sum passes int8.
    for (const id of ['big1', 'big2', 'big3']) await insertOutside(id, 'BIG', 4n * 10n ** 18n);
    // OLD: a shift left open the day before, a float of 2^53 − 1 and a cash-in of 1.
    await db.query(
      `INSERT INTO shifts (id, branch_code, terminal, opened_at, opening_float_minor, business_date)
       VALUES ('oldshift', 'OLD', 'T1', '2026-03-04T10:00:00Z', $1, '2026-03-04')`,
      [String(2 ** 53 - 1)],
    );
    await db.query(
      `INSERT INTO cash_movements (id, shift_id, direction, amount_minor, reason, occurred_at)
       VALUES ('cm1', 'oldshift', 'in', 1, 'top-up', $1)`,
      [AT],
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

  it('cash outside a shift summing past int8 is 409 report_out_of_range naming the terminal', async () => {
    const z = await report(`/v1/reports/z?${PERIOD}&branch=BIG`);
    expect(z).toMatchObject({ status: 409, body: { error: { code: 'report_out_of_range' } } });
    expect(z.body.error.message).toContain('T9');
  });

  it('a shift open from an earlier day whose drawer passes 2^53 is 409 naming the shift', async () => {
    const z = await report(`/v1/reports/z?${PERIOD}&branch=OLD`);
    expect(z).toMatchObject({ status: 409, body: { error: { code: 'report_out_of_range' } } });
    expect(z.body.error.message).toContain('oldshift');
  });

  it('honest figures above 2^32 outside a shift stay exact', async () => {
    const z = await report(`/v1/reports/z?${PERIOD}&branch=MAIN`);
    expect(z.status).toBe(200);
    const total = 2 * MAX_AMOUNT_MINOR;
    expect(z.body.days).toEqual([
      {
        branch: 'MAIN',
        businessDate: '2026-03-05',
        shifts: [],
        withoutShift: [
          {
            terminal: 'T9',
            salesCount: 2,
            refundsCount: 0,
            tenders: [{ method: 'cash', takenMinor: total, refundedMinor: 0, netMinor: total }],
          },
        ],
        openFromEarlier: [],
      },
    ]);
    expect(z.body.openFromEarlier).toEqual([]);
  });
});
