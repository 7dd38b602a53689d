// How the cloud answers what it throws: the shared error mapping (src/http/errors.ts), plus what the
// Postgres driver's errors mean to a client.
import type { Context } from 'hono';
import { driverErrorCode, isConnectionFailure } from '../../src/db/driver-errors.ts';
import { errorBody, toErrorResponse as shared } from '../../src/http/errors.ts';

function driverResponse(c: Context, err: unknown): Response | undefined {
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
  return undefined;
}

/** Turns any thrown value into the documented error shape; `log` is told only of the unexpected. */
export function toErrorResponse(c: Context, err: unknown, log: (err: unknown) => void): Response {
  return shared(c, err, log, (e) => driverResponse(c, e));
}
