// One engine per cluster: the deployment's own (MODERNPOS_PG_URL, or the embedded data directory)
// and, opened on first use from its sealed admin URL, each added PostgreSQL cluster. Tenant
// lifecycle work (onboarding, migrations, export, offboarding, rotation, reports) goes through the
// engine of the tenant's cluster; a cluster that is down fails only the work on its own tenants.

import type { SqlQueryable } from '../../src/db/sql.ts';
import { AppError } from '../../src/errors.ts';
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

export function createClusterEngines(options: ClusterEnginesOptions): ClusterEngines {
  const { main } = options;
  const opened = new Map<string, Promise<Engine>>();
  let closed = false;

  const open = async (name: string): Promise<Engine> => {
    const url = await clusterAdminUrl(options.control, options.keyring, name);
    if (!url) {
      throw new AppError(
        'operation_failed',
        `cluster ${name} has no admin URL and is not this deployment's own`,
      );
    }
    return createPostgresEngine({
      adminUrl: url,
      templateDatabase: options.templateDatabase,
      cluster: name,
      adminPoolSize: 4,
      connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
    });
  };

  return {
    main,
    engine(name) {
      if (name === main.cluster) return Promise.resolve(main);
      if (closed) return Promise.reject(new AppError('tenant_unavailable', 'the cluster engines are closed'));
      let engine = opened.get(name);
      if (!engine) {
        engine = open(name);
        opened.set(name, engine);
        // A failed open (unknown cluster, key missing) is tried again next time, not remembered.
        engine.catch(() => {
          if (opened.get(name) === engine) opened.delete(name);
        });
      }
      return engine;
    },
    async host(name) {
      if (name === main.cluster) return options.mainHost ?? null;
      const url = await clusterAdminUrl(options.control, options.keyring, name);
      return url ? whereOf(url) : null;
    },
    async forget(name) {
      const engine = opened.get(name);
      opened.delete(name);
      await engine?.then((e) => e.close()).catch(() => {});
    },
    async close() {
      closed = true;
      const all = [...opened.values()];
      opened.clear();
      await Promise.all(all.map((e) => e.then((x) => x.close()).catch(() => {})));
    },
  };
}
