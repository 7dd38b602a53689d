// The `postgres` engine: control, template and tenant databases on one cluster reached through an
// admin URL (a role with CREATEDB and CREATEROLE). Each tenant database is owned by its own role.
import { type ClosableSqlDatabase, quoteIdent } from '../../src/db/sql.ts';
import type { Engine } from './engine.ts';
import { createPgDatabase } from './pg-database.ts';
import { createPostgresRoles } from './postgres-roles.ts';

export interface PostgresEngineOptions {
  adminUrl: string;
  /** The template database whose objects are handed to each tenant's role. */
  templateDatabase: string;
  /** Connections per shared administrative handle (the control plane, the template). */
  adminPoolSize?: number;
  /** The control-plane name of this cluster (default `default`: the deployment's own). */
  cluster?: string;
  /** How long opening a connection may take before it fails (default 10 s). */
  connectTimeoutMs?: number;
}

/** The same URL pointed at another database (and optionally another user and password). */
export function withDatabase(
  url: string,
  database: string,
  auth?: { user: string; password: string },
): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  if (auth) {
    u.username = encodeURIComponent(auth.user);
    u.password = encodeURIComponent(auth.password);
  }
  return u.toString();
}

/** The database a postgres:// (or postgresql://) URL leads to; undefined for anything else. */
export function postgresDatabaseOf(dsn: string): string | undefined {
  let url: URL;
  try {
    url = new URL(dsn);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') return undefined;
  return decodeURIComponent(url.pathname.slice(1));
}

export function createPostgresEngine(options: PostgresEngineOptions): Engine {
  const connectionTimeoutMillis = options.connectTimeoutMs ?? 10_000;
  const admin = createPgDatabase({
    connectionString: options.adminUrl,
    max: 2,
    applicationName: 'modernpos-admin',
    connectionTimeoutMillis,
  });
  const handles = new Map<string, ClosableSqlDatabase>();
  const templateRole = options.templateDatabase;
  const cluster = options.cluster ?? 'default';

  const openDatabase = (name: string, maxConnections = 2) =>
    createPgDatabase({
      connectionString: withDatabase(options.adminUrl, name),
      max: maxConnections,
      idleTimeoutMillis: 1_000,
      applicationName: 'modernpos-admin',
      connectionTimeoutMillis,
    });

  const database = (name: string) => {
    let handle = handles.get(name);
    if (!handle) {
      handle = createPgDatabase({
        connectionString: withDatabase(options.adminUrl, name),
        max: options.adminPoolSize ?? 8,
        idleTimeoutMillis: 1_000,
        applicationName: 'modernpos-admin',
        connectionTimeoutMillis,
      });
      handles.set(name, handle);
    }
    return handle;
  };

  const closeDatabase = async (name: string) => {
    const handle = handles.get(name);
    handles.delete(name);
    await handle?.close();
  };

  const roles = createPostgresRoles({
    admin,
    database,
    templateRole,
    dsnFor: (db, password) => withDatabase(options.adminUrl, db, { user: db, password }),
  });

  return {
    kind: 'postgres',
    cluster,
    database,
    openDatabase,
    closeDatabase,
    roles,

    async databaseExists(name) {
      return (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).length > 0;
    },

    async createDatabase(name, createOptions = {}) {
      const template = createOptions.template;
      if (!template) {
        await admin.exec(`CREATE DATABASE ${quoteIdent(name)}`);
        return;
      }
      await closeDatabase(template);
      // CREATE DATABASE … TEMPLATE refuses while anyone is connected to the template; another
      // process may be finishing a migration of it, so retry briefly.
      for (let attempt = 0; ; attempt++) {
        try {
          await admin.exec(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${quoteIdent(template)}`);
          return;
        } catch (err) {
          if ((err as { code?: string }).code !== '55006' || attempt >= 20) throw err;
          await new Promise((r) => setTimeout(r, 50 + attempt * 25));
        }
      }
    },

    async dropDatabase(name) {
      await closeDatabase(name);
      await admin.exec(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    },

    async databaseSizeBytes(name) {
      const rows = await admin.query<{ size: number }>('SELECT pg_database_size($1) AS size', [name]);
      return Number(rows[0]?.size ?? 0);
    },

    async load(databases) {
      const [row] = await admin.query<{ size: number; backends: number; max: number }>(
        `SELECT (SELECT coalesce(sum(pg_database_size(datname)), 0) FROM pg_database WHERE datname = ANY($1::text[]))::bigint AS size,
           (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS backends,
           current_setting('max_connections')::int AS max`,
        [databases],
      );
      return {
        sizeBytes: Number(row?.size ?? 0),
        backends: Number(row?.backends ?? 0),
        maxConnections: Number(row?.max ?? 0),
      };
    },

    adminUrlOf(name) {
      return withDatabase(options.adminUrl, name);
    },

    databaseOf: postgresDatabaseOf,

    connect(dsn, poolOptions) {
      return createPgDatabase({
        connectionString: dsn,
        max: poolOptions.maxConnections,
        idleTimeoutMillis: poolOptions.idleTimeoutMs,
        applicationName: 'modernpos-tenant',
      });
    },

    async close() {
      const all = [...handles.values()];
      handles.clear();
      await Promise.all(all.map((h) => h.close()));
      await admin.close();
    },
  };
}
