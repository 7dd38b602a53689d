// The HQ session as Hono middleware: a route that needs one names `session` before its handler, and
// reads `c.var.session` (the org, the signed-in user, the token). No token, or one that is unknown,
// expired or signed out, is `401 unauthorized` before the handler runs.
import type { Context, MiddlewareHandler } from 'hono';
import { AppError, isAppError } from '../../src/errors.ts';
import { authenticate, type SessionUser, sessionOrg } from '../hq/sessions.ts';
import type { TenantResolver } from '../resolver/tenant-resolver.ts';

export interface HqSession {
  orgId: string;
  user: SessionUser;
  token: string;
}

/** What HQ routes behind the session middleware see in `c.var`. */
export interface HqEnv {
  Variables: { session: HqSession };
}

const bearer = (c: Context) => /^Bearer (\S+)$/.exec(c.req.header('authorization') ?? '')?.[1];

/** The session's org and user, or 401. */
async function readSession(c: Context, resolver: TenantResolver, now: () => Date): Promise<HqSession> {
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

/** Sets `c.var.session` from the request's bearer token, or answers 401. */
export function hqSession(resolver: TenantResolver, now: () => Date): MiddlewareHandler<HqEnv> {
  return async (c, next) => {
    c.set('session', await readSession(c, resolver, now));
    await next();
  };
}
