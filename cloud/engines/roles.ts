// The engine seam's role and password part (SPEC §3): how a tenant database gets its own login role,
// how its password changes and how it is locked out. Postgres has real roles; the embedded engine has
// none, and its part says so (embedded-roles.ts).
import type { SqlDatabase } from '../../src/db/sql.ts';

export interface EngineRoles {
  /** Removes PUBLIC's CONNECT and TEMPORARY on `name` (the control plane: tenant roles have no business there). */
  revokePublicConnect(name: string): Promise<void>;
  /** Prepares a template database so the objects migrations create in it can be handed to tenants. */
  prepareTemplate(template: string): Promise<void>;
  /**
   * Gives a tenant database its own login role with `password`, makes the role its owner (and the
   * owner of everything in it) and removes PUBLIC's CONNECT and TEMPORARY. Idempotent; a second call
   * sets the new password. `db` is the caller's administrative handle on that database. Returns the
   * DSN the tenant is reached with (contains the password).
   */
  grantTenantAccess(database: string, password: string, db: SqlDatabase): Promise<string>;
  /** Sets a new password on the tenant's role and returns the new DSN; open sessions keep working. */
  rotateTenantPassword(database: string, password: string): Promise<string>;
  /** Stops the tenant's role from logging in and ends its sessions. Idempotent. */
  revokeTenantAccess(database: string): Promise<void>;
  /** Removes the tenant's role (after its database is dropped). Idempotent. */
  dropTenantRole(database: string): Promise<void>;
  /** The role migrations of `database` run as, so new objects belong to the tenant; none on PGlite. */
  migrationRole(database: string): string | undefined;
}
