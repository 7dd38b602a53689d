// A mutation the tenant database refused for good (a constraint, a trigger, a value out of range):
// quarantined on its own with the SQLSTATE and the server's message, never the statement's values.
import { driverErrorCode } from '../../src/db/driver-errors.ts';
import { printable, type Rejection } from './validate.ts';

export function databaseRefusal(err: unknown): Rejection {
  const code = driverErrorCode(err) || 'none';
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'database_refused', reason: printable(`SQLSTATE ${code}: ${message}`) };
}
