// The connection budget: at most `maxPools` tenant pools open at once, idle ones evicted least recently
// used first, callers waiting for room, and a pool ended only once no lease holds it.

import type { ClosableSqlDatabase } from '../../src/db/sql.ts';
import { AppError } from '../../src/errors.ts';

export interface Pool {
  orgId: string;
  dsn: string;
  db: ClosableSqlDatabase;
  holders: number;
  lastUsed: number;
  retired: boolean;
  /** Opened but not yet leased: its callers resume in a later microtask, so it must not be evicted meanwhile. */
  fresh: boolean;
}

export interface PoolBudgetOptions {
  maxPools: number;
  /** A pool unused for this long is ended. */
  idleMs: number;
  now: () => number;
  /** Opens the pool of `orgId` at `dsn` (may throw synchronously). */
  connect(orgId: string, dsn: string): ClosableSqlDatabase;
}

export interface PoolBudgetStats {
  pools: number;
  leases: number;
  waiting: number;
  poolsOpened: number;
  poolsEvicted: number;
}

export interface PoolBudget {
  readonly closed: boolean;
  /** The live pool of `orgId`, if any. */
  get(orgId: string): Pool | undefined;
  /** Opens `orgId`'s pool once, however many callers want it at the same time. */
  open(orgId: string, dsn: string): Promise<Pool>;
  /** Takes a pool out of service; it is ended now if idle, else when its last lease is released. */
  retire(pool: Pool): Promise<void> | undefined;
  /** Leases `pool` (marks it most recently used); the returned function releases it, once. */
  hold(pool: Pool): () => void;
  stats(): PoolBudgetStats;
  close(): Promise<void>;
}

export function createPoolBudget(options: PoolBudgetOptions): PoolBudget {
  const { maxPools, idleMs, now } = options;
  /** Live pools, least recently used first (Map keeps insertion order; a use re-inserts). */
  const pools = new Map<string, Pool>();
  /** Pools retired by invalidation, ended once their last lease is released. */
  const retiring = new Set<Pool>();
  const waiters: (() => void)[] = [];
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

  const retire = (pool: Pool): Promise<void> | undefined => {
    pools.delete(pool.orgId);
    pool.retired = true;
    retiring.add(pool);
    return pool.holders === 0 ? end(pool) : undefined;
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

  const open = (orgId: string, dsn: string): Promise<Pool> => {
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
          db = options.connect(orgId, dsn);
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

  const hold = (pool: Pool): (() => void) => {
    pools.delete(pool.orgId);
    if (!pool.retired) pools.set(pool.orgId, pool);
    pool.holders++;
    pool.fresh = false;
    pool.lastUsed = now();
    leases++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      leases--;
      pool.holders--;
      pool.lastUsed = now();
      if (pool.holders === 0) {
        if (pool.retired) end(pool);
        else wake();
      }
    };
  };

  return {
    get closed() {
      return closed;
    },
    get: (orgId) => pools.get(orgId),
    open,
    retire,
    hold,
    stats: () => ({
      pools: openCount() + reserved,
      leases,
      waiting: waiters.length,
      poolsOpened: opened,
      poolsEvicted: evicted,
    }),
    async close() {
      closed = true;
      clearInterval(sweep);
      const all = [...pools.values(), ...retiring];
      pools.clear();
      retiring.clear();
      await Promise.all(all.map((p) => p.db.close().catch(() => {})));
      for (const w of waiters.splice(0)) w();
    },
  };
}
