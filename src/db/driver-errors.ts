// Reading what went wrong in the database driver, in one place: drizzle wraps driver errors in
// `cause`, node-postgres and PGlite put the SQLSTATE in `code`, Node puts socket errors there too.

/** The SQLSTATE or system error code of a driver error, looking through drizzle's wrapper. */
export function driverErrorCode(err: unknown): string {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  return String(e?.code ?? e?.cause?.code ?? '');
}

const SOCKET_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);

/**
 * The server cannot be reached or took the connection away (down, restarting, too many
 * connections, session ended): worth retrying later, never a bug.
 */
export function isConnectionFailure(err: unknown): boolean {
  const code = driverErrorCode(err);
  if (/^(08|57P|53)/.test(code) || SOCKET_ERRORS.has(code)) return true;
  return /Connection terminated|timeout exceeded when trying to connect|not queryable/i.test(
    String((err as Error)?.message),
  );
}

/** The server refused the credentials (28P01 bad password, 28000 no such role or no login). */
export function isAuthenticationFailure(err: unknown): boolean {
  const code = driverErrorCode(err);
  return code === '28P01' || code === '28000';
}

/** The database itself refuses sessions: it does not exist (3D000) or does not allow connections (55000). */
export function isDatabaseRefusal(err: unknown): boolean {
  const code = driverErrorCode(err);
  return code === '3D000' || code === '55000';
}

export const isUniqueViolation = (err: unknown): boolean => driverErrorCode(err) === '23505';

/** Serialization failure, deadlock, lock not available, statement cancelled (a timeout). */
const TRANSIENT = new Set(['40001', '40P01', '55P03', '57014']);

/**
 * Worth running the same work again: the connection failed, the transaction lost a race
 * (serialization, deadlock, lock timeout), or the server ran short of a resource (class 53).
 * Anything else a statement fails with (data exceptions 22, constraints 23, a trigger's raise P0, a
 * bug) will fail the same way every time.
 */
export function isRetryableFailure(err: unknown): boolean {
  const code = driverErrorCode(err);
  return isConnectionFailure(err) || TRANSIENT.has(code) || code.startsWith('53');
}
