// Expected failures that cross a process boundary (HTTP, CLI). Each code carries its HTTP status,
// its CLI exit code, what it means and what a client should do: docs/errors.md is generated from
// this table (npm run docs:errors). Anything else is a bug.

export interface ErrorInfo {
  status: number;
  exit: number;
  meaning: string;
  action: string;
}

export const errorCodes = {
  invalid_input: {
    status: 400,
    exit: 2,
    meaning: 'Input failed validation (bad org id, missing field, malformed JSON, a value beyond its bound).',
    action: 'Fix the request as the message and `details` say; retrying it unchanged fails again.',
  },
  unauthorized: {
    status: 401,
    exit: 2,
    meaning: 'No credentials, or wrong ones (an unknown, expired or signed-out token).',
    action: 'Sign in again, or use the right token.',
  },
  forbidden: {
    status: 403,
    exit: 2,
    meaning: 'Authenticated, but the role or scope does not allow this.',
    action: 'Ask someone whose role allows it.',
  },
  not_found: {
    status: 404,
    exit: 1,
    meaning: 'The organization, or the other thing the request names, does not exist.',
    action: 'Check the id or name (list them first).',
  },
  conflict: {
    status: 409,
    exit: 1,
    meaning:
      'The request conflicts with the current state (the org exists, a wrong status, a draining cluster).',
    action: 'Read the current state and decide; retrying unchanged fails again.',
  },
  too_large: {
    status: 413,
    exit: 2,
    meaning: 'A body or frame over its limit.',
    action: 'Send less at once (docs/bounds.md gives the limits).',
  },
  rate_limited: {
    status: 429,
    exit: 1,
    meaning: 'Too many attempts: a login already being checked for that email, or a flood.',
    action: 'Retry after the `Retry-After` seconds.',
  },
  tenant_suspended: {
    status: 503,
    exit: 1,
    meaning: 'The tenant is suspended: its database is not handed out.',
    action: 'Nothing is served until an operator makes the tenant active again; devices keep their outboxes.',
  },
  tenant_offboarded: {
    status: 503,
    exit: 1,
    meaning: 'The tenant is offboarded, or being offboarded: its database is gone.',
    action: 'Nothing to retry; an operator restores it from an export or backup if that was a mistake.',
  },
  tenant_unavailable: {
    status: 503,
    exit: 1,
    meaning:
      'The tenant or its database cannot be reached right now (provisioning, moving, its cluster down).',
    action: 'Retry with backoff, after `details.retryAfterMs` when given.',
  },
  tenant_migrating: {
    status: 503,
    exit: 1,
    meaning: "The tenant's schema is behind this build's and is being migrated (docs/migrations.md).",
    action: 'Retry after the `Retry-After` seconds (`details.retryAfterMs`).',
  },
  database_unavailable: {
    status: 503,
    exit: 1,
    meaning: 'The database server cannot be reached.',
    action: 'Retry with backoff; an operator checks the server (docs/operations.md#troubleshooting).',
  },
  migration_mismatch: {
    status: 409,
    exit: 1,
    meaning:
      "A database's applied migrations do not match this build's files (edited, unknown or out of order).",
    action:
      'Run the build that made the database, or restore the migration files; never edit an applied migration.',
  },
  report_out_of_range: {
    status: 409,
    exit: 1,
    meaning:
      'A report figure is beyond 2^53 − 1 and cannot be answered exactly (only data far beyond the documented bounds gets there).',
    action: 'Ask for a shorter period or one branch.',
  },
  operation_failed: {
    status: 500,
    exit: 1,
    meaning: 'A step failed in a way an operator must look at; the message says which.',
    action: 'Read the message and the audit log; run the command again once the cause is fixed.',
  },
} as const satisfies Record<string, ErrorInfo>;

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
