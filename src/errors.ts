// Expected failures that cross a process boundary (HTTP, CLI). Each code is documented here;
// the HTTP layer maps them to statuses and the CLI to exit codes. Anything else is a bug.

export const errorCodes = {
  /** Input failed validation (bad org id, missing field, malformed JSON). HTTP 400, exit 2. */
  invalid_input: { status: 400, exit: 2 },
  /** No or wrong credentials. HTTP 401, exit 2. */
  unauthorized: { status: 401, exit: 2 },
  /** Authenticated but not allowed. HTTP 403, exit 2. */
  forbidden: { status: 403, exit: 2 },
  /** The organization (or other named thing) does not exist. HTTP 404, exit 1. */
  not_found: { status: 404, exit: 1 },
  /** The request conflicts with current state (org exists, wrong status). HTTP 409, exit 1. */
  conflict: { status: 409, exit: 1 },
  /** A body or frame over its limit. HTTP 413, exit 2. */
  too_large: { status: 413, exit: 2 },
  /** Too many attempts (a login already being checked for that email, or a flood): retry after `Retry-After` seconds. HTTP 429, exit 1. */
  rate_limited: { status: 429, exit: 1 },
  /** The tenant is suspended: its database is not handed out. HTTP 503, exit 1. */
  tenant_suspended: { status: 503, exit: 1 },
  /** The tenant is offboarded (or being offboarded): its database is gone. HTTP 503, exit 1. */
  tenant_offboarded: { status: 503, exit: 1 },
  /** The tenant or its database cannot be reached right now (provisioning, database down). HTTP 503, exit 1. */
  tenant_unavailable: { status: 503, exit: 1 },
  /**
   * The tenant's schema is behind this build's and is being migrated (docs/migrations.md): retry
   * after `Retry-After` seconds (`details.retryAfterMs`). HTTP 503, exit 1.
   */
  tenant_migrating: { status: 503, exit: 1 },
  /** The database server cannot be reached. HTTP 503, exit 1. */
  database_unavailable: { status: 503, exit: 1 },
  /** A database's applied migrations do not match this build's files (edited, unknown or out of order). HTTP 409, exit 1. */
  migration_mismatch: { status: 409, exit: 1 },
  /**
   * A report figure is beyond 2^53 − 1 and cannot be answered exactly (only data far beyond the
   * documented bounds gets there): ask for a shorter period or one branch. HTTP 409, exit 1.
   */
  report_out_of_range: { status: 409, exit: 1 },
  /** A step failed in a way an operator must look at; the message says which. HTTP 500, exit 1. */
  operation_failed: { status: 500, exit: 1 },
} as const;

export type ErrorCode = keyof typeof errorCodes;

/** An expected failure with a stable code. Messages never contain secrets. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return errorCodes[this.code].status;
  }

  get exitCode(): number {
    return errorCodes[this.code].exit;
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
