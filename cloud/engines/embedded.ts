// The `embedded` engine: each database is a PGlite data directory under the data dir. There are no
// roles or network, so tenant "credentials" are just the database's name; the process holds a lock
// file so a second process cannot open (and corrupt) the same directories.
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { ClosableSqlDatabase, SqlDatabase } from '../../src/db/sql.ts';
import { AppError } from '../../src/errors.ts';
import type { Engine } from './engine.ts';
import { type InstanceStats, PgliteInstances } from './pglite-instances.ts';

export interface EmbeddedEngineOptions {
  dataDir: string;
  /** Idle PGlite instances kept open (each ~165 MiB). */
  maxOpenInstances?: number;
  /**
   * A directory holding a freshly initialised, empty PGlite cluster to copy instead of running
   * initdb (4–6 s) for every new database. Defaults to `<dataDir>/.pristine`; tests share one.
   */
  pristineDir?: string;
}

const DSN_PREFIX = 'embedded:';

export type EmbeddedEngine = Engine & { instanceStats(): InstanceStats };

export function createEmbeddedEngine(options: EmbeddedEngineOptions): EmbeddedEngine {
  mkdirSync(options.dataDir, { recursive: true });
  const release = lockDataDir(options.dataDir);
  const instances = new PgliteInstances(options.maxOpenInstances ?? 4);
  const pristine = options.pristineDir ?? join(options.dataDir, '.pristine');
  const dirOf = (name: string) => join(options.dataDir, name);

  const database = (name: string): SqlDatabase => {
    const dir = dirOf(name);
    const use = <T>(fn: (db: PGlite) => Promise<T>) => {
      if (!existsSync(join(dir, 'PG_VERSION'))) {
        return Promise.reject(new AppError('tenant_unavailable', `database ${name} does not exist`));
      }
      return instances.use(dir, fn);
    };
    return {
      query: <Row>(sql: string, params?: readonly unknown[]) =>
        use(async (db) => (await db.query<Row>(sql, params ? [...params] : undefined)).rows),
      exec: (sql: string) =>
        use(async (db) => {
          await db.exec(sql);
        }),
      transaction: (fn) =>
        use((db) =>
          db.transaction((tx) =>
            fn({
              query: async <Row>(sql: string, params?: readonly unknown[]) =>
                (await tx.query<Row>(sql, params ? [...params] : undefined)).rows,
              exec: async (sql: string) => {
                await tx.exec(sql);
              },
            }),
          ),
        ),
    };
  };

  const ensurePristine = async () => {
    if (existsSync(join(pristine, 'PG_VERSION'))) return;
    const tmp = `${pristine}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    const db = await PGlite.create(tmp);
    await db.close();
    try {
      renameSync(tmp, pristine);
    } catch (err) {
      // Another process (a parallel test worker sharing the pristine dir) got there first.
      rmSync(tmp, { recursive: true, force: true });
      if (!existsSync(join(pristine, 'PG_VERSION'))) throw err;
    }
  };

  const engine: EmbeddedEngine = {
    kind: 'embedded',
    cluster: 'embedded',
    database,
    instanceStats: () => instances.stats(),

    async closeDatabase(name) {
      await instances.close(dirOf(name));
    },

    async databaseExists(name) {
      return existsSync(join(dirOf(name), 'PG_VERSION'));
    },

    async createDatabase(name, createOptions = {}) {
      const target = dirOf(name);
      if (existsSync(target)) throw new AppError('conflict', `database ${name} already exists`);
      let source: string;
      if (createOptions.template) {
        source = dirOf(createOptions.template);
        await instances.close(source);
      } else {
        await ensurePristine();
        source = pristine;
      }
      // Copy beside the target and rename, so a crash never leaves a half-copied database.
      const tmp = `${target}.tmp-${process.pid}`;
      rmSync(tmp, { recursive: true, force: true });
      cpSync(source, tmp, { recursive: true });
      renameSync(tmp, target);
    },

    async dropDatabase(name) {
      const dir = dirOf(name);
      await instances.close(dir);
      if (!existsSync(dir)) return;
      const trash = `${dir}.dropped-${process.pid}`;
      renameSync(dir, trash);
      rmSync(trash, { recursive: true, force: true });
    },

    async databaseSizeBytes(name) {
      return directorySize(dirOf(name));
    },

    async prepareTemplate() {},
    async grantTenantAccess(db) {
      return `${DSN_PREFIX}${db}`;
    },
    async rotateTenantPassword(db) {
      return `${DSN_PREFIX}${db}`;
    },
    async revokeTenantAccess() {},
    async dropTenantRole() {},
    migrationRole() {
      return undefined;
    },

    connect(dsn): ClosableSqlDatabase {
      if (!dsn.startsWith(DSN_PREFIX)) throw new Error('not an embedded DSN');
      return { ...database(dsn.slice(DSN_PREFIX.length)), close: async () => {} };
    },

    async close() {
      await instances.closeAll();
      release();
    },
  };
  return engine;
}

function directorySize(dir: string): number {
  if (!existsSync(dir)) return 0;
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? directorySize(path) : statSync(path).size;
  }
  return total;
}

/** One process per data directory: PGlite would corrupt a directory opened twice. */
function lockDataDir(dataDir: string): () => void {
  const file = join(dataDir, '.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(file, 'utf8') === String(process.pid)) unlinkSync(file);
        } catch {}
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(file, 'utf8'));
      if (pid === process.pid) {
        throw new AppError('conflict', `data directory ${dataDir} is already open in this process`);
      }
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
        throw new AppError(
          'conflict',
          `data directory ${dataDir} is in use by process ${pid}; stop it first (the embedded engine allows one process per data directory)`,
        );
      }
      unlinkSync(file); // stale: its process is gone
    }
  }
  throw new AppError('conflict', `could not lock data directory ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
