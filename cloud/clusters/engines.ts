// One engine per cluster: the deployment's own (MODERNPOS_PG_URL, or the embedded data directory)
// and, opened on first use from its sealed admin URL, each added PostgreSQL cluster (its row is read
// again every few seconds, so a removed cluster, or one added again with another URL, is seen). Tenant
// lifecycle work (onboarding, migrations, export, offboarding, rotation, reports) goes through the
// engine of the tenant's cluster; a cluster that is down fails only the work on its own tenants.

import type { SqlQueryable } from '../../src/db/sql.ts';
import { AppError, isAppError } from '../../src/errors.ts';
import { clusterSealContext, getCluster } from '../control/clusters.ts';
import type { Engine } from '../engines/engine.ts';
import { createPostgresEngine } from '../engines/postgres.ts';
import type { Keyring } from '../secrets/keyring.ts';
import { whereOf } from './validate.ts';

export interface ClusterEngines {
  /** The deployment's own engine and the name of its cluster (`default` or `embedded`). */
  readonly main: Engine;
  /** The engine of `cluster`; `not_found` if no such cluster is registered (or it was removed). */
  engine(cluster: string): Promise<Engine>;
  /** Where `cluster` is (host:port, never credentials); null for the embedded engine. */
  host(cluster: string): Promise<string | null>;
  /** Closes and forgets the engine of `cluster` (removed, or its URL changed). */
  forget(cluster: string): Promise<void>;
  close(): Promise<void>;
}

export interface ClusterEnginesOptions {
  main: Engine;
  control: SqlQueryable;
  keyring: Keyring;
  templateDatabase: string;
  /** host:port of the deployment's own server (none for the embedded engine). */
  mainHost?: string | undefined;
  /** Connection timeout of added clusters' admin handles (default 5 s): a down host must not hang an operator command. */
  connectTimeoutMs?: number;
  /** How long an opened engine is used before its cluster's row is read again (default 10 s). */
  recheckMs?: number;
  now?: () => number;
}

/** The admin URL of an added cluster, opened from its sealed form. */
export async function clusterAdminUrl(
  control: SqlQueryable,
  keyring: Keyring,
  name: string,
): Promise<string | undefined> {
  const row = await getCluster(control, name);
  if (!row || row.status === 'removed') throw new AppError('not_found', `cluster ${name} not found`);
  return row.sealedUrl && keyring.open(row.sealedUrl, clusterSealContext(name));
}

interface Opened {
  engine: Engine;
  url: string;
  checkedAt: number;
}

export function createClusterEngines(options: ClusterEnginesOptions): ClusterEngines {
  const { main } = options;
  const now = options.now ?? Date.now;
  const recheckMs = options.recheckMs ?? 10_000;
  const opened = new Map<string, Opened>();
  const refreshing = new Map<string, Promise<Engine>>();
  let closed = false;

  const drop = (name: string) => {
    const entry = opened.get(name);
    opened.delete(name);
    return entry?.engine.close().catch(() => {});
  };

  /** Reads the cluster's row again: the engine it has, or a new one if its URL changed (removed and added again). */
  const refresh = async (name: string): Promise<Engine> => {
    let url: string | undefined;
    try {
      url = await clusterAdminUrl(options.control, options.keyring, name);
    } catch (err) {
      if (isAppError(err) && err.code === 'not_found') void drop(name);
      throw err;
    }
    if (!url) {
      throw new AppError(
        'operation_failed',
        `cluster ${name} has no admin URL and is not this deployment's own`,
      );
    }
    const current = opened.get(name);
    if (current?.url === url) {
      current.checkedAt = now();
      return current.engine;
    }
    void drop(name);
    const engine = createPostgresEngine({
      adminUrl: url,
      templateDatabase: options.templateDatabase,
      cluster: name,
      adminPoolSize: 4,
      connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
    });
    if (closed) {
      await engine.close();
      throw new AppError('tenant_unavailable', 'the cluster engines are closed');
    }
    opened.set(name, { engine, url, checkedAt: now() });
    return engine;
  };

  return {
    main,
    engine(name) {
      if (name === main.cluster) return Promise.resolve(main);
      if (closed) return Promise.reject(new AppError('tenant_unavailable', 'the cluster engines are closed'));
      const entry = opened.get(name);
      if (entry && now() - entry.checkedAt < recheckMs) return Promise.resolve(entry.engine);
      let pending = refreshing.get(name);
      if (!pending) {
        pending = refresh(name).finally(() => refreshing.delete(name));
        refreshing.set(name, pending);
      }
      return pending;
    },
    async host(name) {
      if (name === main.cluster) return options.mainHost ?? null;
      const url = await clusterAdminUrl(options.control, options.keyring, name);
      return url ? whereOf(url) : null;
    },
    async forget(name) {
      await drop(name);
    },
    async close() {
      closed = true;
      await Promise.all([...refreshing.values()].map((r) => r.catch(() => {})));
      await Promise.all([...opened.keys()].map(drop));
    },
  };
}
