// Reading an HQ request: its JSON body (only as application/json) and a path parameter naming a row.
import type { Context } from 'hono';
import type { z } from 'zod';
import { text } from '../../src/domain/payloads.ts';
import { AppError } from '../../src/errors.ts';
import { parseJsonBody } from '../../src/http/errors.ts';

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
