// orgId → the tenant's own database, composed of the tenant cache (tenant-cache.ts: status, schema
// version and decrypted DSN for a TTL) and the pool budget (pool-budget.ts: at most N pools, LRU
// eviction of idle ones, a pool ended only when no lease holds it). Tenants that are not active
// resolve to a clear error, never to a connection. Given this build's latest tenant schema, a tenant
// recorded behind it is refused `tenant_migrating` until it is migrated (docs/migrations.md).

import { driverErrorCode } from '../../src/db/driver-errors.ts';
import type { ClosableSqlDatabase, SqlDatabase } from '../../src/db/sql.ts';
import { AppError } from '../../src/errors.ts';
import type { OrgStatus } from '../control/organizations.ts';
import type { Engine } from '../engines/engine.ts';
import type { Keyring } from '../secrets/keyring.ts';
import { createPoolBudget, type Pool } from './pool-budget.ts';
import { createTenantCache } from './tenant-cache.ts';

export interface TenantResolverOptions {
  control: SqlDatabase;
  engine: Engine;
  keyring: Keyring;
  /** Most tenant pools open at once (the connection budget is maxPools × poolSize). */
  maxPools?: number;
  /** Connections per tenant pool. */
  poolSize?: number;
  /** A pool unused for this long is ended. */
  idleMs?: number;
  /** How long a decrypted DSN (and the tenant's status) is trusted before the control plane is asked again. */
  dsnTtlMs?: number;
  now?: () => number;
  /** Told of every tenant query and lease wait (the cloud's metrics). */
  observer?: ResolverObserver;
  /**
   * This build's latest tenant schema version. When given, a tenant whose recorded `schema_version`
   * is lower is refused `tenant_migrating` (unless `allowOutdated`): this code may need what it lacks.
   */
  latestSchemaVersion?: number;
  /** How long a tenant seen behind is trusted to still be behind (default 1 s): the refusal lifts soon after a migration elsewhere. */
  migratingTtlMs?: number;
  /** Told of each refused `tenant_migrating` lease: a request waits for that tenant (the migration job takes it first). */
  onOutdated?: (orgId: string) => void;
}

export interface ResolverObserver {
  /** A statement or transaction on `orgId`'s database took `seconds`; `failed` if it threw. */
  query(orgId: string, seconds: number, failed: boolean): void;
  /** A caller waited `seconds` for a lease (a DSN lookup, room in the pool budget, a pool opening). */
  leaseWait(seconds: number): void;
}

/** A tenant database on loan: use `db`, then `release()` exactly once. */
export interface TenantLease {
  orgId: string;
  db: SqlDatabase;
  release(): void;
}

export interface ResolverStats {
  pools: number;
  leases: number;
  waiting: number;
  cachedDsns: number;
  poolsOpened: number;
  poolsEvicted: number;
}

export interface AcquireOptions {
  /**
   * Hands out a suspended tenant's database too: only to check a credential before saying the tenant
   * is suspended (SPEC §11), never to serve it.
   */
  allowSuspended?: boolean;
  /**
   * Hands out a tenant's database even while its schema is behind: only to check a credential before
   * saying the tenant is migrating, with queries its schema has had since before the baseline.
   */
  allowOutdated?: boolean;
}

export interface TenantResolver {
  acquire(orgId: string, options?: AcquireOptions): Promise<TenantLease>;
  withTenant<T>(orgId: string, fn: (db: SqlDatabase) => Promise<T>, options?: AcquireOptions): Promise<T>;
  /** Forgets the cached DSN and retires the pool (after its leases end): credentials or status changed. */
  invalidate(orgId: string): Promise<void>;
  stats(): ResolverStats;
  close(): Promise<void>;
}

/** A tenant that is not active, with its status (the sync endpoint decides what a device may learn of it). */
export class TenantStatusError extends AppError {
  constructor(
    readonly orgStatus: Exclude<OrgStatus, 'active'>,
    code: 'tenant_unavailable' | 'tenant_suspended' | 'tenant_offboarded',
    message: string,
  ) {
    super(code, message);
  }
}

const statusErrors: Record<Exclude<OrgStatus, 'active'>, () => AppError> = {
  provisioning: () =>
    new TenantStatusError('provisioning', 'tenant_unavailable', 'the tenant is still being provisioned'),
  suspended: () => new TenantStatusError('suspended', 'tenant_suspended', 'the tenant is suspended'),
  offboarding: () =>
    new TenantStatusError('offboarding', 'tenant_offboarded', 'the tenant is being offboarded'),
  offboarded: () =>
    new TenantStatusError('offboarded', 'tenant_offboarded', 'the tenant has been offboarded'),
};

/** How long an edge or HQ client is asked to wait before retrying a migrating tenant. */
export const MIGRATING_RETRY_MS = 5_000;

/**
 * How long an edge or HQ client is asked to wait before retrying a tenant whose move froze its
 * writes: short, since a freeze lasts well under a second and a push waits for the freeze plus up to
 * this (a few refusals a second per device, for that moment only).
 */
export const MOVING_RETRY_MS = 200;

/** A tenant whose writes a move has frozen for its switch: retryable in a moment. */
export class TenantMovingError extends AppError {
  constructor(readonly orgId: string) {
    super('tenant_unavailable', 'the tenant is being moved to another cluster; try again in a moment', {
      retryAfterMs: MOVING_RETRY_MS,
    });
  }
}

