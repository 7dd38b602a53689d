// HTTP routes a device calls with its device token, beside its sync socket (protocol 5):
// `GET /v1/device/sales/:id`, a sale of any till of the device's tenant, to refund it at this one,
// and `GET /v1/device/receipts/:receiptNo`, the same answer for the receipt number a customer's paper
// receipt shows (any branch and terminal of the tenant: receipt numbers are unique in it).
// The token routes to the tenant (`mpd_{orgId}_…`), so no device ever reads another tenant's sales;
// a wrong or revoked token is `unauthorized` whatever the tenant's state, as on the socket.
import { type Context, Hono } from 'hono';
import type { SqlQueryable } from '../../src/db/sql.ts';
import { text, textLimits } from '../../src/domain/bounds.ts';
import { parseDeviceToken } from '../../src/domain/tenant-token.ts';
import { AppError } from '../../src/errors.ts';
import type { DeviceSale } from '../../src/protocol/device-sales.ts';
import { findDeviceByToken } from '../devices/devices.ts';
import type { TenantResolver } from '../resolver/tenant-resolver.ts';
import { readDeviceSale, saleIdOfReceipt } from './device-sale.ts';
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

  /**
   * The answer of `read` for the device of the request's token, read in one snapshot; undefined
   * when `read` finds nothing (or `valid` is false: a key no document can have names none).
   */
  const answerFor = (
    c: Context,
    valid: boolean,
    read: (tx: SqlQueryable, deviceId: string) => Promise<DeviceSale | undefined>,
  ): Promise<DeviceSale | undefined> => {
    const { token, orgId } = deviceToken(c);
    return resolver
      .withTenant(orgId, async (db) => {
        const device = await findDeviceByToken(db, orgId, token);
        if (!device || device.revoked) throw invalidToken();
        if (!valid) return undefined;
        // One snapshot: the sale and its refunds as of one instant.
        return db.transaction(async (tx) => {
          await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
          return read(tx, device.id);
        });
      })
      .catch(async (err: unknown) => {
        if (err instanceof AppError && (err.code === 'unauthorized' || err.code === 'not_found')) {
          throw invalidToken();
        }
        throw asHttpError(await refuseUnservedHello(resolver, orgId, token, err).catch((e: unknown) => e));
      });
  };

  app.get('/device/sales/:id', async (c) => {
    const id = c.req.param('id');
    // Checked after the token: an id no document can have names none (Postgres refuses NUL).
    const valid = text(textLimits.id).min(1).safeParse(id).success;
    const answer = await answerFor(c, valid, (tx, deviceId) => readDeviceSale(tx, deviceId, id));
    if (!answer) throw new AppError('not_found', valid ? `no sale ${id} in this tenant` : 'no such sale');
    return c.json(answer);
  });

  app.get('/device/receipts/:receiptNo', async (c) => {
    const receiptNo = c.req.param('receiptNo');
    // Bounded and free of control characters, or it names no receipt (checked after the token).
    const valid = text(textLimits.receiptNo).min(1).safeParse(receiptNo).success;
    const answer = await answerFor(c, valid, async (tx, deviceId) => {
      const id = await saleIdOfReceipt(tx, receiptNo);
      return id === undefined ? undefined : readDeviceSale(tx, deviceId, id);
    });
    if (!answer) {
      // `details.receiptNo` tells this answer from a cloud without the route (`no route for …`).
      throw new AppError('not_found', valid ? `no receipt ${receiptNo} in this tenant` : 'no such receipt', {
        receiptNo: valid ? receiptNo : null,
      });
    }
    return c.json(answer);
  });

  return app;
}
