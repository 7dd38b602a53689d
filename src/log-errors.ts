// What a log line keeps of an error: its type, code (SQLSTATE), message and where it was thrown, and
// the database object it is about (table, column, constraint). Never the values of the failed
// statement: drizzle puts its bound parameters in the message, PGlite on the error (`params`),
// Postgres in `detail` ("Key (email)=(…)") and `where`; a tenant's data and secrets travel there.

/** Fields of a driver error that name things, never values. */
const SAFE_FIELDS = [
  'code',
  'severity',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
  'routine',
  'errno',
  'syscall',
  'status',
] as const;

/** How many causes deep a line follows (drizzle → pg is two). */
const MAX_DEPTH = 4;

/** A SQLSTATE of class 22 (data exception) quotes the offending value in its message. */
const QUOTES_VALUES = /^22/;

function safeMessage(err: Error & { code?: unknown }): string {
  let message = String(err.message ?? '');
  // drizzle: "Failed query: <sql>\nparams: <values>"; the statement text itself has only placeholders.
  const params = message.search(/\nparams:/);
  if (params >= 0) message = `${message.slice(0, params)}\nparams: [redacted]`;
  if (typeof err.code === 'string' && QUOTES_VALUES.test(err.code)) {
    message = message.replace(/"(?:[^"\\]|\\.)*"/g, '"[redacted]"');
  }
  return message;
}

/** The stack's frames only: its first lines repeat the (unscrubbed) message. */
const framesOf = (stack: unknown) =>
  typeof stack === 'string'
    ? stack
        .split('\n')
        .filter((l) => /^\s+at /.test(l))
        .join('\n')
    : undefined;

/** The pino serializer for `err`: a plain object without any bound value of a failed statement. */
export function errorForLog(err: unknown, depth = 0): unknown {
  if (!(err instanceof Error)) {
    // Thrown non-errors are logged by their type only: they could be anything, a row included.
    return err === null || err === undefined ? err : { type: typeof err };
  }
  const e = err as Error & Record<string, unknown>;
  const out: Record<string, unknown> = { type: e.constructor?.name || e.name, message: safeMessage(e) };
  for (const field of SAFE_FIELDS) {
    const value = e[field];
    if (typeof value === 'string' || typeof value === 'number') out[field] = value;
  }
  const frames = framesOf(e.stack);
  out.stack = frames ? `${out.type}: ${out.message}\n${frames}` : `${out.type}: ${out.message}`;
  if (e.cause !== undefined && depth < MAX_DEPTH) out.cause = errorForLog(e.cause, depth + 1);
  return out;
}
