// One log line per HTTP request, with a request id (the caller's `x-request-id` if it is a sane one,
// else a new one, echoed in the response) and whatever the app knows of who it is for (the org).
// Never the headers, the body or the query string: that is where tokens, passwords and PINs travel.
import { randomUUID } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from '../log.ts';
import { requestHeader } from './node-request.ts';

declare module 'hono' {
  interface ContextVariableMap {
    /** The request's logger: its id (and org, where known) on every line. */
    log: Logger;
  }
}

const SANE_ID = /^[\w.:-]{1,64}$/;

export function requestLog(
  logger: Logger,
  fieldsOf: (c: Context) => Record<string, string | undefined> = () => ({}),
): MiddlewareHandler {
  return async (c, next) => {
    const given = requestHeader(c, 'x-request-id');
    const reqId = given !== undefined && SANE_ID.test(given) ? given : randomUUID();
    const log = logger.child({ reqId, ...fieldsOf(c) });
    c.set('log', log);
    const started = performance.now();
    await next();
    c.header('x-request-id', reqId);
    const status = c.res.status;
    const line = {
      method: c.req.method,
      path: c.req.path,
      status,
      ms: Math.round(performance.now() - started),
    };
    if (status >= 500) log.error(line, 'request failed');
    else log.info(line, 'request');
  };
}
