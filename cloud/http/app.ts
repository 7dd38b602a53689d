// The cloud HTTP app: health, metrics and the operator API. Built from its dependencies so tests
// drive it with app.request() and no sockets; one error handler for everything.
import { type Context, Hono } from 'hono';
import { checkOrgId } from '../../src/domain/org-id.ts';
import { parseDeviceToken } from '../../src/domain/tenant-token.ts';
import { errorBody, limitBody } from '../../src/http/errors.ts';
import { mountApiDocs } from '../../src/http/openapi/serve.ts';
import { requestLog } from '../../src/http/request-log.ts';
import { type Logger, silentLogger } from '../../src/log.ts';
import { createLoginThrottle } from '../hq/login-throttle.ts';
import { sessionOrg } from '../hq/sessions.ts';
import type { CloudMetrics } from '../metrics/cloud-metrics.ts';
import type { TenantResolver } from '../resolver/tenant-resolver.ts';
import { createDeviceRoutes } from '../sync/device-routes.ts';
import type { SyncSignals } from '../sync/sync-signals.ts';
import type { TenantContext } from '../tenants/context.ts';
import type { MigrationJob } from '../tenants/migration-job.ts';
import { createAdminRoutes, requireAdminToken } from './admin-routes.ts';
import { toErrorResponse } from './errors.ts';
import { createHqCatalogRoutes } from './hq-catalog-routes.ts';
import { createHqJournalRoutes } from './hq-journal-routes.ts';
import { createHqReportRoutes } from './hq-report-routes.ts';
import { createHqRoutes } from './hq-routes.ts';
import { createHqStockRoutes } from './hq-stock-routes.ts';
import { createHqSyncRoutes } from './hq-sync-routes.ts';
import { cloudApi } from './openapi.ts';
import { createPageRoutes } from './page-routes.ts';

export interface CloudAppOptions {
  tenants: TenantContext;
  adminToken: string;
  metrics: CloudMetrics;
  migrationJob?: MigrationJob | undefined;
  /** Serves the HQ routes (sessions, devices, quarantine) when given. */
  resolver?: TenantResolver | undefined;
  /** Catalog pokes and revocations for every cloud process. */
  signals?: Pick<SyncSignals, 'deviceRevoked' | 'catalogChanged' | 'quarantineResolved'> | undefined;
  /** Largest accepted request body. */
  maxBodyBytes?: number;
  /** Where request lines and internal errors go (default: nowhere). */
  logger?: Logger;
}

/** The org a request is about, for its log line: from its token (`mph_`/`mpd_{org}_…`) or its path. */
function orgOf(c: Context): { org?: string } {
  const token = /^Bearer (mp[hd]_[a-z0-9_-]+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
  const fromToken = token === undefined ? undefined : (sessionOrg(token) ?? parseDeviceToken(token)?.orgId);
  const fromPath = /^\/(?:v1\/orgs|admin\/tenants)\/([^/]+)/.exec(c.req.path)?.[1];
  const org = fromToken ?? fromPath;
  return org !== undefined && checkOrgId(org).ok ? { org } : {};
}

export function createCloudApp(options: CloudAppOptions): Hono {
  const app = new Hono();
  const logger = options.logger ?? silentLogger();

  app.use('*', requestLog(logger, orgOf));
  app.use('*', limitBody(options.maxBodyBytes));

  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  app.get('/readyz', async (c) => {
    try {
      await options.tenants.control.query('SELECT 1');
    } catch {
      return c.json(errorBody('database_unavailable', 'the control plane database is unreachable'), 503);
    }
    return c.json({ status: 'ready', migrations: options.migrationJob?.stats() ?? null });
  });

  // Per-tenant and per-device series name every customer: the operator's token, as for /admin.
  app.get('/metrics', requireAdminToken(options.adminToken), async (c) => {
    c.header('content-type', options.metrics.registry.contentType);
    return c.body(await options.metrics.registry.metrics());
  });

  // The HQ dashboard at /, the operator console at exactly /admin, their assets under /assets/:
  // registered before the admin API, whose token check covers every other /admin path.
  app.route('/', createPageRoutes());
  // The API's OpenAPI document at /openapi.json and its reference page at /docs (docs/hq-api.md).
  mountApiDocs(app, cloudApi());

  app.route(
    '/admin',
    createAdminRoutes({ tenants: options.tenants, adminToken: options.adminToken, metrics: options.metrics }),
  );

  if (options.resolver) {
    app.route('/v1', createHqRoutes({ resolver: options.resolver, throttle: createLoginThrottle() }));
    app.route('/v1', createHqSyncRoutes({ resolver: options.resolver, signals: options.signals }));
    app.route('/v1', createHqCatalogRoutes({ resolver: options.resolver, signals: options.signals }));
    app.route('/v1', createHqReportRoutes({ resolver: options.resolver }));
    app.route('/v1', createDeviceRoutes({ resolver: options.resolver }));
    app.route('/v1', createHqStockRoutes({ resolver: options.resolver }));
    app.route('/v1', createHqJournalRoutes({ resolver: options.resolver }));
  }

  app.notFound((c) => c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404));
  app.onError((err, c) =>
    toErrorResponse(c, err, (e) => (c.get('log') ?? logger).error({ err: e }, 'internal error')),
  );
  return app;
}
