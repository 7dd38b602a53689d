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
  if (isAppError(err))
    return c.json(errorBody(err.code, err.message, err.details), err.status as ContentfulStatusCode);
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
