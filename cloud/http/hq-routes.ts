// HQ sessions over HTTP (SPEC §6): `POST /v1/orgs/:orgId/sessions` logs in, `GET /v1/session` says
// who the bearer is, `DELETE /v1/session` logs out. The management and report routes of the HQ issue
// sit behind `requireSession`.
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { checkOrgId } from '../../src/domain/org-id.ts';
import { strictObject, text } from '../../src/domain/payloads.ts';
import { AppError, isAppError } from '../../src/errors.ts';
import { errorBody, parseJsonBody } from '../../src/http/errors.ts';
import type { LoginThrottle } from '../hq/login-throttle.ts';
import { authenticate, badLogin, login, logout, type SessionUser, sessionOrg } from '../hq/sessions.ts';
import { tenantFacts } from '../reports/reports.ts';
import type { TenantResolver } from '../resolver/tenant-resolver.ts';

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

/**
 * Parses an HQ request's JSON body, which must come as `content-type: application/json`: a text or
 * form post is refused (400) rather than read as JSON.
 */
export async function jsonBody<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new AppError('invalid_input', 'send the body as JSON with content-type: application/json', [
      { path: 'content-type', message: `expected application/json, got ${type || 'none'}` },
    ]);
  }
  return parseJsonBody(c, schema);
}

/** A path parameter naming a row: with control characters it names none (and Postgres refuses NUL): 404. */
export function idParam(c: Context, name: string): string {
  const value = c.req.param(name) ?? '';
  if (!text(200).safeParse(value).success) throw new AppError('not_found', `no such ${name}`);
  return value;
}

const bearer = (c: Context) => /^Bearer (\S+)$/.exec(c.req.header('authorization') ?? '')?.[1];

/** The session's org and user, or 401. */
export async function requireSession(
  c: Context,
  resolver: TenantResolver,
  now: () => Date,
): Promise<{ orgId: string; user: SessionUser; token: string }> {
  const token = bearer(c);
  const orgId = token === undefined ? undefined : sessionOrg(token);
  if (!token || !orgId)
    throw new AppError('unauthorized', 'a session token is required (Authorization: Bearer mph_…)');
  const user = await resolver
    .withTenant(orgId, (db) => authenticate(db, token, now()))
    .catch((err: unknown) => {
      if (isAppError(err) && err.code === 'not_found') return undefined;
      throw err;
    });
  if (!user) throw new AppError('unauthorized', 'the session is unknown, expired or logged out');
  return { orgId, user, token };
}

export function createHqRoutes(options: HqRoutesOptions): Hono {
  const { resolver, throttle } = options;
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const app = new Hono();

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

  app.get('/session', async (c) => {
    const { orgId, user } = await requireSession(c, resolver, now);
    const { permissions: _, ...shown } = user;
    // The tenant's time zone and currency: the dashboard shows every date and amount in them.
    const { timeZone, currency } = await resolver.withTenant(orgId, tenantFacts);
    return c.json({ orgId, user: shown, timeZone, currency });
  });

  app.delete('/session', async (c) => {
    const { orgId, token } = await requireSession(c, resolver, now);
    await resolver.withTenant(orgId, (db) => logout(db, token, now()));
    return c.body(null, 204);
  });

  return app;
}
