// HQ management of what syncs (SPEC §6): devices (POST answers the token once, DELETE revokes and
// ends the device's connection on every cloud process) and the sync quarantine (list, replay as is
// or corrected, discard with a reason). Every change lands in the tenant's audit log as its user.
import { Hono } from 'hono';
import { z } from 'zod';
import { codeSchema, strictObject, text } from '../../src/domain/payloads.ts';
import { parseQuery } from '../../src/http/errors.ts';
import { listDevices, registerDevice, revokeDevice } from '../devices/devices.ts';
import { requirePermission } from '../hq/sessions.ts';
import type { TenantResolver } from '../resolver/tenant-resolver.ts';
import { discardQuarantined, listQuarantine, replayQuarantined } from '../sync/quarantine.ts';
import type { SyncSignals } from '../sync/sync-signals.ts';
import { idParam, jsonBody } from './hq-request.ts';
import { type HqEnv, hqSession } from './hq-session.ts';

export interface HqSyncRoutesOptions {
  resolver: TenantResolver;
  /** Ends a revoked device's connection wherever it is (the cloud server passes its signals). */
  signals?: Pick<SyncSignals, 'deviceRevoked' | 'quarantineResolved'> | undefined;
  now?: () => Date;
}

// Text refuses control characters: Postgres refuses NUL in text (a 500, not a 400).
export const deviceBody = strictObject({ branch: codeSchema, name: text(120).trim().min(1) });
export const replayBody = strictObject({ payload: z.unknown().optional() });
export const discardBody = strictObject({ reason: text(500).trim().min(1) });
export const quarantineQuery = strictObject({ unresolved: z.enum(['true', 'false']).optional() });

export function createHqSyncRoutes(options: HqSyncRoutesOptions): Hono<HqEnv> {
  const { resolver } = options;
  const now = options.now ?? (() => new Date());
  const app = new Hono<HqEnv>();
  const session = hqSession(resolver, now);
  // The device's edge learns the outcome at once wherever it is connected (or at its next sync).
  const told = (orgId: string) => (deviceId: string) => {
    void options.signals?.quarantineResolved(orgId, deviceId).catch(() => undefined);
  };

  app.get('/devices', session, async (c) => {
    const { orgId } = c.var.session;
    return c.json({ devices: await resolver.withTenant(orgId, (db) => listDevices(db)) });
  });

  app.post('/devices', session, async (c) => {
    const { orgId, user } = c.var.session;
    requirePermission(user, 'devices:write');
    const body = await jsonBody(c, deviceBody);
    const device = await resolver.withTenant(orgId, (db) =>
      registerDevice({ db, orgId, actor: user.email }, body),
    );
    return c.json(device, 201);
  });

  app.delete('/devices/:id', session, async (c) => {
    const { orgId, user } = c.var.session;
    requirePermission(user, 'devices:write');
    const revoked = await resolver.withTenant(orgId, (db) =>
      revokeDevice(
        {
          db,
          orgId,
          actor: user.email,
          onRevoked: (id) => options.signals?.deviceRevoked(orgId, id),
        },
        idParam(c, 'id'),
      ),
    );
    return c.json(revoked);
  });

  app.get('/sync/quarantine', session, async (c) => {
    const { orgId } = c.var.session;
    const { unresolved } = parseQuery(c, quarantineQuery);
    const items = await resolver.withTenant(orgId, (db) =>
      listQuarantine(db, { unresolvedOnly: unresolved !== 'false' }),
    );
    return c.json({ quarantine: items });
  });

  app.post('/sync/quarantine/:id/replay', session, async (c) => {
    const { orgId, user } = c.var.session;
    requirePermission(user, 'devices:write');
    const body = await jsonBody(c, replayBody);
    const result = await resolver.withTenant(orgId, (db) =>
      replayQuarantined({ db, actor: user.email, onResolved: told(orgId) }, idParam(c, 'id'), body.payload),
    );
    return c.json(result);
  });

  app.post('/sync/quarantine/:id/discard', session, async (c) => {
    const { orgId, user } = c.var.session;
    requirePermission(user, 'devices:write');
    const { reason } = await jsonBody(c, discardBody);
    await resolver.withTenant(orgId, (db) =>
      discardQuarantined({ db, actor: user.email, onResolved: told(orgId) }, idParam(c, 'id'), reason),
    );
    return c.body(null, 204);
  });

  return app;
}
