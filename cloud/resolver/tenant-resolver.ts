// orgId → the tenant's own database. Decrypted DSNs are cached for a TTL; pools live in an LRU with
// a maximum count and idle eviction, and a pool is ended only when no lease holds it. Tenants that are
// not active resolve to a clear error, never to a connection. Given this build's latest tenant schema,
// a tenant recorded behind it is refused `tenant_migrating` until it is migrated (docs/migrations.md).

import { driverErrorCode } from '../../src/db/driver-errors.ts';
import type { ClosableSqlDatabase, SqlDatabase } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { AppError } from '../../src/errors.ts';
import { loadConnectionString } from '../control/connection-strings.ts';
import { getOrganization, type OrgStatus } from '../control/organizations.ts';
import type { Engine } from '../engines/engine.ts';
import type { Keyring } from '../secrets/keyring.ts';

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

interface CachedTenant {
  status: OrgStatus | 'missing';
  schemaVersion: number;
  dsn?: string;
  expires: number;
}

interface Pool {
  orgId: string;
  dsn: string;
  db: ClosableSqlDatabase;
  holders: number;
  lastUsed: number;
  retired: boolean;
  /** Opened but not yet leased: its callers resume in a later microtask, so it must not be evicted meanwhile. */
  fresh: boolean;
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

/** A DSN must lead to the org's own database: a misfiled ciphertext must never route one tenant to another. */
function checkDsn(orgId: string, dsn: string): string {
  const expected = tenantDatabaseName(orgId);
  const database = dsn.startsWith('embedded:')
    ? dsn.slice('embedded:'.length)
    : decodeURIComponent(new URL(dsn).pathname.slice(1));
  if (database !== expected) {
    throw new AppError(
      'tenant_unavailable',
      `the stored connection string of ${orgId} does not lead to ${expected}`,
    );
  }
  return dsn;
}

export function createTenantResolver(options: TenantResolverOptions): TenantResolver {
  const maxPools = options.maxPools ?? 50;
  const poolSize = options.poolSize ?? 2;
  const idleMs = options.idleMs ?? 60_000;
  const dsnTtlMs = options.dsnTtlMs ?? 60_000;
  const migratingTtlMs = Math.min(options.migratingTtlMs ?? 1_000, dsnTtlMs);
  const latest = options.latestSchemaVersion;
  const now = options.now ?? Date.now;
  const cache = new Map<string, CachedTenant>();
  /** Live pools, least recently used first (Map keeps insertion order; a use re-inserts). */
  const pools = new Map<string, Pool>();
  /** Pools retired by invalidation, ended once their last lease is released. */
  const retiring = new Set<Pool>();
  const waiters: (() => void)[] = [];
  /** Bumped by invalidate(): a lookup that started before it must not cache what it read. */
  const generations = new Map<string, number>();
  /** Slots promised to callers that are about to open a pool. */
  let reserved = 0;
  /** Pools being opened, one per org, shared by everyone who wants them meanwhile. */
  const openings = new Map<string, Promise<Pool>>();
  let leases = 0;
  let opened = 0;
  let evicted = 0;
  let closed = false;

  const openCount = () => pools.size + retiring.size;
  const wake = () => waiters.shift()?.();

  const end = (pool: Pool): Promise<void> => {
    evicted++;
    return pool.db
      .close()
      .catch(() => {})
      .finally(() => {
        retiring.delete(pool);
        wake();
      });
  };

  /** Takes a pool out of service; it is ended now if idle, else when its last lease is released. */
  const retire = (pool: Pool): Promise<void> | undefined => {
    pools.delete(pool.orgId);
    pool.retired = true;
    retiring.add(pool);
    return pool.holders === 0 ? end(pool) : undefined;
  };

  /**
   * The tenant's DSN and the invalidation generation it was read under. An invalidate() while the
   * read is in flight bumps the generation: the result is then not cached, and a caller holding it
   * knows it may be stale (see acquire).
   */
  const lookup = async (
    orgId: string,
    { allowSuspended = false, allowOutdated = false }: AcquireOptions,
  ): Promise<{ dsn: string; generation: number }> => {
    const generation = generations.get(orgId) ?? 0;
    let entry = cache.get(orgId);
    if (!entry || entry.expires <= now()) {
      const org = await getOrganization(options.control, orgId);
      const sealed =
        org?.status === 'active' || org?.status === 'suspended'
          ? await loadConnectionString(options.control, orgId)
          : undefined;
      const schemaVersion = org?.schemaVersion ?? 0;
      const behind = latest !== undefined && schemaVersion < latest;
      entry = {
        status: org?.status ?? 'missing',
        schemaVersion,
        expires: now() + (behind ? migratingTtlMs : dsnTtlMs),
      };
      if (sealed) entry.dsn = checkDsn(orgId, options.keyring.open(sealed, orgId));
      if (isCurrent(orgId, generation)) cache.set(orgId, entry);
    }
    if (entry.status === 'missing') throw new AppError('not_found', `organization ${orgId} not found`);
    if (entry.status !== 'active' && !(entry.status === 'suspended' && allowSuspended)) {
      throw statusErrors[entry.status]();
    }
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

  const isCurrent = (orgId: string, generation: number) => (generations.get(orgId) ?? 0) === generation;

  const forget = (orgId: string) => {
    cache.delete(orgId);
    generations.set(orgId, (generations.get(orgId) ?? 0) + 1);
  };

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
        if (driverErrorCode(err) === '28P01' && cache.get(orgId)?.dsn === dsn) forget(orgId);
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

  /**
   * Reserves room for one more pool: evicts the least recently used idle pool, or waits for one to
   * become idle. The reservation is taken synchronously once there is room, so a burst of callers
   * cannot all see the same free slot; the caller turns it into a pool or gives it back.
   */
  const reserve = async () => {
    while (openCount() + reserved >= maxPools) {
      if (closed) throw new AppError('tenant_unavailable', 'the resolver is closed');
      // A fresh pool has not been handed to the callers that opened it yet: not idle, just new.
      const idle = [...pools.values()].find((p) => p.holders === 0 && !p.fresh);
      if (idle) {
        // Wait for its connections to close, so the budget holds for backend connections too.
        await retire(idle);
        continue;
      }
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
    reserved++;
  };

  const unreserve = () => {
    reserved--;
    wake();
  };

  const sweep = setInterval(
    () => {
      const cutoff = now() - idleMs;
      for (const pool of [...pools.values()]) if (pool.holders === 0 && pool.lastUsed <= cutoff) retire(pool);
    },
    Math.max(250, Math.min(idleMs / 2, 30_000)),
  );
  sweep.unref();

  /** Opens `orgId`'s pool once, however many callers want it at the same time. */
  const openPool = (orgId: string, dsn: string): Promise<Pool> => {
    let opening = openings.get(orgId);
    if (!opening) {
      opening = (async () => {
        await reserve();
        if (closed) {
          unreserve();
          throw new AppError('tenant_unavailable', 'the resolver is closed');
        }
        let db: ClosableSqlDatabase;
        try {
          db = watch(
            orgId,
            dsn,
            options.engine.connect(dsn, { maxConnections: poolSize, idleTimeoutMs: idleMs }),
          );
        } catch (err) {
          unreserve();
          throw err;
        }
        const pool: Pool = { orgId, dsn, db, holders: 0, lastUsed: now(), retired: false, fresh: true };
        pools.set(orgId, pool);
        reserved--;
        opened++;
        return pool;
      })().finally(() => openings.delete(orgId));
      openings.set(orgId, opening);
    }
    return opening;
  };

  const acquire = async (orgId: string, acquireOptions: AcquireOptions = {}): Promise<TenantLease> => {
    const started = performance.now();
    let pool: Pool | undefined;
    for (;;) {
      if (closed) throw new AppError('tenant_unavailable', 'the resolver is closed');
      const { dsn, generation } = await lookup(orgId, acquireOptions);
      pool = pools.get(orgId);
      if (pool && pool.dsn !== dsn) {
        // Our DSN predates an invalidation: read it again rather than replace a fresher pool.
        if (!isCurrent(orgId, generation)) continue;
        retire(pool);
        pool = undefined;
      }
      pool ??= await openPool(orgId, dsn);
      if (pool.dsn === dsn && !pool.retired) break;
    }
    pools.delete(orgId);
    if (!pool.retired) pools.set(orgId, pool);
    try {
      options.observer?.leaseWait((performance.now() - started) / 1000);
    } catch {
      // a metric lost, nothing else
    }
    pool.holders++;
    pool.fresh = false;
    pool.lastUsed = now();
    leases++;
    const held = pool;
    let released = false;
    return {
      orgId,
      db: held.db,
      release() {
        if (released) return;
        released = true;
        leases--;
        held.holders--;
        held.lastUsed = now();
        if (held.holders === 0) {
          if (held.retired) end(held);
          else wake();
        }
      },
    };
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
      forget(orgId);
      const pool = pools.get(orgId);
      if (pool) await retire(pool);
    },
    stats: () => ({
      pools: openCount() + reserved,
      leases,
      waiting: waiters.length,
      cachedDsns: cache.size,
      poolsOpened: opened,
      poolsEvicted: evicted,
    }),
    async close() {
      closed = true;
      clearInterval(sweep);
      const all = [...pools.values(), ...retiring];
      pools.clear();
      retiring.clear();
      cache.clear();
      await Promise.all(all.map((p) => p.db.close().catch(() => {})));
      for (const w of waiters.splice(0)) w();
    },
  };
}
