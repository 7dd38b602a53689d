// HTTP routes a device calls with its device token, beside its sync socket (protocol 5):
// `GET /v1/device/sales/:id`, a sale of any till of the device's tenant, to refund it at this one.
// The token routes to the tenant (`mpd_{orgId}_…`), so no device ever reads another tenant's sales;
// a wrong or revoked token is `unauthorized` whatever the tenant's state, as on the socket.
import { type Context, Hono } from 'hono';
import { text, textLimits } from '../../src/domain/bounds.ts';
import { parseDeviceToken } from '../../src/domain/tenant-token.ts';
import { AppError } from '../../src/errors.ts';
import { findDeviceByToken } from '../devices/devices.ts';
import type { TenantResolver } from '../resolver/tenant-resolver.ts';
import { readDeviceSale } from './device-sale.ts';
import { Refusal, refuseUnservedHello } from './refusal.ts';

export interface DeviceRoutesOptions {
  resolver: TenantResolver;
}

const invalidToken = () => new AppError('unauthorized', 'the device token is not valid');

/** A refusal of the sync protocol's as the HTTP error it stands for. */
function asHttpError(err: unknown): unknown {
  if (!(err instanceof Refusal)) return err;
  if (err.code === 'tenant_suspended') return new AppError('tenant_suspended', err.message);
  if (err.code === 'tenant_migrating' || err.code === 'tenant_unavailable') {
    return new AppError(err.code, err.message, { retryAfterMs: err.retryAfterMs ?? 5_000 });
  }
  return invalidToken();
}

/** The device of the request's bearer token and its tenant, or 401. */
function deviceToken(c: Context): { token: string; orgId: string } {
  const token = /^Bearer (\S+)$/.exec(c.req.header('authorization') ?? '')?.[1];
  const parsed = token === undefined ? undefined : parseDeviceToken(token);
  if (!token || !parsed) {
    throw new AppError('unauthorized', 'a device token is required (Authorization: Bearer mpd_…)');
  }
  return { token, orgId: parsed.orgId };
}

export function createDeviceRoutes(options: DeviceRoutesOptions): Hono {
  const { resolver } = options;
  const app = new Hono();

  app.get('/device/sales/:id', async (c) => {
    const { token, orgId } = deviceToken(c);
    const id = c.req.param('id');
    // Checked after the token: an id no document can have names none (Postgres refuses NUL).
    const valid = text(textLimits.id).min(1).safeParse(id).success;
    const answer = await resolver
      .withTenant(orgId, async (db) => {
        const device = await findDeviceByToken(db, orgId, token);
        if (!device || device.revoked) throw invalidToken();
        if (!valid) return undefined;
        // One snapshot: the sale and its refunds as of one instant.
        return db.transaction(async (tx) => {
          await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
          return readDeviceSale(tx, device.id, id);
        });
      })
      .catch(async (err: unknown) => {
        if (err instanceof AppError && (err.code === 'unauthorized' || err.code === 'not_found')) {
          throw invalidToken();
        }
        throw asHttpError(await refuseUnservedHello(resolver, orgId, token, err).catch((e: unknown) => e));
      });
    if (!answer) throw new AppError('not_found', valid ? `no sale ${id} in this tenant` : 'no such sale');
    return c.json(answer);
  });

  return app;
}