/** A tenant whose schema is behind this build's: retryable, it is being migrated. */
export class TenantMigratingError extends AppError {
  constructor(
    readonly orgId: string,
    readonly schemaVersion: number,
    readonly latestSchemaVersion: number,
  ) {
    super(
      'tenant_migrating',
      `the tenant's schema (${schemaVersion}) is being brought to this build's (${latestSchemaVersion}); try again shortly`,
      { retryAfterMs: MIGRATING_RETRY_MS },
    );
  }
}

export function createTenantResolver(options: TenantResolverOptions): TenantResolver {
  const poolSize = options.poolSize ?? 2;
  const idleMs = options.idleMs ?? 60_000;
  const dsnTtlMs = options.dsnTtlMs ?? 60_000;
  const latest = options.latestSchemaVersion;
  const now = options.now ?? Date.now;
  const cache = createTenantCache({
    control: options.control,
    keyring: options.keyring,
    now,
    dsnTtlMs,
    migratingTtlMs: Math.min(options.migratingTtlMs ?? 1_000, dsnTtlMs),
    latestSchemaVersion: latest,
    databaseOf: (dsn) => options.engine.databaseOf(dsn),
  });

  /**
   * A pool whose password was rotated elsewhere fails with 28P01: forget the DSN so the next lease
   * re-reads it. Every statement and transaction is timed for the observer.
   */
  const watch = (orgId: string, dsn: string, db: ClosableSqlDatabase): ClosableSqlDatabase => {
    /** Metrics must never turn a committed transaction into a failure: the observer's own errors are dropped. */
    const observe = (started: number, failed: boolean) => {
      try {
        options.observer?.query(orgId, (performance.now() - started) / 1000, failed);
      } catch {
        // a metric lost, nothing else
      }
    };
    const guard = async <T>(run: () => Promise<T>): Promise<T> => {
      const started = performance.now();
      let result: T;
      try {
        result = await run();
      } catch (err) {
        observe(started, true);
        // 28P01: the password was rotated; 28000: the role may no longer log in there (the tenant
        // was moved to another cluster): either way the DSN is read again.
        const code = driverErrorCode(err);
        if ((code === '28P01' || code === '28000') && cache.cachedDsn(orgId) === dsn) cache.forget(orgId);
        throw err;
      }
      observe(started, false);
      return result;
    };
    return {
      query: (sql, params) => guard(() => db.query(sql, params)),
      exec: (sql) => guard(() => db.exec(sql)),
      queryArrays: (sql, params) => guard(() => db.queryArrays(sql, params)),
      // A transaction counts as one operation; the statements inside run on its own session.
      transaction: (fn) => guard(() => db.transaction(fn)),
      close: () => db.close(),
    };
  };

  const budget = createPoolBudget({
    maxPools: options.maxPools ?? 50,
    idleMs,
    now,
    connect: (orgId, dsn) =>
      watch(orgId, dsn, options.engine.connect(dsn, { maxConnections: poolSize, idleTimeoutMs: idleMs })),
  });

  /**
   * The tenant's DSN and the invalidation generation it was read under (see TenantCache.read), or the
   * refusal its status or schema calls for.
   */
  const lookup = async (
    orgId: string,
    { allowSuspended = false, allowOutdated = false }: AcquireOptions,
  ): Promise<{ dsn: string; generation: number }> => {
    const { entry, generation } = await cache.read(orgId);
    if (entry.status === 'missing') throw new AppError('not_found', `organization ${orgId} not found`);
    if (entry.status !== 'active' && !(entry.status === 'suspended' && allowSuspended)) {
      throw statusErrors[entry.status]();
    }
    if (entry.frozen && entry.status === 'active') throw new TenantMovingError(orgId);
    if (!entry.dsn) throw new AppError('tenant_unavailable', 'the tenant has no stored credentials');
    if (latest !== undefined && entry.schemaVersion < latest && !allowOutdated) {
      try {
        options.onOutdated?.(orgId);
      } catch {
        // the migration job not told: it still takes the tenant on its next pass
      }
      throw new TenantMigratingError(orgId, entry.schemaVersion, latest);
    }
    return { dsn: entry.dsn, generation };
  };

  const acquire = async (orgId: string, acquireOptions: AcquireOptions = {}): Promise<TenantLease> => {
    const started = performance.now();
    let pool: Pool | undefined;
    for (;;) {
      if (budget.closed) throw new AppError('tenant_unavailable', 'the resolver is closed');
      const { dsn, generation } = await lookup(orgId, acquireOptions);
      pool = budget.get(orgId);
      if (pool && pool.dsn !== dsn) {
        // Our DSN predates an invalidation: read it again rather than replace a fresher pool.
        if (!cache.isCurrent(orgId, generation)) continue;
        budget.retire(pool);
        pool = undefined;
      }
      pool ??= await budget.open(orgId, dsn);
      if (pool.dsn === dsn && !pool.retired) break;
    }
    try {
      options.observer?.leaseWait((performance.now() - started) / 1000);
    } catch {
      // a metric lost, nothing else
    }
    const release = budget.hold(pool);
    return { orgId, db: pool.db, release };
  };

  return {
    acquire,
    async withTenant(orgId, fn, acquireOptions) {
      const lease = await acquire(orgId, acquireOptions);
      try {
        return await fn(lease.db);
      } finally {
        lease.release();
      }
    },
    async invalidate(orgId) {
      cache.forget(orgId);
      const pool = budget.get(orgId);
      if (pool) await budget.retire(pool);
    },
    stats: () => {
      const { pools, leases, waiting, poolsOpened, poolsEvicted } = budget.stats();
      return { pools, leases, waiting, cachedDsns: cache.size(), poolsOpened, poolsEvicted };
    },
    async close() {
      cache.clear();
      await budget.close();
    },
  };
}
