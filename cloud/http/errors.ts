// The one error shape of the cloud API (SPEC §6): {"error":{"code","message","details"}}.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { driverErrorCode, isConnectionFailure } from '../../src/db/driver-errors.ts';
import { AppError, isAppError } from '../../src/errors.ts';

export function errorBody(code: string, message: string, details?: unknown) {
  return { error: { code, message, ...(details === undefined ? {} : { details }) } };
}

/** Turns any thrown value into the documented error shape; never a stack trace. */
export function toErrorResponse(c: Context, err: unknown, log: (err: unknown) => void): Response {
  if (isAppError(err))
    return c.json(errorBody(err.code, err.message, err.details), err.status as ContentfulStatusCode);
  if (err instanceof z.ZodError) {
    return c.json(
      errorBody(
        'invalid_input',
        err.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
        err.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      ),
      400,
    );
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

/** Parses a JSON body with a zod schema, answering malformed JSON as invalid input. */
export async function parseJsonBody<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new AppError('invalid_input', 'request body is not valid JSON');
  }
  return schema.parse(raw);
}
