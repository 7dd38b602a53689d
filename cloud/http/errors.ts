// The one error shape of the cloud API (SPEC §6): {"error":{"code","message","details"}}.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { driverErrorCode, isConnectionFailure } from '../../src/db/driver-errors.ts';
import { isAppError } from '../../src/errors.ts';
import { errorBody, InvalidInput, invalidInputBody } from '../../src/http/errors.ts';

/** Turns any thrown value into the documented error shape; never a stack trace. */
export function toErrorResponse(c: Context, err: unknown, log: (err: unknown) => void): Response {
  // `log` is told only of what the caller did not cause: the unexpected, as an internal error.
  if (isAppError(err)) {
    // A retryable refusal that says when (`tenant_migrating`) says it in `Retry-After` too, in whole seconds.
    const retryAfterMs = (err.details as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
    const headers =
      typeof retryAfterMs === 'number' && err.status === 503
        ? { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) }
        : undefined;
    return c.json(errorBody(err.code, err.message, err.details), err.status as ContentfulStatusCode, headers);
  }
  if (err instanceof InvalidInput) return c.json(invalidInputBody(err.zodError, err.where), 400);
  if (err instanceof z.ZodError) {
    return c.json(invalidInputBody(err), 400);
  }
  if (driverErrorCode(err) === '28P01') {
    // A pool still using a password rotated elsewhere; the resolver re-reads the DSN for the next request.
    return c.json(
      errorBody('tenant_unavailable', 'the tenant database refused stale credentials; try again'),
      503,
    );
  }
  if (isConnectionFailure(err)) {
    return c.json(errorBody('database_unavailable', 'a database is unavailable; try again shortly'), 503);
  }
  log(err);
  return c.json(errorBody('internal_error', 'internal error'), 500);
}
