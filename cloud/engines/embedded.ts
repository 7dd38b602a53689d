// The `embedded` engine: each database is a PGlite data directory under the data dir. There are no
// roles or network, so tenant "credentials" are just the database's name; the process holds a lock
// file so a second process cannot open (and corrupt) the same directories.

import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { ClosableSqlDatabase, SqlDatabase } from '../../src/db/sql.ts';
import { AppError } from '../../src/errors.ts';
import { createEmbeddedRoles } from './embedded-roles.ts';
import type { Engine } from './engine.ts';
import { PgliteInstances } from './pglite-instances.ts';

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

/** An embedded DSN is this prefix and the database's name: there is no server, role or password. */
const DSN_PREFIX = 'embedded:';

function embeddedDatabaseOf(dsn: string): string | undefined {
  return dsn.startsWith(DSN_PREFIX) ? dsn.slice(DSN_PREFIX.length) : undefined;
}

export function createEmbeddedEngine(options: EmbeddedEngineOptions): Engine {
  // The data directory holds every database and the generated secrets: its owner only.
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  chmodSync(options.dataDir, 0o700);
  const release = lockDataDir(options.dataDir);
  let instances: PgliteInstances;
  try {
    removeStaleScratch(options.dataDir);
    instances = new PgliteInstances(
      options.maxOpenInstances ?? 4,
      (dir) => new AppError('tenant_unavailable', `database ${basename(dir)} does not exist`),
    );
  } catch (err) {
    release();
    throw err;
  }
  const pristine = options.pristineDir ?? join(options.dataDir, '.pristine');
  const dirOf = (name: string) => join(options.dataDir, name);
  const roles = createEmbeddedRoles({
    dsnOf: (name) => `${DSN_PREFIX}${name}`,
    closeDatabase: (name) => instances.close(dirOf(name)),
  });

  const database = (name: string, guard?: () => void): SqlDatabase => {
    const dir = dirOf(name);
    const use = <T>(fn: (db: PGlite) => Promise<T>) => {
      try {
        guard?.();
      } catch (err) {
        return Promise.reject(err);
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
      queryArrays: (sql: string, params?: readonly unknown[]) =>
        use(
          async (db) =>
            (await db.query<unknown[]>(sql, params ? [...params] : undefined, { rowMode: 'array' })).rows,
        ),
      transaction: (fn) =>
        use((db) =>
          db.transaction((tx) =>
            fn({
              query: async <Row>(sql: string, params?: readonly unknown[]) =>
                (await tx.query<Row>(sql, params ? [...params] : undefined)).rows,
              exec: async (sql: string) => {
                await tx.exec(sql);
              },
              queryArrays: async (sql: string, params?: readonly unknown[]) =>
                (await tx.query<unknown[]>(sql, params ? [...params] : undefined, { rowMode: 'array' })).rows,
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

  const copyInto = (source: string, target: string) => {
    // Copy beside the target and rename, so a crash never leaves a half-copied database.
    const tmp = `${target}${SCRATCH}tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    cpSync(source, tmp, { recursive: true });
    renameSync(tmp, target);
  };

  const engine: Engine = {
    kind: 'embedded',
    cluster: 'embedded',
    database: (name) => database(name),
    openDatabase: (name) => ({ ...database(name), close: async () => {} }),
    roles,

    async closeDatabase(name) {
      await instances.close(dirOf(name));
    },

    async databaseExists(name) {
      return existsSync(join(dirOf(name), 'PG_VERSION'));
    },

    async createDatabase(name, createOptions = {}) {
      const target = dirOf(name);
      if (existsSync(target)) throw new AppError('conflict', `database ${name} already exists`);
      if (createOptions.template) {
        const source = dirOf(createOptions.template);
        await instances.withExclusive(source, async () => copyInto(source, target));
      } else {
        await ensurePristine();
        copyInto(pristine, target);
      }
    },

    async dropDatabase(name) {
      const dir = dirOf(name);
      await instances.withExclusive(dir, async () => {
        if (!existsSync(dir)) return;
        const trash = `${dir}${SCRATCH}dropped-${process.pid}`;
        renameSync(dir, trash);
        rmSync(trash, { recursive: true, force: true });
      });
    },

    async databaseSizeBytes(name) {
      return directorySize(dirOf(name));
    },

    async load(databases) {
      const sizeBytes = databases.reduce((total, name) => total + directorySize(dirOf(name)), 0);
      return { sizeBytes, backends: null, maxConnections: null };
    },

    databaseOf: embeddedDatabaseOf,

    connect(dsn): ClosableSqlDatabase {
      const name = embeddedDatabaseOf(dsn);
      if (name === undefined) throw new Error('not an embedded DSN');
      const guard = () => {
        if (roles.isRevoked(name)) throw new AppError('tenant_offboarded', 'the tenant is being offboarded');
      };
      return { ...database(name, guard), close: async () => {} };
    },

    async close() {
      await instances.closeAll();
      release();
    },
  };
  return engine;
}

/** Marks scratch directories (half-made copies, databases being removed); any left at startup are from a crash. */
const SCRATCH = '.scratch-';

function removeStaleScratch(dataDir: string): void {
  for (const entry of readdirSync(dataDir)) {
    if (entry.includes(SCRATCH) || /^\.pristine\.tmp-\d+$/.test(entry)) {
      rmSync(join(dataDir, entry), { recursive: true, force: true });
    }
  }
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

/** Data directories this process holds: a lock file naming our pid but not listed here is from an earlier process that had the same pid (PID 1 in a container, say). */
const heldDataDirs = new Set<string>();

/**
 * One process per data directory: PGlite would corrupt a directory opened twice. The lock file is
 * created whole with link(2) (atomic, fails if it exists); a stale one is moved aside with rename(2),
 * which only one contender can win.
 */
function lockDataDir(dataDir: string): () => void {
  const file = join(dataDir, '.lock');
  const key = realpathSync(dataDir);
  if (heldDataDirs.has(key))
    throw new AppError('conflict', `data directory ${dataDir} is already open in this process`);
  for (let attempt = 0; attempt < 5; attempt++) {
    const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(draft, String(process.pid), { mode: 0o600 });
    try {
      linkSync(draft, file);
      heldDataDirs.add(key);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        heldDataDirs.delete(key);
        try {
          if (readFileSync(file, 'utf8') === String(process.pid)) unlinkSync(file);
        } catch {}
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      rmSync(draft, { force: true });
    }
    let pid: number;
    try {
      pid = Number(readFileSync(file, 'utf8'));
    } catch {
      continue; // removed meanwhile: try again
    }
    if (pid !== process.pid && Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
      throw new AppError(
        'conflict',
        `data directory ${dataDir} is in use by process ${pid}; stop it first (the embedded engine allows one process per data directory)`,
      );
    }
    // Move the stale lock aside. If what was moved is no longer the stale lock we read (another
    // process replaced it in between), put it back: its owner holds the directory.
    const aside = `${file}.stale-${randomBytes(4).toString('hex')}`;
    try {
      renameSync(file, aside);
    } catch {
      continue;
    }
    const moved = readFileSync(aside, 'utf8');
    if (moved !== String(pid)) {
      try {
        linkSync(aside, file);
      } catch {}
    }
    rmSync(aside, { force: true });
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
