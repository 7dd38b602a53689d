// HQ reports over HTTP (SPEC §10): `GET /v1/reports/:name` for users whose role may read reports,
// JSON by default and CSV with `Accept: text/csv`; and `GET /v1/sales-overview`, the dashboard's
// Sales view in one JSON answer (cloud/reports/sales-overview.ts). A CSV carries the data's freshness in headers
// (X-Report-Last-Sync-At, X-Report-Oldest-Sync-At, X-Report-Quarantined), since it has no place
// for it in the rows.
import { Hono } from 'hono';
import { AppError } from '../../src/errors.ts';
import { parseQuery } from '../../src/http/errors.ts';
import { requirePermission } from '../hq/sessions.ts';
import { toCsv } from '../reports/csv.ts';
import { reportQueries } from '../reports/params.ts';
import { isReportName, reports, runReport } from '../reports/reports.ts';
import { salesOverview } from '../reports/sales-overview.ts';
import type { TenantResolver } from '../resolver/tenant-resolver.ts';
import { type HqEnv, hqSession } from './hq-session.ts';

export interface HqReportRoutesOptions {
  resolver: TenantResolver;
  now?: () => Date;
}

const wantsCsv = (accept: string | undefined) => /\btext\/csv\b/i.test(accept ?? '');

export function createHqReportRoutes(options: HqReportRoutesOptions): Hono<HqEnv> {
  const { resolver } = options;
  const now = options.now ?? (() => new Date());
  const app = new Hono<HqEnv>();
  const session = hqSession(resolver, now);

  // The dashboard's Sales view in one call: the figures of seven reports over one period.
  app.get('/sales-overview', session, async (c) => {
    const { orgId, user } = c.var.session;
    requirePermission(user, 'reports:read');
    const query = parseQuery(c, reportQueries.salesOverview);
    const at = now();
    return c.json(await resolver.withTenant(orgId, (db) => salesOverview(db, query, at)));
  });

  app.get('/reports/:name', session, async (c) => {
    const { orgId, user } = c.var.session;
    requirePermission(user, 'reports:read');
    const name = c.req.param('name');
    if (!isReportName(name)) {
      throw new AppError('not_found', `no report ${name}; reports: ${Object.keys(reports).join(', ')}`);
    }
    const query = parseQuery(c, reports[name].query);
    const at = now();
    const result = await resolver.withTenant(orgId, (db) => runReport(db, name, query, at));
    if (!wantsCsv(c.req.header('accept'))) {
      return c.json({ report: name, currency: result.currency, ...result.body, freshness: result.freshness });
    }
    const f = result.freshness;
    const period = result.period ? `-${result.period.from}-${result.period.to}` : '';
    return c.body(toCsv(result.csv.columns, result.csv.rows), 200, {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${orgId}-${name}${period}.csv"`,
      'x-report-currency': result.currency,
      'x-report-generated-at': f.generatedAt,
      'x-report-last-sync-at': f.lastSyncAt ?? '',
      'x-report-oldest-sync-at': f.oldestSyncAt ?? '',
      'x-report-oldest-outbox-empty-at': f.oldestOutboxEmptyAt ?? '',
      'x-report-quarantined': String(f.quarantined),
    });
  });

  return app;
}
