// Operator API under /admin (SPEC §6), behind the admin bearer token. Same service functions as the CLI.
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Hono, type MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { strictObject, text } from '../../src/domain/payloads.ts';
import { AppError } from '../../src/errors.ts';
import { parseJsonBody } from '../../src/http/errors.ts';
import type { CloudMetrics } from '../metrics/cloud-metrics.ts';
import { secretsEqual } from '../secrets/passwords.ts';
import type { TenantContext } from '../tenants/context.ts';
import { exportTenant } from '../tenants/export.ts';
import { fleetReport } from '../tenants/fleet-report.ts';
import { migrateTenant } from '../tenants/migrate.ts';
import { abortMove } from '../tenants/move/abort.ts';
import { moveTenant } from '../tenants/move/move.ts';
import { releaseKeptSource } from '../tenants/move/release-source.ts';
import { offboardTenant } from '../tenants/offboard.ts';
import { onboardTenant } from '../tenants/onboard.ts';
import { listTenants, showTenant } from '../tenants/queries.ts';
import { requireOrgId } from '../tenants/validate.ts';
import { createBackupRoutes } from './backup-routes.ts';
import { createClusterRoutes } from './cluster-routes.ts';

/**
 * Text fields refuse control characters (a NUL in the name or email was a 500 from Postgres);
 * validate.ts checks each field's own rules and length, with messages that name the flag.
 */
const field = text(1000);
export const createTenantBody = strictObject({
  orgId: z.string(),
  name: field,
  ownerEmail: field.optional(),
  timezone: field.optional(),
  currency: field.optional(),
  cluster: field.optional(),
  region: field.optional(),
});

export const offboardBody = strictObject({ confirm: z.literal(true) });

/**
 * `{to: CLUSTER}` moves the tenant there; `{abort: true}` undoes its move in progress;
 * `{releaseSource: true}` releases the source a failed verification kept.
 */
export const moveBody = z.union([
  strictObject({ to: text(64) }),
  strictObject({ abort: z.literal(true) }),
  strictObject({ releaseSource: z.literal(true) }),
]);

/** The operator's bearer token, compared in constant time (the /admin routes and /metrics). */
export function requireAdminToken(adminToken: string): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!token || !secretsEqual(token, adminToken)) {
      throw new AppError('unauthorized', 'missing or wrong admin token');
    }
    await next();
  };
}

export interface AdminRoutesDeps {
  tenants: TenantContext;
  adminToken: string;
  metrics?: CloudMetrics | undefined;
}

export function createAdminRoutes(deps: AdminRoutesDeps): Hono {
  const app = new Hono();
  const ctx = { ...deps.tenants, actor: 'admin-api' };

  app.use('*', requireAdminToken(deps.adminToken));

  app.post('/tenants', async (c) => {
    const body = await parseJsonBody(c, createTenantBody);
    const result = await onboardTenant(ctx, body);
    deps.metrics?.onboarded.inc();
    const { resumed, ...shown } = result;
    return c.json({ ...shown, resumed }, resumed ? 200 : 201);
  });

  app.get('/tenants', async (c) => c.json({ tenants: await listTenants(ctx) }));

  app.get('/tenants/:orgId', async (c) => c.json(await showTenant(ctx, c.req.param('orgId'))));

  app.post('/tenants/:orgId/migrate', async (c) => c.json(await migrateTenant(ctx, c.req.param('orgId'))));

  app.post('/tenants/:orgId/offboard', async (c) => {
    const orgId = requireOrgId(c.req.param('orgId'));
    const body = await parseJsonBody(c, offboardBody).catch(() => {
      throw new AppError(
        'invalid_input',
        `offboarding drops the database of ${orgId}; send {"confirm": true}`,
      );
    });
    const result = await offboardTenant(ctx, { orgId, confirm: body.confirm });
    if (!result.alreadyOffboarded) deps.metrics?.offboarded.inc();
    return c.json(result);
  });

  app.post('/tenants/:orgId/move', async (c) => {
    const orgId = requireOrgId(c.req.param('orgId'));
    const body = await parseJsonBody(c, moveBody).catch(() => {
      throw new AppError(
        'invalid_input',
        'send {"to": "CLUSTER"} to move the tenant, {"abort": true}, or {"releaseSource": true}',
      );
    });
    if ('abort' in body) return c.json(await abortMove(ctx, orgId));
    if ('releaseSource' in body) return c.json(await releaseKeptSource(ctx, orgId));
    return c.json(await moveTenant(ctx, { orgId, to: body.to }));
  });

  app.route('/clusters', createClusterRoutes(ctx));
  app.route('/tenants', createBackupRoutes(ctx));

  app.get('/reports/tenants', async (c) => c.json(await fleetReport(ctx)));

  app.get('/tenants/:orgId/export', async (c) => {
    const orgId = requireOrgId(c.req.param('orgId'));
    const dir = mkdtempSync(join(tmpdir(), 'modernpos-api-export-'));
    const file = join(dir, `${orgId}.tar.gz`);
    try {
      await exportTenant(ctx, orgId, file);
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    const stream = createReadStream(file);
    stream.on('close', () => rmSync(dir, { recursive: true, force: true }));
    return new Response(Readable.toWeb(stream) as ReadableStream, {
      headers: {
        'content-type': 'application/gzip',
        'content-disposition': `attachment; filename="${orgId}.tar.gz"`,
      },
    });
  });

  return app;
}
