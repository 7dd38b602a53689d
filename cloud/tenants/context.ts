// What every tenant-lifecycle operation needs, passed in by the composition root.
import type { SqlDatabase, SqlQueryable } from '../../src/db/sql.ts';
import type { MigrationSet } from '../../src/migrate/files.ts';
import type { MigrationTarget } from '../../src/migrate/runner.ts';
import { postgresMigrationTarget } from '../../src/migrate/targets.ts';
import type { Engine } from '../engines/engine.ts';
import type { Keyring } from '../secrets/keyring.ts';

export interface TenantContext {
  engine: Engine;
  /** The control-plane database. */
  control: SqlDatabase;
  keyring: Keyring;
  tenantMigrations: MigrationSet;
  /** The migrated database new tenants are copied from. */
  templateDatabase: string;
  /** Where offboarding writes its backup files. */
  backupDir: string;
  /** Who is acting, for the audit trail ("cli", "admin-api", "migration-job"). */
  actor: string;
  /** Called after each lifecycle step; tests use it to simulate a crash between steps. */
  afterStep?: (step: string, orgId: string) => void | Promise<void>;
  /** Templates this process has verified at the latest schema (shared by copies of the context). */
  templateMemo?: Set<string>;
  /** Told when a tenant's credentials change or its database goes, so cached pools are dropped. */
  onTenantChanged?: (orgId: string) => Promise<void> | void;
}

export function tenantMigrationTarget(ctx: TenantContext, database: string): MigrationTarget {
  const role = ctx.engine.migrationRole(database);
  return postgresMigrationTarget(ctx.engine.database(database), role ? { role } : {});
}

/** Advisory-lock class ids taken on the control database. */
export const CONTROL_LOCKS = { template: 1, keys: 2 } as const;
const CONTROL_LOCK_CLASS = 0x4d51;

/**
 * Runs `fn` while holding a control-plane advisory lock, taken by a transaction on one control
 * session. Control-plane reads and writes inside `fn` must go through `tx`: on PGlite a transaction
 * holds the whole instance, so a query on `ctx.control` would wait for it forever.
 */
export function withControlLock<T>(
  ctx: TenantContext,
  lock: number,
  fn: (tx: SqlQueryable) => Promise<T>,
): Promise<T> {
  return ctx.control.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1::int, $2::int)', [CONTROL_LOCK_CLASS, lock]);
    return fn(tx);
  });
}
