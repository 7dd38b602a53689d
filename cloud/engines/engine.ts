// The engine seam (SPEC §3): where databases live and how tenants get their own credentials.
// `postgres` is a real cluster; `embedded` is one PGlite data directory per database.
import type { ClosableSqlDatabase, SqlDatabase } from '../../src/db/sql.ts';
import type { EngineRoles } from './roles.ts';

export type EngineKind = 'postgres' | 'embedded';

export interface EngineLoad {
  sizeBytes: number;
  backends: number | null;
  maxConnections: number | null;
}

export interface Engine {
  readonly kind: EngineKind;
  /** The cluster (control-plane `clusters.name`) whose databases this engine reaches. */
  readonly cluster: string;
  /** A shared administrative handle to `name` (cached; ended by `closeDatabase` or `close`). For the control plane and the template. */
  database(name: string): SqlDatabase;
  /** A private administrative handle to `name` (default 2 connections); the caller closes it. */
  openDatabase(name: string, maxConnections?: number): ClosableSqlDatabase;
  /** Tenant roles and passwords, and the privileges around them (roles.ts); trivial on PGlite. */
  readonly roles: EngineRoles;
  databaseExists(name: string): Promise<boolean>;
  /** Creates `name`, as a copy of `template` when given. Fails if it exists. */
  createDatabase(name: string, options?: { template?: string }): Promise<void>;
  /** Drops `name` if it exists, ending every session on it first. */
  dropDatabase(name: string): Promise<void>;
  /** Ends this engine's own handles to `name` (needed before it is copied or dropped). */
  closeDatabase(name: string): Promise<void>;
  databaseSizeBytes(name: string): Promise<number>;
  /**
   * The server's load as placement and `cluster list` see it: the total size of those of `databases`
   * that exist, and the client backends in use out of `max_connections` (none on PGlite).
   */
  load(databases: readonly string[]): Promise<EngineLoad>;

  /**
   * The admin URL pointed at `name` (contains the admin credentials): what a subscription on another
   * cluster connects to for a logical-replication move. None on PGlite.
   */
  adminUrlOf?(name: string): string;

  /**
   * The database a DSN of this engine leads to; undefined when `dsn` is not one of this engine's DSNs.
   * The resolver checks it so a misfiled DSN never routes one tenant to another's database.
   */
  databaseOf(dsn: string): string | undefined;
  /** Opens a pool on a tenant DSN, as the tenant's role. */
  connect(dsn: string, options: { maxConnections: number; idleTimeoutMs: number }): ClosableSqlDatabase;

  close(): Promise<void>;
}
