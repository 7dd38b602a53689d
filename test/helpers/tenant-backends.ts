// Killing the cloud's connections to a tenant database from a test, to fault a batch mid-transaction.
import type pg from 'pg';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { sleep } from './sync.ts';

/**
 * Terminates the cloud's tenant backends of `orgId` that wait on a lock, polling every 10 ms until
 * one is killed or `timeoutMs` passes; returns how many were killed (0 on timeout).
 */
export async function killLockWaitingTenantBackend(
  admin: pg.Client,
  orgId: string,
  timeoutMs = 10_000,
): Promise<number> {
  let killed = 0;
  for (const deadline = Date.now() + timeoutMs; killed === 0 && Date.now() < deadline; ) {
    const result = await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = $1 AND application_name = 'modernpos-tenant' AND wait_event_type = 'Lock'`,
      [tenantDatabaseName(orgId)],
    );
    killed = result.rowCount ?? 0;
    if (killed === 0) await sleep(10);
  }
  return killed;
}
