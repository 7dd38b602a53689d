// HQ sessions over HTTP (SPEC §6): `POST /v1/orgs/:orgId/sessions` logs in, `GET /v1/session` says
// who the bearer is, `DELETE /v1/session` logs out. The management and report routes of the HQ issue
// sit behind the `hqSession` middleware (hq-session.ts).
import { Hono } from 'hono';
import { z } from 'zod';
import { checkOrgId } from '../../src/domain/org-id.ts';
import { strictObject, text } from '../../src/domain/payloads.ts';
import { isAppError } from '../../src/errors.ts';
import { errorBody } from '../../src/http/errors.ts';
import type { LoginThrottle } from '../hq/login-throttle.ts';
import { badLogin, login, logout } from '../hq/sessions.ts';
import { tenantFacts } from '../reports/reports.ts';
import type { TenantResolver } from '../resolver/tenant-resolver.ts';
import { jsonBody } from './hq-request.ts';
import { type HqEnv, hqSession } from './hq-session.ts';

export interface HqRoutesOptions {
  resolver: TenantResolver;
  throttle: LoginThrottle;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
}

export const loginBody = strictObject({
  // No control characters: a NUL in the email's lookup is a Postgres error (a 500), not a failed login.
  email: text(254).trim().min(1),
  password: z.string().min(1).max(200),
});

export function createHqRoutes(options: HqRoutesOptions): Hono<HqEnv> {
  const { resolver, throttle } = options;
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const app = new Hono<HqEnv>();
  const session = hqSession(resolver, now);

  app.post('/orgs/:orgId/sessions', async (c) => {
    const body = await jsonBody(c, loginBody);
    const check = checkOrgId(c.req.param('orgId'));
    const key = `${c.req.param('orgId')}\u0000${body.email.toLowerCase()}`;
    const attempt = throttle.begin(key);
    if (!attempt.ok) {
      // The same answer whether the org or the email exists: the key is only the text asked about.
      const seconds = Math.ceil(attempt.retryAfterMs / 1000);
      const message =
        attempt.reason === 'busy'
          ? 'another login for this email is being checked; try again shortly'
          : 'too many failed logins on this server; try again later';
      return c.json(errorBody('rate_limited', message, { retryAfterMs: seconds * 1000 }), 429, {
        'retry-after': String(seconds),
      });
    }
    try {
      if (attempt.delayMs > 0) await sleep(attempt.delayMs);
      if (!check.ok) throw badLogin();
      const session = await resolver
        .withTenant(check.orgId, (db) => login(db, check.orgId, body, now()))
        .catch((err: unknown) => {
          if (isAppError(err) && err.code === 'not_found') throw badLogin();
          throw err;
        });
      attempt.succeeded();
      return c.json({ token: session.token, expiresAt: session.expiresAt, user: session.user }, 201);
    } catch (err) {
      if (isAppError(err) && err.code === 'unauthorized') attempt.failed();
      else attempt.abandoned();
      throw err;
    }
  });

  app.get('/session', session, async (c) => {
    const { orgId, user } = c.var.session;
    const { permissions: _, ...shown } = user;
    // The tenant's time zone and currency: the dashboard shows every date and amount in them.
    const { timeZone, currency } = await resolver.withTenant(orgId, tenantFacts);
    return c.json({ orgId, user: shown, timeZone, currency });
  });

  app.delete('/session', session, async (c) => {
    const { orgId, token } = c.var.session;
    await resolver.withTenant(orgId, (db) => logout(db, token, now()));
    return c.body(null, 204);
  });

  return app;
}
