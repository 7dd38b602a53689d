// What every tenant-lifecycle operation needs, passed in by the composition root.
import type { SqlDatabase, SqlQueryable } from '../../src/db/sql.ts';
import type { MigrationSet } from '../../src/migrate/files.ts';
import type { MigrationTarget } from '../../src/migrate/runner.ts';
import { postgresMigrationTarget } from '../../src/migrate/targets.ts';
import type { ClusterEngines } from '../clusters/engines.ts';
import type { ClusterLoadCache } from '../clusters/load-cache.ts';
import type { Engine } from '../engines/engine.ts';
import type { Keyring } from '../secrets/keyring.ts';

export interface TenantContext {
  /** The deployment's own engine: the control plane's server (cluster `default`, or `embedded`). */
  engine: Engine;
  /** The engine of each cluster; tenant work goes through the engine of the tenant's cluster. */
  clusters: ClusterEngines;
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
  /** Serialises lifecycle operations per org inside this process (shared by copies of the context). */
  orgMutex?: KeyedMutex;
  /**
   * Postgres: control-plane sessions that only hold per-org advisory locks. Kept apart from
   * `control` so operations holding a lock can never exhaust the connections they need to work.
   */
  lockSessions?: SqlDatabase;
  /**
   * Each cluster's load as placement last read it, plus what this process placed since (shared by
   * copies of the context). Without it, placement reads every cluster for every new tenant.
   */
  clusterLoads?: ClusterLoadCache;
  /** Templates this process has verified at the latest schema (shared by copies of the context). */
  templateMemo?: Set<string>;
  /** Told when a tenant's credentials change or its database goes, so cached pools are dropped. */
  onTenantChanged?: (orgId: string) => Promise<void> | void;
}

/** The engine of the cluster `org` lives on. */
export function engineOf(ctx: TenantContext, org: { cluster: string }): Promise<Engine> {
  return ctx.clusters.engine(org.cluster);
}

/**
 * Migrations of `database` through `db`, run as the role that owns it (so new objects belong to the
 * tenant). `engine` is that of the database's cluster.
 */
export function tenantMigrationTarget(
  { engine }: { engine: Engine },
  database: string,
  db: SqlDatabase,
): MigrationTarget {
  const role = engine.roles.migrationRole(database);
  return postgresMigrationTarget(db, role ? { role } : {});
}

/** Runs tasks one at a time per key, in arrival order. */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const result = prev.then(fn, fn);
    const tail = result.catch(() => {});
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}

const ORG_LOCK_CLASS = 0x4d52;
const TEMPLATE_LOCK_CLASS = 0x4d53;

/**
 * Holds a cluster-wide advisory lock for the whole of `fn`, in a transaction on a lock session
 * (never a control connection that `fn` itself may need). The session is kept from timing out as
 * idle-in-transaction while `fn` works elsewhere.
 */
function holdingAdvisoryLock<T>(
  sessions: SqlDatabase,
  lockClass: number,
  key: string,
  fn: () => Promise<T>,
): Promise<T> {
  return sessions.transaction(async (tx) => {
    await tx.exec('SET LOCAL idle_in_transaction_session_timeout = 0');
    await tx.query('SELECT pg_advisory_xact_lock($1::int, hashtext($2))', [lockClass, key]);
    return fn();
  });
}

/**
 * Serialises lifecycle operations (onboard, offboard, credential rotation) on one org: within this
 * process by a mutex, and across cloud nodes on Postgres by an advisory lock held for the whole
 * operation on a lock session. The embedded engine is single-process, so the mutex is enough there.
 */
export function withOrgLock<T>(ctx: TenantContext, orgId: string, fn: () => Promise<T>): Promise<T> {
  const sessions = ctx.lockSessions;
  const locked = sessions ? () => holdingAdvisoryLock(sessions, ORG_LOCK_CLASS, orgId, fn) : fn;
  return ctx.orgMutex ? ctx.orgMutex.run(orgId, locked) : locked();
}

/**
 * Serialises work on one cluster's template database (creating, migrating, copying it). In-process
 * callers queue on a mutex, so at most one lock session per process waits on the cluster-wide lock.
 */
export function withTemplateLock<T>(ctx: TenantContext, cluster: string, fn: () => Promise<T>): Promise<T> {
  const sessions = ctx.lockSessions;
  // The deployment's own cluster keeps the key earlier releases used, so a rolling upgrade serialises.
  const key = cluster === ctx.engine.cluster ? ctx.templateDatabase : `${cluster}/${ctx.templateDatabase}`;
  const locked = sessions ? () => holdingAdvisoryLock(sessions, TEMPLATE_LOCK_CLASS, key, fn) : fn;
  // Org ids cannot contain ':', so this key never collides with an org's.
  return ctx.orgMutex ? ctx.orgMutex.run(`template:${key}`, locked) : locked();
}

/** Advisory-lock class ids taken on the control database. */
export const CONTROL_LOCKS = { keys: 2 } as const;
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
