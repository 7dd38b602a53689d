// The one error shape of every HTTP API here, cloud and edge (SPEC §6):
// {"error":{"code":"snake_case_code","message":"…","details":…}}, and JSON bodies parsed with zod.
import type { Context } from 'hono';
import type { z } from 'zod';
import { AppError } from '../errors.ts';

export function errorBody(code: string, message: string, details?: unknown) {
  return { error: { code, message, ...(details === undefined ? {} : { details }) } };
}

/** A zod failure as `invalid_input`: every issue in the message, each with its path in the details. */
export function invalidInputBody(err: z.ZodError) {
  return errorBody(
    'invalid_input',
    err.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
    err.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
  );
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
