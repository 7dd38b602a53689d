// The one error shape of every HTTP API here, cloud and edge (SPEC §6):
// {"error":{"code":"snake_case_code","message":"…","details":…}}, and JSON bodies parsed with zod.
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { AppError, isAppError } from '../errors.ts';
import { declaredLength, mayHaveBody, readBodyText } from './node-request.ts';

export function errorBody(code: string, message: string, details?: unknown) {
  return { error: { code, message, ...(details === undefined ? {} : { details }) } };
}

/** Input that failed its schema, with where it came from (`body` or `query`) for messages. */
export class InvalidInput extends Error {
  constructor(
    readonly where: 'body' | 'query',
    readonly zodError: z.ZodError,
  ) {
    super(zodError.message);
  }
}

/** A zod failure as `invalid_input`: every issue in the message, each with its path in the details. */
export function invalidInputBody(err: z.ZodError, where: 'body' | 'query' = 'body') {
  // Body paths read as before (`lines.0.qtyMilli`, or `body` for the whole); query paths say so.
  const path = (i: z.core.$ZodIssue) =>
    where === 'query' ? ['query', ...i.path.map(String)].join('.') : i.path.join('.') || 'body';
  return errorBody(
    'invalid_input',
    err.issues.map((i) => `${path(i)}: ${i.message}`).join('; '),
    err.issues.map((i) => ({ path: path(i), message: i.message })),
  );
}

/** Parses the query string with a zod schema; failures name the query, not the body. */
export function parseQuery<T>(c: Context, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) throw new InvalidInput('query', parsed.error);
  return parsed.data;
}

/** Parses a JSON body with a zod schema, answering malformed JSON as invalid input. */
export async function parseJsonBody<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readBodyText(c));
  } catch {
    throw new AppError('invalid_input', 'request body is not valid JSON');
  }
  return schema.parse(raw);
}

/**
 * Refuses request bodies over `maxBytes` (default 1 MiB) as `too_large` (413), before parsing them.
 * The answer says `Connection: close` and the server then closes the socket: the rest of the body is
 * never read (draining it would let a client make the server read without bound), so a client must
 * not send its next request on that socket; an HTTP client that honours the header opens a new one.
 */
export function limitBody(maxBytes = 1024 * 1024): MiddlewareHandler {
  const tooLarge = (c: Context) =>
    c.json(errorBody('too_large', 'request body is too large'), 413, { connection: 'close' });
  const counting = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return async (c, next) => {
    // A declared length is checked as it is, whatever the method (Node's parser never reads past it);
    // a chunked body, or a request from elsewhere than Node's server, is counted as it is read.
    const length = declaredLength(c);
    if (typeof length === 'number') return length > maxBytes ? tooLarge(c) : next();
    if (!mayHaveBody(c)) return next();
    return counting(c, next);
  };
}

/**
 * Turns any thrown value into the documented error shape, never a stack trace: an AppError with its
 * status (and `Retry-After` when a 503 says when to retry), a zod failure as `invalid_input`, then
 * what the caller's engine knows (`local`: the cloud's Postgres driver errors, the edge's busy
 * SQLite). Anything else is a bug: `log` is told of it, and it is answered `500 internal_error`.
 */
export function toErrorResponse(
  c: Context,
  err: unknown,
  log: (err: unknown) => void,
  local?: (err: unknown) => Response | undefined,
): Response {
  if (isAppError(err)) {
    const retryAfterMs = (err.details as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
    const headers =
      typeof retryAfterMs === 'number' && err.status === 503
        ? { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) }
        : undefined;
    return c.json(errorBody(err.code, err.message, err.details), err.status as ContentfulStatusCode, headers);
  }
  if (err instanceof InvalidInput) return c.json(invalidInputBody(err.zodError, err.where), 400);
  if (err instanceof z.ZodError) return c.json(invalidInputBody(err), 400);
  const known = local?.(err);
  if (known) return known;
  log(err);
  return c.json(errorBody('internal_error', 'internal error'), 500);
}
